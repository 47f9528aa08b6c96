export interface PeerSyncQueueOptions {
  /** A key changed again within this long after it was sent waits out the rest of it: its changes travel once. */
  delayMs: number;
  /** Most keys one call carries. */
  maxBatch: number;
  /** Calls in flight at once; a key is never in two of them, so a peer never sees its changes out of order. */
  maxInFlight: number;
  minBackoffMs: number;
  maxBackoffMs: number;
}

/**
 * The outgoing changes for one peer: an ordered set of keys (so repeated changes coalesce), retried
 * with exponential backoff on failure. Each peer has its own queue, so a slow or dead peer never
 * delays the others.
 *
 * When to send: an idle queue sends at once (after the current turn of the event loop, so the
 * changes of one operation travel together) — a fixed wait would only add latency. Batches form
 * by themselves under load: while `maxInFlight` calls travel, new changes gather and go in the next
 * call when one returns. A key sent less than `delayMs` ago waits until `delayMs` after that send,
 * so a client that keeps changing costs its peers at most about one call per `delayMs`.
 */
export class PeerSyncQueue {
  /** Key → earliest time it may be sent; insertion order is send order. */
  private readonly pending = new Map<string, number>();
  /** Keys of calls in flight: held back from new calls so one key's changes arrive in order. */
  private readonly sending = new Set<string>();
  /** Key → when it was last sent, oldest first; entries older than `delayMs` are dropped as we go. */
  private readonly sentAt = new Map<string, number>();
  private immediate: NodeJS.Immediate | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private inFlight = 0;
  private backoffMs = 0;
  /** No call before this time (the backoff after a failure). */
  private retryAt = 0;
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

  /**
   * Queues keys; `now` skips the per-key delay (verify repairs). A repair of a key that a call in
   * flight carries, unchanged since (a change would have queued it again), is that call itself: it
   * is not sent a second time (a peer verified in the middle of a burst lacks every key on the way).
   * Should the call fail, its keys are queued again anyway.
   */
  enqueue(keys: Iterable<string>, now = false): void {
    if (this.stopped) return;
    const time = this.clock();
    this.forgetOldSends(time);
    let earliest = Infinity;
    for (const key of keys) {
      if (now && this.sending.has(key) && !this.pending.has(key)) continue;
      const last = now ? undefined : this.sentAt.get(key);
      const readyAt = last === undefined ? time : last + this.options.delayMs;
      const queued = this.pending.get(key);
      if (queued === undefined || readyAt < queued) this.pending.set(key, readyAt);
      if (!this.sending.has(key)) earliest = Math.min(earliest, readyAt);
    }
    this.wakeAt(earliest);
  }

  /** The peer answers again (a probe succeeded): what waits behind the backoff goes now. */
  resume(): void {
    if (this.stopped || this.retryAt === 0) return;
    this.backoffMs = 0;
    this.retryAt = 0;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    this.pending.clear();
    this.sentAt.clear();
  }

  /** Arranges the next flush for the earliest pending key that is not in flight. */
  private schedule(): void {
    if (this.stopped || this.immediate || this.inFlight >= this.options.maxInFlight) return;
    const now = this.clock();
    let earliest = Infinity;
    for (const [key, readyAt] of this.pending) {
      if (readyAt >= earliest || this.sending.has(key)) continue;
      earliest = readyAt;
      // One key ready now is enough to flush at once: a burst of 10,000 keys is not scanned per call.
      if (readyAt <= now) break;
    }
    this.wakeAt(earliest);
  }

  /** Flushes after this turn of the event loop when `at` has come (and no backoff holds), else at `at`. */
  private wakeAt(at: number): void {
    if (this.stopped || this.immediate || this.inFlight >= this.options.maxInFlight || at === Infinity) return;
    const when = Math.max(at, this.retryAt);
    const wait = when - this.clock();
    if (wait <= 0) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = Infinity;
      this.immediate = setImmediate(() => {
        this.immediate = undefined;
        void this.flush();
      });
      return;
    }
    if (this.timer && this.timerAt <= when) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = when;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.schedule();
    }, wait);
  }

  private async flush(): Promise<void> {
    if (this.stopped || this.inFlight >= this.options.maxInFlight) return;
    const now = this.clock();
    if (now < this.retryAt) return this.schedule();
    const keys: string[] = [];
    for (const [key, readyAt] of this.pending) {
      if (readyAt > now || this.sending.has(key)) continue;
      keys.push(key);
      if (keys.length >= this.options.maxBatch) break;
    }
    if (keys.length === 0) return this.schedule();
    for (const key of keys) {
      this.pending.delete(key);
      this.sending.add(key);
      // Re-inserting moves the key to the end, keeping the map ordered by send time.
      this.sentAt.delete(key);
      this.sentAt.set(key, now);
    }
    this.inFlight++;
    // Pipelining: the next ready batch goes out while this one travels.
    this.schedule();
    try {
      await this.send(keys);
      this.backoffMs = 0;
      this.retryAt = 0;
      this.lastSuccessAt = this.clock();
    } catch (error) {
      // Put them back, ready at once (behind the backoff); a newer change is the same key, so nothing is lost.
      for (const key of keys) this.pending.set(key, 0);
      this.backoffMs = Math.min(this.options.maxBackoffMs, Math.max(this.options.minBackoffMs, this.backoffMs * 2));
      this.retryAt = this.clock() + this.backoffMs;
      this.onError(error, keys.length);
    } finally {
      this.inFlight--;
      for (const key of keys) this.sending.delete(key);
    }
    this.schedule();
  }

  private forgetOldSends(now: number): void {
    for (const [key, at] of this.sentAt) {
      if (now - at < this.options.delayMs) break;
      this.sentAt.delete(key);
    }
  }
}
