import { EventEmitter } from 'node:events';
import { NO_CHANNELZ } from '@/common/grpc-options';
import * as grpc from '@grpc/grpc-js';
import { NacosExceptionCode, RESULT_SUCCESS, okResponse } from '@/nacos/grpc/messages';
import type {
  ConnectionSetupRequest,
  NacosRequests,
  NacosResponses,
  NotifySubscriberRequest,
} from '@/nacos/grpc/messages';
import { NacosRequestClient, NacosStreamClient, decodePayload, encodePayload } from '@/nacos/grpc/payload';
import type { DecodedPayload, NacosRequestStub, NacosStreamStub, WirePayload } from '@/nacos/grpc/payload';

export interface NacosTransportOptions {
  /** gRPC addresses `host:port` (the Nacos gRPC port, HTTP port + 1000); tried in turn on failure. */
  servers: string[];
  /** Namespace announced in ConnectionSetupRequest. */
  namespace?: string;
  username?: string;
  password?: string;
  /** Deadline of each request. Default 3000. */
  requestTimeoutMs?: number;
  /** HealthCheckRequest interval; a failed check reconnects. Default 5000. */
  healthCheckIntervalMs?: number;
  /** First reconnect delay, doubled per failed round up to 5 s. Default 200. */
  reconnectDelayMs?: number;
  /** Largest message sent or received. Default 10 MiB, as Nacos. */
  maxMessageBytes?: number;
}

/** A Nacos error answer (or a transport failure, errorCode 0) to a request. */
export class NacosClientError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'NacosClientError';
  }
}

export interface TransportEvents {
  /** A connection is up (first or after a reconnect) and registered on the server. */
  connected: [server: string, connectionId: string];
  disconnected: [reason: string];
  push: [request: NotifySubscriberRequest];
}

interface Link {
  server: string;
  unary: NacosRequestStub;
  streamStub: NacosStreamStub;
  stream: grpc.ClientDuplexStream<WirePayload, WirePayload>;
  connectionId: string;
}

const SETUP_CHECKS = 10;
/** errorCode of a request on a connection the server does not know: reconnect. */
const UNREGISTERED: number = NacosExceptionCode.ConnectionUnregistered;

/**
 * One Nacos gRPC connection with failover: the handshake (ServerCheckRequest, then the bi-stream
 * with ConnectionSetupRequest), answers to server requests (ClientDetection, NotifySubscriber,
 * ConnectReset), periodic health checks, and reconnection to the next server when anything fails.
 */
export class NacosTransport extends EventEmitter<TransportEvents> {
  private link: Link | undefined;
  private connecting: Promise<Link> | undefined;
  private next = 0;
  private closed = false;
  /** Once connected, losing the server means retrying forever in the background. */
  private everConnected = false;
  private healthTimer: NodeJS.Timeout | undefined;
  private readonly options: Required<Omit<NacosTransportOptions, 'username' | 'password'>> &
    Pick<NacosTransportOptions, 'username' | 'password'>;

  constructor(options: NacosTransportOptions) {
    super();
    if (options.servers.length === 0) throw new Error('NacosTransport needs at least one server');
    this.options = {
      namespace: '',
      requestTimeoutMs: 3000,
      healthCheckIntervalMs: 5000,
      reconnectDelayMs: 200,
      maxMessageBytes: 10 * 1024 * 1024,
      ...options,
    };
  }

  /** The server currently connected, if any. */
  get server(): string | undefined {
    return this.link?.server;
  }

  get connectionId(): string | undefined {
    return this.link?.connectionId;
  }

  /** Connects (trying every server in turn until one answers); resolves once registered. */
  async start(): Promise<void> {
    await this.ensureLink();
    this.healthTimer ??= setInterval(() => void this.healthCheck(), this.options.healthCheckIntervalMs).unref();
  }

  /** Sends one request, connecting first if needed; throws NacosClientError on an error answer. */
  async request<K extends keyof NacosRequests>(type: K, body: NacosRequests[K]): Promise<NacosResponses[K]> {
    const link = await this.linkWithin(this.options.requestTimeoutMs);
    const response = await this.call(link, type, body);
    if (response.errorCode === UNREGISTERED) this.drop(link, 'server does not know the connection');
    if (response.resultCode !== RESULT_SUCCESS) {
      throw new NacosClientError(
        response.errorCode,
        `${type} failed: ${response.message ?? 'no message'} (${response.errorCode})`,
      );
    }
    return response;
  }

  close(): void {
    this.closed = true;
    if (this.healthTimer !== undefined) clearInterval(this.healthTimer);
    const link = this.link;
    this.link = undefined;
    if (link !== undefined) this.shut(link);
  }

