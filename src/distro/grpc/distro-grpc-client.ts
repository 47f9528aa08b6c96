import { Client, Metadata, credentials, status } from '@grpc/grpc-js';
import { NO_CHANNELZ } from '@/common/grpc-options';
import type { ServiceError } from '@grpc/grpc-js';
import type { ForwardedHttpRequest, ForwardedHttpResponse } from '@/routing/cluster-routing';
import { PeerCallError } from '../distro-types';
import type { BucketDigests, DistroTransport, PeerFailure, SyncResult, VerifyEntry } from '../distro-types';
import { DISTRO_SERVICE, FLOW_CONTROL_WINDOW, MAX_MESSAGE_BYTES, distroMethods } from './distro-proto';
import type {
  DistroMethodName,
  WireForwardResponse,
  WireProbeResponse,
  WireSyncResponse,
  WireVerifyResponse,
} from './distro-proto';
import { SyncRequests, decodeSnapshotChunk } from './sync-wire';

export interface DistroClientOptions {
  /** This node's member id, sent as `from`. */
  self: string;
  /** Resource type of the items this transport carries (one per engine). */
  type: string;
  token?: string;
  /** Deadline of sync and verify calls: a stuck peer must fail its queue, not hang it. */
  callTimeoutMs: number;
  /**
   * Deadline of a forwarded Nacos write, which a client waits for: short, so that a dead or paused
   * peer costs at most this once before the asking node stands in (callTimeoutMs when unset).
   */
  forwardTimeoutMs?: number;
  /** Probes answer at once or the peer counts as failing. */
  probeTimeoutMs: number;
  /** Whole snapshot stream; large registries need more than a unary call. */
  snapshotTimeoutMs: number;
}

export const CHANNEL_OPTIONS = {
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  // What the peer sends us (snapshot chunks) flows without waiting for a window update every 64 KiB.
  'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW,
  // Pings on idle channels find a silently dead peer (no RST, e.g. a partition) between probes.
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
  // A restarted peer should be reachable within a probe interval, not after grpc's 120 s max backoff.
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 1_000,
  ...NO_CHANNELZ,
};

/** Maps a gRPC status to the reason an operator reads in logs and on /api/v1/distro. */
export function failureOf(error: ServiceError): PeerFailure {
  const reasons: Partial<Record<status, PeerFailure>> = {
    [status.UNAVAILABLE]: 'refused',
    [status.DEADLINE_EXCEEDED]: 'timeout',
    [status.UNAUTHENTICATED]: 'unauthenticated',
    [status.FAILED_PRECONDITION]: 'peer not initialized',
    [status.UNIMPLEMENTED]: 'incompatible',
  };
  return reasons[error.code] ?? 'bad response';
}

function asPeerError(error: unknown): PeerCallError {
  if (error instanceof PeerCallError) return error;
  const e = error as ServiceError;
  if (typeof e?.code === 'number' && e.code === status.UNIMPLEMENTED) {
    return new PeerCallError(
      'incompatible',
      `the peer does not serve ${DISTRO_SERVICE} (it runs another Distro protocol version: upgrade every node of the region, see docs/distro.md "Rolling upgrade")`,
    );
  }
  if (typeof e?.code === 'number') return new PeerCallError(failureOf(e), e.details || e.message);
  return new PeerCallError('bad response', error instanceof Error ? error.message : String(error));
}

/** The Distro transport over gRPC: one channel per peer, token in `authorization` metadata. */
export class DistroGrpcClient implements DistroTransport {
  private readonly channels = new Map<string, Client>();
  private readonly syncRequests: SyncRequests;

  constructor(private readonly options: DistroClientOptions) {
    this.syncRequests = new SyncRequests(options.self, options.type);
  }

  async sync(peer: string, items: readonly Uint8Array[]): Promise<SyncResult & { bytes: number }> {
    const request = this.syncRequests.request(items);
    const { response } = await this.unary<WireSyncResponse>(
      peer,
      'Sync',
      request,
      this.options.callTimeoutMs,
      (bytes) => bytes as Buffer,
    );
    return { applied: response.applied, bytes: request.length };
  }

