import type { DistroMapper } from './distro-mapper';
import type { DistroMembers } from './distro-members';
import { PeerCallError } from './distro-types';
import { EncodedCache } from './encoded-cache';
import type {
  BucketDigests,
  DistroDataProcessor,
  DistroObserver,
  DistroTransport,
  PeerFailure,
  VerifyEntry,
} from './distro-types';
import { PeerSyncQueue } from './peer-sync-queue';

export interface DistroEngineOptions {
  syncDelayMs: number;
  verifyIntervalMs: number;
  probeIntervalMs: number;
  /** How long a node finding no initialized peer waits before it may open as the first node. */
  bootstrapWaitMs: number;
  /** Whether a node that finds no initialized peer may open as the first node of a new cluster. */
  allowFirstNode: boolean;
  /** First retry delay of a failed snapshot round; doubles up to `loadRetryMaxMs`. */
  loadRetryMs: number;
  loadRetryMaxMs: number;
  /** Most entries in one verify call of the second step (whole buckets per call). */
  verifyChunk: number;
  maxSyncBatch: number;
  /** Sync calls in flight per peer (never two carrying the same key). */
  maxInFlight: number;
  /** Bytes of encoded items kept for the other peers' queues. */
  encodedCacheBytes: number;
}

/** How an item's codec turns it into bytes and back; the transport moves only bytes. */
export interface DistroCodec<T> {
  encode(item: T): Uint8Array;
  /** Throws InvalidPayloadError on bytes that are not valid items. */
  decode(items: readonly Uint8Array[]): T[];
}

/** The least time between two probes of one peer made on reports of it (DistroEngine.probe). */
export const REPORT_PROBE_SPACING_MS = 250;

export interface EngineLog {
  /** False when debug lines are dropped anyway, so per-item ones need not be built. */
  debugEnabled?: boolean;
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/**
 * Failures that mean "nobody with our data is there yet", as opposed to a misconfigured or broken
 * peer. A peer speaking an older protocol (a rolling upgrade) counts as absent: its data cannot be
 * loaded, and waiting for it would stall the upgrade.
 */
const ABSENT: ReadonlySet<PeerFailure> = new Set(['refused', 'timeout', 'peer not initialized', 'incompatible']);

/** A local change waiting to be taken by a peer before its write is answered. */
interface ReplicationWaiter {
  seq: number;
  resolve: (replicated: boolean) => void;
  timer: NodeJS.Timeout;
}

/**
 * The Distro protocol for one data type: keeps peers' copies current (coalesced, batched
 * sync per peer), repairs them (verify rounds), loads a snapshot at start-up and holds the init
 * gate until then. It knows nothing of naming: data and wire are pluggable parts.
 */
export class DistroEngine<T> {
  private readonly queues = new Map<string, PeerSyncQueue>();
  private readonly encoded: EncodedCache;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly probing = new Set<string>();
  /** When each peer was last probed on a report (probe with `raiseOnly`). */
  private readonly reportProbedAt = new Map<string, number>();
  private readonly unsubscribe: () => void;
  private isInitialized: boolean;
  private initNote = 'Distro protocol is not initialized: loading the snapshot from peers';
  private stopped = false;
  private verifying = false;
  private wake: (() => void) | undefined;
  /** Key → sequence number of its newest local change not yet taken by any peer. */
  private readonly unreplicated = new Map<string, number>();
  private changeSeq = 0;
  private readonly waiters = new Map<string, ReplicationWaiter[]>();
  /** Peer → its state at the last membership change, to notice one coming back. */
  private readonly lastStates = new Map<string, string>();

  constructor(
    readonly members: DistroMembers,
    readonly mapper: DistroMapper,
    private readonly transport: DistroTransport,
    readonly processor: DistroDataProcessor<T> & DistroCodec<T>,
    private readonly options: DistroEngineOptions,
    private readonly log: EngineLog,
    private readonly observer: DistroObserver = {},
    /** A node without peers (standalone) is initialized from the start. */
    clustered = true,
    private readonly clock: () => number = Date.now,
  ) {
    this.isInitialized = !clustered;
    this.encoded = new EncodedCache(options.encodedCacheBytes);
    members.onChange(() => this.membersChanged());
    this.membersChanged();
    this.unsubscribe = processor.onLocalChange((key) => {
      if (this.queues.size === 0) return;
      this.unreplicated.set(key, ++this.changeSeq);
      for (const queue of this.queues.values()) queue.enqueue([key]);
    });
  }

