import type { EventEmitter } from 'node:events';
import type { Http2Session } from 'node:http2';
import { Server, ServerCredentials, status } from '@grpc/grpc-js';
import { NO_CHANNELZ } from '@/common/grpc-options';
import type { Metadata, ServerUnaryCall, ServerWritableStream, ServiceDefinition, sendUnaryData } from '@grpc/grpc-js';
import { secretsEqual } from '@/common/secret-compare';
import { FORWARD_DEADLINE_HEADER, MemberLeavingError } from '@/routing/cluster-routing';
import type { ForwardedHttpRequest, ForwardedHttpResponse } from '@/routing/cluster-routing';
import { InvalidPayloadError } from '../distro-types';
import type { BucketDigests, SyncResult, VerifyEntry } from '../distro-types';
import { DISTRO_PROTOCOL, FLOW_CONTROL_WINDOW, MAX_MESSAGE_BYTES, distroMethods } from './distro-proto';
import type {
  DistroMethodName,
  WireForwardRequest,
  WireProbeRequest,
  WireSnapshotRequest,
  WireVerifyRequest,
} from './distro-proto';
import { decodeSyncRequest, encodeSnapshotChunk } from './sync-wire';
import type { SyncRequestHead } from './sync-wire';

/**
 * What the server needs from the node: the engines' data sides (by resource type) and the HTTP app
 * for forwards. Items travel as opaque bytes; the data type's processor decodes them.
 */
export interface DistroPeerHandler {
  readonly self: string;
  initialized(): boolean;
  /** Peers we accept calls from (the member list). */
  isMember(from: string): boolean;
  /** True for a resource type this node replicates. */
  knowsType(type: string): boolean;
  /** Merges items `from` sent; throws InvalidPayloadError on items that do not decode. */
  sync(from: string, type: string, items: Buffer[]): SyncResult;
  /** Verify step 1: the buckets whose digest differs here. */
  verifyBuckets(from: string, type: string, digests: BucketDigests): number[];
  /** Verify step 2: the keys `from` should push (this node pushes its own differing ones itself). */
  verifyEntries(from: string, type: string, buckets: number, which: number[], entries: VerifyEntry[]): string[];
  /** Every item of `type` held here, encoded. */
  snapshot(type: string): Iterable<Uint8Array>;
  forward(request: ForwardedHttpRequest): Promise<ForwardedHttpResponse>;
}

export interface ServerLog {
  debug(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** Bytes of encoded items per snapshot chunk. */
const SNAPSHOT_CHUNK_BYTES = 256 * 1024;
const MAX_VERIFY_ENTRIES = 100_000;
const MAX_BUCKETS = 65_536;

/** What a member answers to Forward while it shuts down (UNAVAILABLE): the asking member handles the request. */
export const LEAVING_DETAILS = 'member is shutting down';

class CallError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

/**
 * grpc-js (1.14) has a client option for the receive window (`grpc-node.flow_control_window`) but
 * none for a server, so the server's HTTP/2 settings are set where grpc-js keeps them before it
 * binds: each call's window is FLOW_CONTROL_WINDOW instead of 64 KiB.
 */
function widenStreamWindow(server: Server): void {
  const internals = server as unknown as { commonServerOptions?: { settings?: Record<string, unknown> } };
  const options = internals.commonServerOptions;
  if (options === undefined) return;
  options.settings = { ...options.settings, initialWindowSize: FLOW_CONTROL_WINDOW };
}

/** And each peer connection's window, as the grpc-js client does for its own option, once bound. */
function widenConnectionWindow(server: Server): void {
  const internals = server as unknown as { http2Servers?: Map<EventEmitter, unknown> };
  for (const http2Server of internals.http2Servers?.keys() ?? []) {
    http2Server.on('session', (session: Http2Session) => {
      try {
        session.setLocalWindowSize(FLOW_CONTROL_WINDOW);
      } catch {
        // A session closed at once keeps its default window; nothing is sent on it anyway.
      }
    });
  }
}

/**
 * The Distro peer server. Requests arrive as raw bytes and are decoded here, so a payload that is
 * not a valid message is INVALID_ARGUMENT (grpc-js itself would say INTERNAL) and changes nothing.
 */
export class DistroGrpcServer {
  private readonly server = new Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    // Peers ping idle channels every 10 s (see CHANNEL_OPTIONS); allow it instead of answering GOAWAY.
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 5_000,
    ...NO_CHANNELZ,
  });
  /** Calls refused for a missing/wrong token or an unknown sender, for metrics. */
  onRefused: (reason: 'unauthenticated' | 'unknown sender' | 'invalid payload') => void = () => undefined;

