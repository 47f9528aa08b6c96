import type { DistroMapper } from './distro-mapper';
import type { DistroMembers } from './distro-members';
import { PeerCallError } from './distro-types';
import { EncodedCache } from './encoded-cache';
import type { DistroDataProcessor, DistroObserver, DistroTransport, EncodedBatch, PeerFailure } from './distro-types';
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
  /** Keys per verify call; 10,000 owned clients with the default are two calls per peer. */
  verifyChunk: number;
  maxSyncBatch: number;
  /** Sync calls in flight per peer (never two carrying the same key). */
  maxInFlight: number;
  /** Bytes of encoded items kept for the other peers' queues. */
  encodedCacheBytes: number;
}

/** Tries to hand clients back to a returning member (which refuses until it has loaded its snapshot). */
const HANDOVER_ATTEMPTS = 20;

export interface EngineLog {
  /** False when debug lines are dropped anyway, so per-item ones need not be built. */
  debugEnabled?: boolean;
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** Failures that mean "nobody is there yet", as opposed to a misconfigured or broken peer. */
const ABSENT: ReadonlySet<PeerFailure> = new Set(['refused', 'timeout', 'peer not initialized']);

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
  private readonly unsubscribe: () => void;
  private isInitialized: boolean;
  private initNote = 'Distro protocol is not initialized: loading the snapshot from peers';
  private stopped = false;
  private verifying = false;
  private wake: (() => void) | undefined;

  constructor(
    readonly members: DistroMembers,
    readonly mapper: DistroMapper,
    private readonly transport: DistroTransport<T>,
    readonly processor: DistroDataProcessor<T>,
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
      for (const queue of this.queues.values()) queue.enqueue([key]);
    });
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

  /** Runs one verify round now (the timer calls it every interval). */
  async verifyRound(): Promise<void> {
    if (this.verifying || this.stopped) return;
    this.verifying = true;
    try {
      const expired = this.processor.expireReplicas(this.clock());
      if (expired > 0) this.log.info({ expired }, `Distro expired ${expired} replicas nobody verified`);
      const entries = this.processor.ownedEntries();
      if (entries.length === 0) return;
      const peers = this.members.peers().filter((m) => m.state !== 'DOWN');
      await Promise.all(peers.map((peer) => this.verifyPeer(peer.id, entries)));
    } finally {
      this.verifying = false;
    }
  }

  private async verifyPeer(peer: string, entries: ReturnType<DistroDataProcessor<T>['ownedEntries']>): Promise<void> {
    for (let i = 0; i < entries.length; i += this.options.verifyChunk) {
      const chunk = entries.slice(i, i + this.options.verifyChunk);
      try {
        this.observer.verifyRpc?.(peer);
        const lacking = await this.transport.verify(peer, chunk);
        this.members.recordSuccess(peer);
        if (lacking.length > 0) {
          this.observer.verifyMismatches?.(peer, lacking.length);
          this.log.debug({ peer, count: lacking.length }, 'Distro verify: peer lacks clients, pushing them');
          this.queues.get(peer)?.enqueue(lacking, true);
        }
      } catch (error) {
        this.members.noteError(peer, describe(error));
        this.log.warn({ peer, err: describe(error) }, `Distro verify to ${peer} failed`);
        return;
      }
    }
  }

  private membersChanged(): void {
    const before = this.mapper.members().join(',');
    this.mapper.update(this.members.healthy());
    if (this.mapper.members().join(',') !== before) {
      const handovers = this.processor.responsibilityChanged?.();
      if (handovers) for (const [peer, items] of handovers) void this.handOver(peer, items);
    }
    const peers = new Set(this.members.peers().map((m) => m.id));
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
        const batch = this.batchOf(keys);
        if (batch.upserts.length === 0 && batch.deletes.length === 0) return;
        try {
          const result = await this.transport.sync(peer, batch);
          this.observer.syncSent?.(peer, true, result.bytes, keys.length);
          this.members.recordSuccess(peer);
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

  /** The current data of `keys`, each item encoded once per change whichever peer asks first. */
  private batchOf(keys: readonly string[]): EncodedBatch {
    const batch: EncodedBatch = { upserts: [], deletes: [] };
    for (const key of keys) {
      const stamp = this.processor.stamp(key);
      const cached = stamp === undefined ? undefined : this.encoded.get(key, stamp);
      if (cached !== undefined) {
        batch.upserts.push(cached);
        continue;
      }
      const value = this.processor.get(key);
      if (value === 'deleted') {
        this.encoded.delete(key);
        batch.deletes.push(key);
      } else if (value === 'not-owned') {
        this.encoded.delete(key);
      } else {
        const bytes = this.transport.encode(value);
        if (stamp !== undefined) this.encoded.set(key, stamp, bytes);
        batch.upserts.push(bytes);
      }
    }
    return batch;
  }

  /**
   * Sends a member the items this node ran for it while it was away, chunked like syncs. A member
   * still loading its snapshot refuses (it would load over them), so this retries for a while.
   */
  private async handOver(peer: string, items: T[]): Promise<void> {
    let applied = 0;
    let refused = 0;
    for (let i = 0; i < items.length; i += this.options.maxSyncBatch) {
      const batch: EncodedBatch = {
        upserts: items.slice(i, i + this.options.maxSyncBatch).map((item) => this.transport.encode(item)),
        deletes: [],
      };
      for (let attempt = 1; ; attempt++) {
        if (this.stopped) return;
        try {
          const result = await this.transport.sync(peer, batch, true);
          applied += result.applied;
          refused += result.rejected;
          break;
        } catch (error) {
          if (attempt >= HANDOVER_ATTEMPTS) {
            this.log.warn(
              { peer, clients: items.length, err: describe(error) },
              `Distro handover to ${peer} failed; its own copies stand`,
            );
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, this.options.loadRetryMs).unref());
        }
      }
    }
    this.log.info(
      { peer, clients: items.length, applied, refused },
      `Distro handover to ${peer}: ${applied} client(s) taken, ${refused} refused (changed there since, or not its own in its view)`,
    );
  }

  private probeAll(): void {
    for (const peer of this.members.peers()) {
      if (this.probing.has(peer.id)) continue;
      this.probing.add(peer.id);
      this.transport
        .probe(peer.id)
        .then(
          (answer) => this.members.recordSuccess(peer.id, answer.initialized),
          (error: unknown) => this.members.recordFailure(peer.id, describe(error)),
        )
        .finally(() => this.probing.delete(peer.id));
    }
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
      await this.transport.snapshot(peer, (chunk) => {
        this.processor.loadSnapshot(chunk);
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
