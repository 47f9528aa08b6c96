/** The contracts between the Distro engine and its pluggable parts (transport, data processor). */

/** Nacos's resource type name of naming client data; also our wire `type`. */
export const CLIENT_DATA_TYPE = 'Nacos:Naming:v2:ClientData';

export type MemberState = 'UP' | 'SUSPICIOUS' | 'DOWN';

/** One item of a verify listing: its key and the digest of its versioned content. */
export interface VerifyEntry {
  key: string;
  digest: number;
}

/** The first step of a verify round: a digest per bucket of the items the sender speaks for. */
export interface BucketDigests {
  buckets: number;
  digests: number[];
}

export interface SyncResult {
  /** Items whose copy on the receiver changed. */
  applied: number;
}

/** Why a peer call failed, in an operator's words (logged and shown on the status endpoint). */
export type PeerFailure =
  'refused' | 'timeout' | 'unauthenticated' | 'bad response' | 'peer not initialized' | 'incompatible';

/** A peer payload that is not valid data; answered with INVALID_ARGUMENT, nothing applied. */
export class InvalidPayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidPayloadError';
  }
}

export class PeerCallError extends Error {
  constructor(
    readonly reason: PeerFailure,
    detail: string,
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'PeerCallError';
  }
}

/**
 * How the engine reaches a peer; the gRPC client implements it, tests use fakes. It moves opaque
 * items (each encoded once by the data type's codec and sent to every peer) and knows no data type.
 */
export interface DistroTransport {
  sync(peer: string, items: readonly Uint8Array[]): Promise<SyncResult & { bytes: number }>;
  /** Verify, step 1: returns the buckets whose digest differs on the peer. */
  verifyBuckets(peer: string, digests: BucketDigests): Promise<number[]>;
  /** Verify, step 2: every item of the sender in `which`; returns the keys the peer wants pushed. */
  verifyEntries(
    peer: string,
    buckets: number,
    which: readonly number[],
    entries: readonly VerifyEntry[],
  ): Promise<string[]>;
  /** Streams the peer's full snapshot of `type`, chunk by chunk of encoded items; rejects with PeerCallError. */
  snapshot(peer: string, type: string, onChunk: (items: Buffer[]) => void): Promise<void>;
  probe(peer: string): Promise<{ initialized: boolean }>;
}

/**
 * The data side of one resource type: what to send, how to merge what arrives. Items carry
 * versions, so a receiver merges whatever any member sends and keeps the newest of each part.
 */
export interface DistroDataProcessor<T> {
  readonly type: string;
  /** Current state of a key this node speaks for; `unknown` (nothing held) and `not-owned` are skipped. */
  get(key: string): T | 'unknown' | 'not-owned';
  /**
   * A number that changes whenever `get(key)` would return other data, while this node speaks for
   * the key; undefined otherwise. Equal stamps let peers share one encoding of the item.
   */
  stamp(key: string): number | undefined;
  /** Verify sender: the digest of each bucket of the items this node speaks for. */
  bucketDigests(): BucketDigests;
  /** Verify sender: the items this node speaks for in the given buckets, with their digests, by bucket. */
  entriesIn(buckets: number, which: readonly number[]): Map<number, VerifyEntry[]>;
  /** Verify receiver, step 1: the buckets whose digest differs here (and `from` is known alive). */
  compareBuckets(from: string, digests: BucketDigests): number[];
  /**
   * Verify receiver, step 2: `lacking` are the keys `from` should push; `push` the keys this node
   * holds differently and sends back. Replicas `from` owns and no longer lists are forgotten.
   */
  compareEntries(
    from: string,
    buckets: number,
    which: readonly number[],
    entries: readonly VerifyEntry[],
  ): { lacking: string[]; push: string[] };
  /** Merges a peer's items; returns how many changed here. */
  applySync(from: string, items: readonly T[]): SyncResult;
  /** Every item held here, live and removed (with their tombstones). */
  snapshot(): Iterable<T>;
  loadSnapshot(items: readonly T[]): void;
  /** Housekeeping of a verify round: expired replicas, tombstones past their window; returns what went. */
  expire(now: number): { replicas: number; tombstones: number };
  /** The responsible member list changed (a peer joined, left, failed or came back). */
  responsibilityChanged?(): void;
  /** Calls back with the key of every change this node must replicate. */
  onLocalChange(listener: (key: string) => void): () => void;
}

/** What the engine reports for metrics; all optional so tests can pass nothing. */
export interface DistroObserver {
  syncSent?(peer: string, ok: boolean, bytes: number, items: number): void;
  verifyMismatches?(peer: string, count: number): void;
  verifyRpc?(peer: string): void;
  snapshotLoaded?(peer: string, seconds: number, items: number): void;
}
