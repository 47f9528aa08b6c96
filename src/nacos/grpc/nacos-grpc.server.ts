import { bindingPort } from '@/common/startup-error';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { NO_CHANNELZ } from '@/common/grpc-options';
import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import * as grpc from '@grpc/grpc-js';
import { AppConfig } from '@/config';
import { ClusterRouting } from '@/routing/cluster-routing';
import { NacosAuthService } from '@/nacos/auth/nacos-auth.service';
import { NamingSwitches } from '@/nacos/http/naming-switches';
import { RegistryApiService } from '@/registry-api';
import { PersistentCopies } from '@/persistent/persistent-copies';
import { PersistentInstances } from '@/persistent/persistent-instances';
import { Registry } from '@/registry';
import type { NamingRegistry } from '@/registry';
import { ConnectionTable } from './connections';
import type { NacosConnection } from './connections';
import { NamingHandlers } from './naming-handlers';
import { NACOS_REQUEST_SERVICE, NACOS_STREAM_SERVICE } from './payload';
import { PushDispatcher } from './push';
import { PushTally } from '@/nacos/push-tally';
import { RequestAcceptor } from './request-acceptor';

/** How often sync-client leases are checked; a lease ends at most this late. */
const LEASE_CHECK_INTERVAL_MS = 1000;
/** How long shutdown waits for calls in flight before it cuts the remaining connections. */
const SHUTDOWN_GRACE_MS = 2000;

/**
 * The gRPC listener of the Nacos port: the Nacos 2.x client protocol and the registry API for sync.
 * Owns the connections of this node: a connection that goes (stream end, cancel, error or a failed
 * ClientDetectionRequest) takes its instances and subscriptions with it.
 */