  /**
   * Resolves once the newest local change of `key` has been taken by at least one peer (true), or
   * at once when no peer is reachable or nothing is pending, or after `timeoutMs` (false). Writes
   * are answered after it, so a node killed right after answering has already passed the write on.
   */
  replicated(key: string, timeoutMs: number): Promise<boolean> {
    const seq = this.unreplicated.get(key);
    if (seq === undefined) return Promise.resolve(true);
    if (!this.members.peers().some((m) => m.state === 'UP')) return Promise.resolve(false);
    return new Promise((resolve) => {
      const list = this.waiters.get(key) ?? [];
      const waiter: ReplicationWaiter = {
        seq,
        resolve,
        timer: setTimeout(() => {
          const rest = (this.waiters.get(key) ?? []).filter((w) => w !== waiter);
          if (rest.length === 0) this.waiters.delete(key);
          else this.waiters.set(key, rest);
          resolve(false);
        }, timeoutMs),
      };
      list.push(waiter);
      this.waiters.set(key, list);
    });
  }

  /** Queues keys for a peer at once (verify: items it lacks or holds differently). */
  push(peer: string, keys: readonly string[]): void {
    if (keys.length > 0) this.queues.get(peer)?.enqueue(keys, true);
  }

  /** Starts probes, verify rounds and (when clustered and not initialized) the snapshot loader. */
  start(): void {
    this.every(this.options.probeIntervalMs, () => this.probeAll());
    this.every(this.options.verifyIntervalMs, () => void this.verifyRound());
    this.probeAll();
    if (!this.isInitialized) void this.loadSnapshot();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    for (const list of this.waiters.values()) {
      for (const waiter of list) {
        clearTimeout(waiter.timer);
        waiter.resolve(false);
      }
    }
    this.waiters.clear();
    for (const timer of this.timers) clearInterval(timer);
    for (const queue of this.queues.values()) queue.stop();
    this.encoded.clear();
    this.wake?.();
  }

  initialized(): boolean {
    return this.isInitialized;
  }

  /** Why the gate is closed, for readiness and the status endpoint. */
  initState(): string {
    return this.isInitialized ? 'initialized' : this.initNote;
  }

  queueDepth(peer: string): number {
    return this.queues.get(peer)?.depth ?? 0;
  }

  lastSyncAt(peer: string): number | undefined {
    return this.queues.get(peer)?.lastSuccessAt;
  }

  /**
   * Runs one verify round now (the timer calls it every interval): housekeeping (replicas their
   * owner stopped confirming, tombstones past their window), then anti-entropy with every peer not
   * DOWN — one call of bucket digests each, and for the buckets that differ, one listing (more only
   * for very large differences). Each side pushes what the other holds differently; merging makes
   * both the same.
   */
  async verifyRound(): Promise<void> {
    if (this.verifying || this.stopped || !this.isInitialized) return;
    this.verifying = true;
    try {
      const { replicas, tombstones } = this.processor.expire(this.clock());
      if (replicas > 0)
        this.log.info({ expired: replicas }, `Distro forgot ${replicas} replicas their owner stopped confirming`);
      if (tombstones > 0) this.log.debug({ tombstones }, `Distro dropped ${tombstones} tombstones past their window`);
      const peers = this.members.peers().filter((m) => m.state !== 'DOWN');
      if (peers.length === 0) return;
      const digests = this.processor.bucketDigests();
      await Promise.all(peers.map((peer) => this.verifyPeer(peer.id, digests)));
    } finally {
      this.verifying = false;
    }
  }

  /** Verifies with one peer now (it just came back), outside the rounds. */
  private async verifyNow(peer: string): Promise<void> {
    if (this.stopped || !this.isInitialized) return;
    await this.verifyPeer(peer, this.processor.bucketDigests());
  }

  private async verifyPeer(peer: string, digests: BucketDigests): Promise<void> {
    try {
      this.observer.verifyRpc?.(peer);
      const mismatched = await this.transport.verifyBuckets(peer, digests);
      this.members.recordSuccess(peer);
      if (mismatched.length === 0) return;
      const listing = this.processor.entriesIn(digests.buckets, mismatched);
      // Whole buckets per call, so the peer sees each bucket's complete listing.
      for (const [which, chunk] of chunkByBucket(listing, this.options.verifyChunk)) {
        this.observer.verifyRpc?.(peer);
        const lacking = await this.transport.verifyEntries(peer, digests.buckets, which, chunk);
        if (lacking.length > 0) {
          this.observer.verifyMismatches?.(peer, lacking.length);
          this.log.debug(
            { peer, count: lacking.length },
            'Distro verify: peer holds clients differently, pushing ours',
          );
          this.queues.get(peer)?.enqueue(lacking, true);
        }
      }
    } catch (error) {
      this.members.noteError(peer, describe(error));
      this.log.warn({ peer, err: describe(error) }, `Distro verify to ${peer} failed`);
    }
  }