  /** The current link, waiting at most `ms` for a reconnect in progress. */
  private linkWithin(ms: number): Promise<Link> {
    if (this.link !== undefined) return Promise.resolve(this.link);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new NacosClientError(0, `not connected to any Nacos server within ${ms} ms`)),
        ms,
      );
    });
    return Promise.race([this.ensureLink(), timeout]).finally(() => clearTimeout(timer));
  }

  private ensureLink(): Promise<Link> {
    if (this.closed) return Promise.reject(new NacosClientError(0, 'client is closed'));
    if (this.link !== undefined) return Promise.resolve(this.link);
    this.connecting ??= this.connectLoop().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connectLoop(): Promise<Link> {
    let delay = this.options.reconnectDelayMs;
    let lastError: unknown;
    for (let round = 0; !this.closed; round++) {
      for (let i = 0; i < this.options.servers.length && !this.closed; i++) {
        const server = this.options.servers[this.next % this.options.servers.length];
        try {
          const link = await this.connect(server);
          if (this.closed) {
            this.shut(link);
            break;
          }
          this.link = link;
          this.everConnected = true;
          this.emit('connected', server, link.connectionId);
          return link;
        } catch (err) {
          lastError = err;
          this.next++;
        }
      }
      // A first start that finds no server at all fails rather than hanging its caller forever.
      if (round >= 1 && !this.everConnected) break;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 5000);
    }
    throw new NacosClientError(
      0,
      `no Nacos server reachable (${this.options.servers.join(', ')}): ${String(lastError)}`,
    );
  }

  private async connect(server: string): Promise<Link> {
    const channelOptions: grpc.ChannelOptions = {
      // Each client gets its own HTTP/2 connection: the server ties the connection id to it.
      'grpc.use_local_subchannel_pool': 1,
      'grpc.max_receive_message_length': this.options.maxMessageBytes,
      'grpc.max_send_message_length': this.options.maxMessageBytes,
      // Pings on an idle connection find a dead server sooner than the next health check would.
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      ...NO_CHANNELZ,
    };
    const unary = new NacosRequestClient(server, grpc.credentials.createInsecure(), channelOptions);
    const streamStub = new NacosStreamClient(server, grpc.credentials.createInsecure(), {
      ...channelOptions,
      channelOverride: unary.getChannel(),
    });
    const partial = { server, unary, streamStub } as Link;
    try {
      const check = await this.call(partial, 'ServerCheckRequest', {});
      if (check.resultCode !== RESULT_SUCCESS) throw new NacosClientError(check.errorCode, String(check.message));
      const stream = streamStub.requestBiStream();
      const link: Link = { ...partial, stream, connectionId: check.connectionId };
      partial.stream = stream;
      stream.on('data', (payload: WirePayload) => this.onServerMessage(link, payload));
      stream.on('error', () => this.drop(link, 'stream failed'));
      stream.on('end', () => this.drop(link, 'stream ended by server'));
      const setup: ConnectionSetupRequest = {
        clientVersion: 'distro-sync:0.2.0',
        tenant: this.options.namespace,
        labels: { source: 'sdk', module: 'naming' },
        abilityTable: {},
      };
      stream.write(encodePayload('ConnectionSetupRequest', setup));
      await this.awaitRegistration(link);
      return link;
    } catch (err) {
      this.shut(partial);
      throw err;
    }
  }

  /** Setup has no answer: health checks until the server knows the connection. */
  private async awaitRegistration(link: Link): Promise<void> {
    for (let attempt = 0; attempt < SETUP_CHECKS; attempt++) {
      const response = await this.call(link, 'HealthCheckRequest', {});
      if (response.resultCode === RESULT_SUCCESS) return;
      if (response.errorCode !== UNREGISTERED) {
        throw new NacosClientError(response.errorCode, String(response.message));
      }
      await new Promise((resolve) => setTimeout(resolve, 20 * (attempt + 1)));
    }
    throw new NacosClientError(NacosExceptionCode.ConnectionUnregistered, 'server never registered the connection');
  }

  private call<K extends keyof NacosRequests>(
    link: Pick<Link, 'unary'>,
    type: K,
    body: NacosRequests[K],
  ): Promise<NacosResponses[K]> {
    const headers: Record<string, string> = {};
    if (this.options.username !== undefined) headers.username = this.options.username;
    if (this.options.password !== undefined) headers.password = this.options.password;
    const deadline = Date.now() + this.options.requestTimeoutMs;
    return new Promise((resolve, reject) => {
      link.unary.request(encodePayload(type, { headers: {}, ...body }, headers), { deadline }, (err, payload) => {
        if (err) return reject(new NacosClientError(0, `${type}: ${err.details || err.message}`));
        try {
          resolve(decodePayload(payload).body as unknown as NacosResponses[K]);
        } catch (decodeError) {
          reject(new NacosClientError(NacosExceptionCode.ParseError, `${type}: ${String(decodeError)}`));
        }
      });
    });
  }

  private onServerMessage(link: Link, payload: WirePayload): void {
    let decoded: DecodedPayload;
    try {
      decoded = decodePayload(payload);
    } catch {
      return;
    }
    const requestId = typeof decoded.body.requestId === 'string' ? decoded.body.requestId : undefined;
    const answer = (type: string): void => {
      if (link.stream.writable) link.stream.write(encodePayload(type, okResponse(requestId, {})));
    };
    switch (decoded.type) {
      case 'ClientDetectionRequest':
        answer('ClientDetectionResponse');
        break;
      case 'NotifySubscriberRequest':
        answer('NotifySubscriberResponse');
        this.emit('push', decoded.body as unknown as NotifySubscriberRequest);
        break;
      case 'ConnectResetRequest':
        answer('ConnectResetResponse');
        this.next++;
        this.drop(link, 'server asked to reconnect');
        break;
      default:
        break;
    }
  }

  private async healthCheck(): Promise<void> {
    const link = this.link;
    if (link === undefined) {
      if (!this.closed) this.ensureLink().catch(() => undefined);
      return;
    }
    try {
      const response = await this.call(link, 'HealthCheckRequest', {});
      if (response.resultCode !== RESULT_SUCCESS) this.drop(link, `health check answered ${response.errorCode}`);
    } catch (err) {
      this.drop(link, `health check failed: ${String(err)}`);
    }
  }

  /** Abandons a link and starts reconnecting (at most once per link). */
  private drop(link: Link, reason: string): void {
    if (this.link !== link) return;
    this.link = undefined;
    this.shut(link);
    if (this.closed) return;
    this.emit('disconnected', reason);
    this.ensureLink().catch(() => undefined);
  }

  private shut(link: Partial<Link>): void {
    try {
      link.stream?.cancel();
    } catch {
      // Already closed.
    }
    link.streamStub?.close();
    link.unary?.close();
  }
}