  constructor(
    private readonly handler: DistroPeerHandler,
    private readonly token: string | undefined,
    private readonly log: ServerLog,
  ) {
    // Requests arrive as bytes (decoded in `admit`); snapshot chunks leave as bytes we encoded.
    const raw = Object.fromEntries(
      Object.entries(distroMethods).map(([name, method]) => [
        name,
        {
          ...method,
          requestDeserialize: (b: Buffer) => b,
          ...(name === 'Snapshot' ? { responseSerialize: (b: Buffer) => b } : {}),
        },
      ]),
    ) as unknown as ServiceDefinition;
    widenStreamWindow(this.server);
    this.server.addService(raw, {
      Sync: this.unary('Sync', (req: SyncRequestHead, from) => {
        this.checkType(req.type);
        return this.handler.sync(from, req.type, req.items);
      }),
      Verify: this.unary('Verify', (req: WireVerifyRequest, from) => this.verify(req, from)),
      Probe: this.unary('Probe', (_req: WireProbeRequest) => ({
        member: this.handler.self,
        initialized: this.handler.initialized(),
        protocol: DISTRO_PROTOCOL,
      })),
      Forward: this.unary('Forward', async (req: WireForwardRequest) => {
        if (typeof req.url !== 'string' || !req.url.startsWith('/nacos/'))
          throw new InvalidPayloadError('only /nacos/ requests are forwarded');
        if (!/^[A-Z]{3,7}$/.test(req.method)) throw new InvalidPayloadError('bad method');
        // The sender has given up and handled it itself: applying it now could contradict its answer.
        if (req.deadlineMs > 0 && Date.now() > req.deadlineMs) {
          throw new CallError(status.DEADLINE_EXCEEDED, 'arrived after the sender gave up; not applied');
        }
        const answer = await this.handler.forward({
          method: req.method,
          url: req.url,
          // The write is applied only with versions stamped by then (WriteForwarder, Registry.writeBefore).
          headers:
            req.deadlineMs > 0 ? { ...req.headers, [FORWARD_DEADLINE_HEADER]: String(req.deadlineMs) } : req.headers,
          body: req.body.toString(),
        });
        return { status: answer.status, headers: answer.headers, body: Buffer.from(answer.body) };
      }),
      Snapshot: (call: ServerWritableStream<Buffer, Buffer>) => void this.snapshot(call),
    });
  }