  private membersChanged(): void {
    const before = this.mapper.members().join(',');
    this.mapper.update(this.members.healthy());
    if (this.mapper.members().join(',') !== before) this.processor.responsibilityChanged?.();
    // A peer back in reach (restarted, healed, resumed) is verified at once, not at the next round.
    for (const member of this.members.peers()) {
      const previous = this.lastStates.get(member.id);
      this.lastStates.set(member.id, member.state);
      if (member.state === 'UP' && previous !== undefined && previous !== 'UP') {
        this.queues.get(member.id)?.resume();
        void this.verifyNow(member.id);
      }
    }
    const peers = new Set(this.members.peers().map((m) => m.id));
    for (const id of [...this.lastStates.keys()]) if (!peers.has(id)) this.lastStates.delete(id);
    for (const [peer, queue] of this.queues) {
      if (!peers.has(peer)) {
        queue.stop();
        this.queues.delete(peer);
      }
    }
    for (const peer of peers) {
      if (this.queues.has(peer)) continue;
      this.queues.set(peer, this.createQueue(peer));
    }
    // A peer coming back may let a waiting loader try again now rather than after its backoff.
    this.wake?.();
  }

  private createQueue(peer: string): PeerSyncQueue {
    return new PeerSyncQueue(
      peer,
      async (keys) => {
        const seqs = keys.map((key) => this.unreplicated.get(key));
        const items = this.batchOf(keys);
        if (items.length === 0) return;
        try {
          const result = await this.transport.sync(peer, items);
          this.observer.syncSent?.(peer, true, result.bytes, keys.length);
          this.members.recordSuccess(peer);
          this.taken(keys, seqs);
        } catch (error) {
          this.observer.syncSent?.(peer, false, 0, keys.length);
          throw error;
        }
      },
      {
        delayMs: this.options.syncDelayMs,
        maxBatch: this.options.maxSyncBatch,
        maxInFlight: this.options.maxInFlight,
        minBackoffMs: 200,
        maxBackoffMs: 5000,
      },
      (error, count) => {
        this.members.noteError(peer, describe(error));
        this.log.warn({ peer, clients: count, err: describe(error) }, `Distro sync to ${peer} failed, will retry`);
      },
      this.clock,
    );
  }

  /** A peer took these keys at these change numbers: writes waiting for them may be answered. */
  private taken(keys: readonly string[], seqs: ReadonlyArray<number | undefined>): void {
    for (let i = 0; i < keys.length; i++) {
      const seq = seqs[i];
      if (seq === undefined) continue;
      const key = keys[i];
      if (this.unreplicated.get(key) === seq) this.unreplicated.delete(key);
      const list = this.waiters.get(key);
      if (list === undefined) continue;
      const rest: ReplicationWaiter[] = [];
      for (const waiter of list) {
        if (waiter.seq > seq) {
          rest.push(waiter);
          continue;
        }
        clearTimeout(waiter.timer);
        waiter.resolve(true);
      }
      if (rest.length === 0) this.waiters.delete(key);
      else this.waiters.set(key, rest);
    }
  }

  /** The current state of `keys`, each item encoded once per change whichever peer asks first. */
  private batchOf(keys: readonly string[]): Uint8Array[] {
    const items: Uint8Array[] = [];
    for (const key of keys) {
      const stamp = this.processor.stamp(key);
      const cached = stamp === undefined ? undefined : this.encoded.get(key, stamp);
      if (cached !== undefined) {
        items.push(cached);
        continue;
      }
      const value = this.processor.get(key);
      if (value === 'unknown' || value === 'not-owned') {
        this.encoded.delete(key);
        continue;
      }
      const bytes = this.processor.encode(value);
      if (stamp !== undefined) this.encoded.set(key, stamp, bytes);
      items.push(bytes);
    }
    return items;
  }

  private probeAll(): void {
    this.probe(this.members.peers().map((peer) => peer.id));
  }