@Injectable()
export class NacosGrpcServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  /** Set when shutdown begins: connections closing from then on are this node's doing, not the clients'. */
  private stopping = false;
  private readonly logger = new Logger(NacosGrpcServer.name);
  readonly connections = new ConnectionTable();
  readonly push: PushDispatcher;
  private readonly acceptor: RequestAcceptor;
  private readonly registryApi: RegistryApiService;
  private server: grpc.Server | undefined;
  private boundPort: number | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly detecting = new Set<string>();

  constructor(
    private readonly config: AppConfig,
    @Inject(Registry) private readonly registry: NamingRegistry,
    routing: ClusterRouting,
    auth: NacosAuthService,
    // Optional so the server also runs on its own (bench/grpc-rigs.ts): push is then always on.
    @Optional() switches?: NamingSwitches,
    @Optional() tally?: PushTally,
    // The registry API's persistent copies (sync tasks targeting this region); absent on its own.
    @Optional() persistentCopies?: PersistentCopies,
    // PersistentInstanceRequest (Nacos 2.3+) writes through it; absent on its own.
    @Optional() persistentInstances?: PersistentInstances,
  ) {
    const grpcConfig = config.nacosGrpc;
    this.push = new PushDispatcher(registry, this.connections, {
      delayMs: grpcConfig.pushDelayMs,
      ackTimeoutMs: grpcConfig.pushAckTimeoutMs,
      maxRetries: 3,
      tally,
      enabled: () => switches?.pushEnabled ?? true,
    });
    const credentials = (headers: Record<string, string>): string | undefined =>
      auth.check({ accessToken: headers.accessToken, username: headers.username, password: headers.password });
    this.acceptor = new RequestAcceptor(
      this.connections,
      new NamingHandlers(registry, routing, persistentInstances),
      routing,
      credentials,
    );
    this.registryApi = new RegistryApiService(registry, routing, config.registryApi, Date.now, persistentCopies);
    this.connections.on('closed', (connection, reason) => this.forget(connection, reason));
  }

  /** The port actually bound (differs from the config when it asked for 0). */
  get port(): number {
    if (this.boundPort === undefined) throw new Error('Nacos gRPC server is not started');
    return this.boundPort;
  }

  async onApplicationBootstrap(): Promise<void> {
    const { maxMessageBytes, keepaliveMs, port } = this.config.nacosGrpc;
    const server = new grpc.Server({
      // Nacos's own limit is 10 MiB; a batch registration or a big ServiceInfo must fit, anything
      // beyond is refused with RESOURCE_EXHAUSTED before it is parsed.
      'grpc.max_receive_message_length': maxMessageBytes,
      'grpc.max_send_message_length': maxMessageBytes,
      // Ping idle transports so a client that vanished without a FIN (pod killed, network cut) is
      // found and its connection (and instances) dropped, instead of lingering until TCP gives up.
      'grpc.keepalive_time_ms': keepaliveMs,
      'grpc.keepalive_timeout_ms': Math.min(keepaliveMs, 10_000),
      'grpc.keepalive_permit_without_calls': 1,
      ...NO_CHANNELZ,
    });
    server.addService(NACOS_REQUEST_SERVICE, {
      request: this.acceptor.request.bind(this.acceptor),
    });
    server.addService(NACOS_STREAM_SERVICE, {
      requestBiStream: this.acceptor.stream.bind(this.acceptor),
    });
    server.addService(this.registryApi.definition(), this.registryApi.handlers());
    const address = { host: this.config.node.host, port, note: 'HTTP_PORT + 1000 unless set' };
    this.boundPort = await bindingPort(
      'NACOS_GRPC_PORT',
      address,
      () =>
        new Promise<number>((resolve, reject) =>
          server.bindAsync(`${this.config.node.host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
            err ? reject(err) : resolve(bound),
          ),
        ),
    );
    this.server = server;
    this.push.start();
    const detectEvery = Math.max(50, Math.min(3000, Math.floor(this.config.nacosGrpc.detectionIdleMs / 2)));
    this.timers.push(setInterval(() => this.detectIdle(), detectEvery).unref());
    this.timers.push(setInterval(() => this.expireLeases(), LEASE_CHECK_INTERVAL_MS).unref());
    this.logger.log({ port: this.boundPort }, 'Nacos gRPC server listening');
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    this.push.stop();
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    // Ask clients to move to another server now rather than after their health check fails.
    for (const connection of this.connections.all()) {
      this.connections.request(connection, 'ConnectResetRequest', '{}', 500).catch(() => undefined);
    }
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, SHUTDOWN_GRACE_MS);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
      // Streams never finish on their own: end them so tryShutdown can complete.
      for (const connection of this.connections.all()) {
        this.connections.unregister(connection.id, 'server shutting down');
        connection.stream.end();
      }
    });
  }

  private forget(connection: NacosConnection, reason: string): void {
    this.detecting.delete(connection.id);
    this.registry.removeSubscriberEverywhere(connection.id);
    if (this.stopping) {
      // This node is going, not the client: it was told to reconnect elsewhere and will register
      // again there. Deleting its instances here would replicate the deletion to every peer (and to
      // other regions' sync tasks) — a planned restart would drop live services. The peers keep
      // their copies until the client re-registers or the copies expire, exactly as after a crash.
      this.logger.log(
        { connectionId: connection.id },
        'gRPC connection closed by shutdown; its instances stay with the peers',
      );
      return;
    }
    const removed = this.registry.removeClient(connection.id);
    this.logger.log({ connectionId: connection.id, reason, removedInstances: removed }, 'gRPC connection closed');
  }

  /** ClientDetectionRequest to connections silent for NACOS_GRPC_DETECTION_IDLE_MS; no answer closes them. */
  private detectIdle(): void {
    const { detectionIdleMs } = this.config.nacosGrpc;
    const now = Date.now();
    this.connections.sweepUnbound(now);
    for (const connection of this.connections.all()) {
      if (now - connection.lastActiveAt < detectionIdleMs || this.detecting.has(connection.id)) continue;
      this.detecting.add(connection.id);
      this.connections
        .request(connection, 'ClientDetectionRequest', '{}', Math.min(3000, detectionIdleMs))
        .then(
          () => this.connections.touch(connection),
          (err: unknown) => {
            if (this.connections.unregister(connection.id, `no answer to ClientDetectionRequest: ${String(err)}`)) {
              connection.stream.end();
            }
          },
        )
        .finally(() => this.detecting.delete(connection.id));
    }
  }

  private expireLeases(): void {
    const expired = this.registry.expireClients(Date.now());
    if (expired.length > 0) this.logger.log({ clientIds: expired }, 'sync client leases expired');
  }
}
