import type { ServiceSnapshot } from '../adapters/source-registry';
import { Backoff } from '@/common/backoff';
import { serviceIdOf } from './plan';
import type { LiveTaskState } from './task-health';
import type { TaskScope } from './reconciler';

/** A target that did not take a change is tried again soon (a blip), then at most every 5 s. */
const WRITE_RETRY_BASE_MS = 200;
const WRITE_RETRY_MAX_MS = 5000;

/**
 * The source's changes on their way to the target: per service the latest snapshot, collected
 * for `debounceMs` and written as one batch through the task's queue; a batch the target or the
 * ledger did not take is kept (newer changes win) and tried again with backoff, so nothing is dropped.
 */
export class ChangeFeed {
  private readonly pending = new Map<string, ServiceSnapshot>();
  private timer: NodeJS.Timeout | undefined;
  private since: number | null = null;
  /** Retries of change flushes the target did not take: fast at first, for a blip. */
  private readonly backoff: Backoff;
  /** Sequence of applied flushes, and the last one per service: a reconcile skips services written after its read. */
  private seq = 0;
  private readonly flushedAt = new Map<string, number>();

  constructor(
    private readonly scope: TaskScope,
    /** Applies changed services; false when nothing could be written (the feed retries). */
    private readonly apply: (batch: ServiceSnapshot[]) => Promise<boolean>,
    private readonly state: LiveTaskState,
    private readonly debounceMs: number,
    private readonly clock: () => number,
    random: () => number,
  ) {
    this.backoff = new Backoff(WRITE_RETRY_BASE_MS, WRITE_RETRY_MAX_MS, random);
  }

  /** When the oldest change not yet written came in; null when every change is written. */
  get pendingSince(): number | null {
    return this.since;
  }

  /** A mark to ask `writtenSince` about later. */
  get mark(): number {
    return this.seq;
  }

  /** Whether a flush wrote the service after `mark`. */
  writtenSince(sid: string, mark: number): boolean {
    return (this.flushedAt.get(sid) ?? 0) > mark;
  }

  /** A service of the task changed in the source. */
  add(s: ServiceSnapshot): void {
    this.state.lastChangeAt = this.clock();
    this.since ??= this.clock();
    this.pending.set(serviceIdOf(s.key), s);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.scope.enqueue(() => this.flush());
    }, this.debounceMs);
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private async flush(): Promise<void> {
    if (this.scope.stopped() || this.pending.size === 0) return;
    if (this.scope.task().status !== 'running') {
      this.pending.clear();
      return;
    }
    const batch = [...this.pending.values()];
    this.pending.clear();
    const startedAt = this.since;
    this.since = null;
    const ok = await this.apply(batch);
    if (ok) {
      for (const each of batch) this.flushedAt.set(serviceIdOf(each.key), ++this.seq);
      this.backoff.reset();
      this.state.nextAttemptAt = null;
      if (startedAt !== null) this.state.lagMs = this.clock() - startedAt;
      return;
    }
    // Keep the changes (newer ones win) and try again with backoff: nothing is dropped.
    for (const s of batch) if (!this.pending.has(serviceIdOf(s.key))) this.pending.set(serviceIdOf(s.key), s);
    this.since ??= startedAt;
    if (this.scope.stopped()) return;
    const delay = this.backoff.fail();
    this.state.nextAttemptAt = this.clock() + delay;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.scope.enqueue(() => this.flush());
    }, delay);
  }
}