  /**
   * Probes these peers now instead of at the next interval (one probe in flight per peer); an id
   * that is not a peer is skipped. Returns the ids probed or already being probed.
   *
   * With `raiseOnly` (a member reported up from outside, Nacos's `PUT /cluster/node/list`), an answer
   * counts as every probe's does, but a failure is only noted, not counted: such calls, however many,
   * can bring a peer UP sooner and never take one DOWN faster than the probes would. They are spaced
   * REPORT_PROBE_SPACING_MS apart per peer, so a caller in a loop cannot make a probe storm either.
   */
  probe(ids: Iterable<string>, options: { raiseOnly?: boolean } = {}): string[] {
    const asked: string[] = [];
    const now = this.clock();
    for (const id of ids) {
      if (!this.members.has(id)) continue;
      asked.push(id);
      if (this.probing.has(id)) continue;
      if (options.raiseOnly) {
        if (now - (this.reportProbedAt.get(id) ?? Number.NEGATIVE_INFINITY) < REPORT_PROBE_SPACING_MS) continue;
        this.reportProbedAt.set(id, now);
      }
      this.probing.add(id);
      this.transport
        .probe(id)
        .then(
          (answer) => this.members.recordSuccess(id, answer.initialized),
          (error: unknown) =>
            options.raiseOnly
              ? this.members.noteError(id, describe(error))
              : this.members.recordFailure(id, describe(error)),
        )
        .finally(() => this.probing.delete(id));
    }
    return asked;
  }

  private async loadSnapshot(): Promise<void> {
    const startedAt = this.clock();
    let retryMs = this.options.loadRetryMs;
    while (!this.stopped && !this.isInitialized) {
      const peers = this.members.peers();
      const failures: PeerFailure[] = [];
      for (const peer of peers) {
        if (await this.loadFrom(peer.id, failures)) return;
        if (this.stopped) return;
      }
      const nobodyThere = failures.every((reason) => ABSENT.has(reason));
      if (this.options.allowFirstNode && nobodyThere) {
        const waited = this.clock() - startedAt;
        const allFresh =
          peers.length > 0 && failures.length === peers.length && failures.every((r) => r === 'peer not initialized');
        // Fresh cluster started together: every peer answers but none holds data; the lowest id seeds it.
        const seed = allFresh && peers.every((p) => this.members.self < p.id);
        if (peers.length === 0 || waited >= this.options.bootstrapWaitMs || seed) {
          this.open(
            seed
              ? 'every peer is up but not initialized and this node has the lowest id: opening as the seed of a new cluster'
              : `no initialized peer answered within DISTRO_BOOTSTRAP_WAIT_MS=${this.options.bootstrapWaitMs}: opening as the first node (DISTRO_ALLOW_FIRST_NODE=true)`,
          );
          return;
        }
      }
      this.initNote = `Distro protocol is not initialized: no snapshot loaded yet (last failures: ${failures.join(', ') || 'no peers'})`;
      await this.sleep(retryMs);
      retryMs = Math.min(retryMs * 2, this.options.loadRetryMaxMs);
    }
  }

  private async loadFrom(peer: string, failures: PeerFailure[]): Promise<boolean> {
    const startedAt = this.clock();
    let items = 0;
    try {
      await this.transport.snapshot(peer, this.processor.type, (chunk) => {
        this.processor.loadSnapshot(this.processor.decode(chunk));
        items += chunk.length;
      });
    } catch (error) {
      const reason = error instanceof PeerCallError ? error.reason : 'bad response';
      failures.push(reason);
      this.members.noteError(peer, describe(error));
      this.log.error(
        { peer, reason, err: describe(error) },
        `[DISTRO-INIT] load snapshot ${this.processor.type} from ${peer} failed. reason: ${reason}`,
      );
      return false;
    }
    const seconds = (this.clock() - startedAt) / 1000;
    this.observer.snapshotLoaded?.(peer, seconds, items);
    this.open(`loaded snapshot ${this.processor.type} from ${peer}: ${items} items in ${seconds.toFixed(3)} s`);
    return true;
  }

  private open(why: string): void {
    this.isInitialized = true;
    this.initNote = why;
    this.log.info({ why }, `[DISTRO-INIT] Distro protocol initialized: ${why}`);
    // Writes other peers took while the snapshot streamed reach this node by their sync; anything
    // else they hold differently, this first round brings in now rather than one interval later.
    void this.verifyRound();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }

  private every(ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms);
    timer.unref();
    this.timers.push(timer);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Splits a verify listing into calls of whole buckets, at most `max` entries each (one bucket may exceed it). */
function chunkByBucket(listing: ReadonlyMap<number, VerifyEntry[]>, max: number): Array<[number[], VerifyEntry[]]> {
  const out: Array<[number[], VerifyEntry[]]> = [];
  let which: number[] = [];
  let chunk: VerifyEntry[] = [];
  for (const [bucket, list] of listing) {
    if (which.length > 0 && chunk.length + list.length > max) {
      out.push([which, chunk]);
      which = [];
      chunk = [];
    }
    which.push(bucket);
    for (const entry of list) chunk.push(entry);
  }
  if (which.length > 0) out.push([which, chunk]);
  return out;
}
