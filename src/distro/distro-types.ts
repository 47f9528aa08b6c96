/** The contracts between the Distro engine and its pluggable parts (transport, data processor). */

/** Nacos's resource type name of naming client data; also our wire `type`. */
export const CLIENT_DATA_TYPE = 'Nacos:Naming:v2:ClientData';
/**
 * Our extension: the same client data, sent by a node that ran ip-port clients while their
 * responsible node was away, to that node once it is back (see ClientDataProcessor.applyHandover).
 */
export const CLIENT_HANDOVER_TYPE = 'Nacos:Naming:v2:ClientData:Handover';

export type MemberState = 'UP' | 'SUSPICIOUS' | 'DOWN';

export interface VerifyEntry {
  key: string;
  revision: number;
}

/** Full current data of changed items plus the keys of removed ones, for one peer call. */
export interface SyncBatch<T> {
  upserts: T[];
  deletes: string[];
}

/** A sync call's payload: items already encoded by `DistroTransport.encode`, and removed keys. */
export interface EncodedBatch {
  upserts: Uint8Array[];
  deletes: string[];
}

export interface SyncResult {
  applied: number;
  /** Items refused because the sender is not responsible for them. */
  rejected: number;
}

/** Why a peer call failed, in an operator's words (logged and shown on the status endpoint). */
export type PeerFailure = 'refused' | 'timeout' | 'unauthenticated' | 'bad response' | 'peer not initialized';

export class PeerCallError extends Error {
  constructor(
    readonly reason: PeerFailure,
    detail: string,
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'PeerCallError';
  }
}

/** How the engine reaches a peer; the gRPC client implements it, tests use fakes. */
export interface DistroTransport<T> {
  /** One item's wire bytes; the engine encodes each change once and sends the bytes to every peer. */
  encode(item: T): Uint8Array;
  /** `handover`: the items are ones this node ran for `peer` while it was away (CLIENT_HANDOVER_TYPE). */
  sync(peer: string, batch: EncodedBatch, handover?: boolean): Promise<SyncResult & { bytes: number }>;
  /** Returns the keys the peer lacks or holds at another revision. */
  verify(peer: string, entries: readonly VerifyEntry[]): Promise<string[]>;
  /** Streams the peer's full snapshot, chunk by chunk; rejects with PeerCallError. */
  snapshot(peer: string, onChunk: (items: T[]) => void): Promise<void>;
  probe(peer: string): Promise<{ initialized: boolean }>;
}

/** The data side of one resource type: what to send, how to apply what arrives. */
export interface DistroDataProcessor<T> {
  readonly type: string;
  /** Current data of a key this node owns; `deleted` is sent as a delete, `not-owned` is skipped. */
  get(key: string): T | 'deleted' | 'not-owned';
  /**
   * A token that changes whenever `get(key)` would return other data, while this node owns the
   * key; undefined otherwise. Equal stamps let peers share one encoding of the item.
   */
  stamp(key: string): string | undefined;
  /** Keys and revisions of every item this node is responsible for (a verify round). */
  ownedEntries(): VerifyEntry[];
  /** Applies a peer's batch, refusing items `from` is not responsible for. */
  applySync(from: string, batch: SyncBatch<T>): SyncResult;
  /** Renews matching replicas; returns keys missing here or at another revision. */
  applyVerify(from: string, entries: readonly VerifyEntry[]): string[];
  /** Every item held here, local and replicated. */
  snapshot(): Iterable<T>;
  loadSnapshot(items: readonly T[]): void;
  /** Drops replicas nobody renewed in time; returns how many. */
  expireReplicas(now: number): number;
  /** The responsible member list changed (a peer joined, left, failed or came back). */
  /**
   * The members changed; returns, per member now responsible for them, the items this node ran
   * and hands back (they are replicas here from now on).
   */
  responsibilityChanged?(): Map<string, T[]> | void;
  /** Calls back with the key of every change this node must replicate. */
  onLocalChange(listener: (key: string) => void): () => void;
}

/** What the engine reports for metrics; all optional so tests can pass nothing. */
export interface DistroObserver {
  syncSent?(peer: string, ok: boolean, bytes: number, items: number): void;
  verifyMismatches?(peer: string, count: number): void;
  verifyRpc?(peer: string): void;
  snapshotLoaded?(peer: string, seconds: number, items: number): void;
  rejected?(from: string, count: number): void;
}
