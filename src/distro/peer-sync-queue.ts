export interface PeerSyncQueueOptions {
  /** Changes to the same key within this window travel once (coalescing). */
  delayMs: number;
  /** Most keys one call carries. */
  maxBatch: number;
  /** Calls in flight at once; a key is never in two of them, so a peer never sees its changes out of order. */
  maxInFlight: number;
  minBackoffMs: number;
  maxBackoffMs: number;
}

/**
 * The outgoing changes for one peer: a set of keys (so repeated changes coalesce), flushed after
 * `delayMs`, up to `maxInFlight` calls at once (encoding the next batch while the peer applies the
 * last), retried with exponential backoff on failure. Each peer has its own queue, so a slow or dead
 * peer never delays the others.
 */
export class PeerSyncQueue {
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  /** Keys of calls in flight: held back from new calls so one key's changes arrive in order. */
  private readonly sending = new Set<string>();
  private backoffMs = 0;
  private stopped = false;
  lastSuccessAt: number | undefined;

  constructor(
    readonly peer: string,
    /** Sends the current data of these keys; rejects when the peer did not take them. */
    private readonly send: (keys: string[]) => Promise<void>,
    private readonly options: PeerSyncQueueOptions,
    private readonly onError: (error: unknown, keys: number) => void,
    private readonly clock: () => number = Date.now,
  ) {}

  get depth(): number {
    return this.pending.size;
  }

  /** Queues keys; `now` skips the coalescing delay (verify repairs). */
  enqueue(keys: Iterable<string>, now = false): void {
    if (this.stopped) return;
    for (const key of keys) this.pending.add(key);
    if (this.pending.size === 0) return;
    this.schedule(now ? 0 : this.options.delayMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  private schedule(delayMs: number): void {
    // A pending backoff wins over a new change: hammering a failing peer helps nobody.
    if (this.timer || this.inFlight >= this.options.maxInFlight || this.stopped) return;
    this.timer = setTimeout(() => void this.flush(), Math.max(delayMs, this.backoffMs));
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    if (this.stopped || this.inFlight >= this.options.maxInFlight) return;
    const keys: string[] = [];
    for (const key of this.pending) {
      if (this.sending.has(key)) continue;
      keys.push(key);
      if (keys.length >= this.options.maxBatch) break;
    }
    if (keys.length === 0) return;
    for (const key of keys) {
      this.pending.delete(key);
      this.sending.add(key);
    }
    this.inFlight++;
    // Start the next batch while this one travels, when there is one and no backoff is pending.
    if (this.pending.size > 0 && this.backoffMs === 0) this.schedule(0);
    try {
      await this.send(keys);
      this.backoffMs = 0;
      this.lastSuccessAt = this.clock();
    } catch (error) {
      // Put them back; a newer change to the same key is the same key, so nothing is lost.
      for (const key of keys) this.pending.add(key);
      this.backoffMs = Math.min(this.options.maxBackoffMs, Math.max(this.options.minBackoffMs, this.backoffMs * 2));
      this.onError(error, keys.length);
    } finally {
      this.inFlight--;
      for (const key of keys) this.sending.delete(key);
    }
    if (this.pending.size > 0) this.schedule(0);
  }
}