  /** Binds host:port (0 = any free port) and returns the bound port. */
  start(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (error, bound) => {
        if (error) {
          reject(error);
          return;
        }
        widenConnectionWindow(this.server);
        resolve(bound);
      });
    });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 2000);
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  private unary<Req>(name: DistroMethodName, fn: (request: Req, from: string) => object | Promise<object>) {
    return (call: ServerUnaryCall<Buffer, object>, callback: sendUnaryData<object>): void => {
      (async () => {
        const request = this.admit<Req>(name, call.request, call.metadata, call.getPeer());
        return fn(request, (request as { from?: string }).from ?? '');
      })().then(
        (response) => callback(null, response),
        (error: unknown) => callback(this.toStatus(error, name, call.getPeer())),
      );
    };
  }

  /** Both verify steps: bucket digests (step 1), or the listing of some buckets (step 2). */
  private verify(req: WireVerifyRequest, from: string): object {
    this.checkType(req.type);
    const buckets = req.buckets;
    if (!Number.isInteger(buckets) || buckets < 1 || buckets > MAX_BUCKETS || (buckets & (buckets - 1)) !== 0) {
      throw new InvalidPayloadError('buckets must be a power of two up to 65536');
    }
    const detail = req.detailBuckets ?? [];
    if (detail.length === 0) {
      const digests = req.digests ?? [];
      if (digests.length !== buckets || !digests.every((d) => Number.isSafeInteger(d) && d >= 0)) {
        throw new InvalidPayloadError('digests must be one non-negative integer per bucket');
      }
      return { mismatched: this.handler.verifyBuckets(from, req.type, { buckets, digests }), lacking: [] };
    }
    if (!detail.every((b) => Number.isInteger(b) && b >= 0 && b < buckets)) {
      throw new InvalidPayloadError('detail buckets must be bucket numbers');
    }
    const wire = req.entries ?? [];
    if (wire.length > MAX_VERIFY_ENTRIES) throw new InvalidPayloadError('malformed verify list');
    const entries = wire.map((e) => {
      if (typeof e.clientId !== 'string' || e.clientId.length === 0 || !Number.isSafeInteger(e.digest)) {
        throw new InvalidPayloadError('malformed verify entry');
      }
      return { key: e.clientId, digest: e.digest };
    });
    return { mismatched: [], lacking: this.handler.verifyEntries(from, req.type, buckets, detail, entries) };
  }

  private async snapshot(call: ServerWritableStream<Buffer, Buffer>): Promise<void> {
    let cancelled = false;
    call.on('cancelled', () => (cancelled = true));
    try {
      const request = this.admit<WireSnapshotRequest>('Snapshot', call.request, call.metadata, call.getPeer());
      this.checkType(request.type);
      if (!this.handler.initialized()) throw new CallError(status.FAILED_PRECONDITION, 'peer not initialized');
      let chunk: Uint8Array[] = [];
      let size = 0;
      for (const item of this.handler.snapshot(request.type)) {
        if (cancelled) return;
        chunk.push(item);
        size += item.length;
        if (size >= SNAPSHOT_CHUNK_BYTES) {
          // Respect flow control: a slow reader must not make us buffer the whole registry.
          if (!call.write(encodeSnapshotChunk(chunk))) await new Promise((resolve) => call.once('drain', resolve));
          chunk = [];
          size = 0;
        }
      }
      if (chunk.length > 0 && !cancelled) call.write(encodeSnapshotChunk(chunk));
      call.end();
    } catch (error) {
      // grpc-js turns an 'error' event on a server stream into the call's status.
      call.emit('error', this.toStatus(error, 'Snapshot', call.getPeer()));
    }
  }

  /** Token, decoding and sender checks shared by every call; throws CallError. */
  private admit<Req>(name: DistroMethodName, bytes: Buffer, metadata: Metadata, peer: string): Req {
    if (this.token) {
      const presented = metadata.get('authorization')[0];
      if (typeof presented !== 'string' || !secretsEqual(presented, `Bearer ${this.token}`)) {
        this.onRefused('unauthenticated');
        // The peer address says which node is misconfigured; the token itself is never logged.
        this.log.warn(
          { peer, method: name },
          `Distro call ${name} from ${peer} rejected: UNAUTHENTICATED (missing or wrong DISTRO_TOKEN)`,
        );
        throw new CallError(status.UNAUTHENTICATED, 'a valid Distro token is required');
      }
    }
    let request: Req;
    try {
      request = (name === 'Sync' ? decodeSyncRequest(bytes) : distroMethods[name].requestDeserialize(bytes)) as Req;
    } catch (error) {
      if (error instanceof InvalidPayloadError) throw error;
      throw new InvalidPayloadError('undecodable message');
    }
    const from = (request as { from?: unknown }).from;
    if (name !== 'Probe' && (typeof from !== 'string' || !this.handler.isMember(from))) {
      this.onRefused('unknown sender');
      this.log.warn({ peer, from, method: name }, `Distro call ${name} from ${peer} rejected: sender is not a member`);
      throw new CallError(status.PERMISSION_DENIED, 'sender is not a member of this cluster');
    }
    return request;
  }

  private checkType(type: string): void {
    if (!this.handler.knowsType(type)) throw new InvalidPayloadError(`unknown resource type "${type}"`);
  }

  private toStatus(error: unknown, method: string, peer: string): { code: status; details: string } {
    if (error instanceof CallError) return { code: error.code, details: error.message };
    if (error instanceof MemberLeavingError) return { code: status.UNAVAILABLE, details: LEAVING_DETAILS };
    if (error instanceof InvalidPayloadError) {
      this.onRefused('invalid payload');
      this.log.warn(
        { peer, method, err: error.message },
        `Distro call ${method} from ${peer} rejected: INVALID_ARGUMENT`,
      );
      return { code: status.INVALID_ARGUMENT, details: error.message };
    }
    this.log.warn({ peer, method, err: String(error) }, `Distro call ${method} failed`);
    return { code: status.INTERNAL, details: 'internal error' };
  }
}