  async verifyBuckets(peer: string, digests: BucketDigests): Promise<number[]> {
    const request = {
      from: this.options.self,
      type: this.options.type,
      buckets: digests.buckets,
      digests: digests.digests,
    };
    const { response } = await this.unary<WireVerifyResponse>(peer, 'Verify', request, this.options.callTimeoutMs);
    return response.mismatched;
  }

  async verifyEntries(
    peer: string,
    buckets: number,
    which: readonly number[],
    entries: readonly VerifyEntry[],
  ): Promise<string[]> {
    const request = {
      from: this.options.self,
      type: this.options.type,
      buckets,
      detailBuckets: which,
      entries: entries.map((e) => ({ clientId: e.key, digest: e.digest })),
    };
    const { response } = await this.unary<WireVerifyResponse>(peer, 'Verify', request, this.options.callTimeoutMs);
    return response.lacking;
  }

  async probe(peer: string): Promise<{ initialized: boolean }> {
    const { response } = await this.unary<WireProbeResponse>(
      peer,
      'Probe',
      { from: this.options.self },
      this.options.probeTimeoutMs,
    );
    return { initialized: response.initialized };
  }

  async forward(peer: string, request: ForwardedHttpRequest): Promise<ForwardedHttpResponse> {
    const timeoutMs = this.options.forwardTimeoutMs ?? this.options.callTimeoutMs;
    // The peer applies it only well before we give up: its answer then has time to come back, and a
    // request held up past that point is refused there rather than applied behind our stand-in answer.
    const deadlineMs = Date.now() + timeoutMs - Math.min(100, timeoutMs / 4);
    const wire = { ...request, from: this.options.self, body: Buffer.from(request.body ?? ''), deadlineMs };
    const { response } = await this.unary<WireForwardResponse>(peer, 'Forward', wire, timeoutMs);
    return { status: response.status, headers: response.headers, body: response.body.toString() };
  }

  snapshot(peer: string, type: string, onChunk: (items: Buffer[]) => void): Promise<void> {
    const method = distroMethods.Snapshot;
    return new Promise((resolve, reject) => {
      const call = this.channel(peer).makeServerStreamRequest(
        method.path,
        method.requestSerialize,
        (bytes: Buffer) => bytes,
        { from: this.options.self, type },
        this.metadata(),
        { deadline: Date.now() + this.options.snapshotTimeoutMs },
      );
      let failed = false;
      call.on('data', (chunk: Buffer) => {
        if (failed) return;
        try {
          onChunk(decodeSnapshotChunk(chunk));
        } catch (error) {
          failed = true;
          call.cancel();
          reject(new PeerCallError('bad response', error instanceof Error ? error.message : String(error)));
        }
      });
      call.on('error', (error) => {
        if (!failed) reject(asPeerError(error));
        failed = true;
      });
      call.on('end', () => {
        if (!failed) resolve();
      });
    });
  }

  knownPeers(): string[] {
    return [...this.channels.keys()];
  }

  /** Drops the channel of a peer that left. */
  removePeer(peer: string): void {
    this.channels.get(peer)?.close();
    this.channels.delete(peer);
  }

  close(): void {
    for (const channel of this.channels.values()) channel.close();
    this.channels.clear();
  }

  private unary<R>(
    peer: string,
    name: DistroMethodName,
    request: object,
    timeoutMs: number,
    serialize: (value: object) => Buffer = distroMethods[name].requestSerialize,
  ): Promise<{ response: R }> {
    const method = distroMethods[name];
    return new Promise((resolve, reject) => {
      this.channel(peer).makeUnaryRequest(
        method.path,
        serialize,
        method.responseDeserialize,
        request,
        this.metadata(),
        { deadline: Date.now() + timeoutMs },
        (error, response) => {
          if (error || response === undefined) reject(asPeerError(error ?? new Error('empty response')));
          else resolve({ response: response as R });
        },
      );
    });
  }

  private metadata(): Metadata {
    const metadata = new Metadata();
    if (this.options.token) metadata.set('authorization', `Bearer ${this.options.token}`);
    return metadata;
  }

  private channel(peer: string): Client {
    let channel = this.channels.get(peer);
    if (!channel) {
      channel = new Client(peer, credentials.createInsecure(), CHANNEL_OPTIONS);
      this.channels.set(peer, channel);
    }
    return channel;
  }
}
