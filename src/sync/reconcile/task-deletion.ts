import { scrubbedMessage } from '@/common/secret-scrubber';
import { Backoff } from '@/common/backoff';
import { isFencedOut } from '../adapters/target-registry';
import { LeaseLostError } from '../store/lease.repository';
import { isPersistentCopy } from './copy-plan';
import type { CopyRecord } from './copy-plan';
import type { CopyIndex } from './plan';
import type { TaskScope } from './reconciler';
import type { TaskHealth } from './task-health';
import type { RunnerDeps } from './task-runner';

/**
 * The deletion of a task: withdraws its copies, empties the ledger and drops the row. A target
 * that does not answer is tried again with backoff; after `deleteTargetWaitMs` the task is
 * dropped anyway and its copies lapse by their TTL (nothing renews them once the deletion began).
 */
export class TaskDeletion {
  private readonly backoff: Backoff;
  /** When this holder first tried to delete the task (the wait for the target counts from there). */
  private since: number | null = null;
  private running = false;
  private deleted = false;

  constructor(
    private readonly scope: TaskScope,
    private readonly deps: RunnerDeps,
    private readonly health: TaskHealth,
    private readonly copies: CopyIndex,
    private readonly clock: () => number,
    random: () => number,
  ) {
    this.backoff = new Backoff(deps.settings.retryBaseMs, deps.settings.retryMaxMs, random);
  }

  /** Whether a failed attempt is due again (and none is running). */
  due(): boolean {
    const { nextAttemptAt } = this.health.state;
    return !this.deleted && !this.running && nextAttemptAt !== null && this.clock() >= nextAttemptAt;
  }

  async run(): Promise<void> {
    if (this.deleted) return;
    this.scope.stop();
    this.running = true;
    const now = this.clock();
    this.since ??= now;
    let unreachable: string | undefined;
    try {
      await this.deps.target.withdrawCopies(this.scope.owner());
      this.health.noteTarget(true);
    } catch (err) {
      if (isFencedOut(err)) {
        // A newer holder has the task (and deletes it); this one is done.
        this.running = false;
        this.scope.fencedOut(err);
        return;
      }
      unreachable = scrubbedMessage(err);
      this.health.noteTarget(false, unreachable);
    }
    const waited = now - this.since;
    if (unreachable !== undefined && waited < this.deps.settings.deleteTargetWaitMs) {
      this.health.state.nextAttemptAt = now + this.backoff.fail();
      this.running = false;
      return;
    }
    try {
      await this.dropTask(unreachable, waited);
    } catch (err) {
      if (err instanceof LeaseLostError) return;
      this.health.noteDatabase(err);
      this.health.state.nextAttemptAt = now + this.backoff.fail();
    } finally {
      this.running = false;
    }
  }

  /** Empties the ledger and drops the row in one fenced transaction, with its audit event. */
  private async dropTask(unreachable: string | undefined, waited: number): Promise<void> {
    const all = this.copies.all();
    const [kind, message, details] =
      unreachable === undefined
        ? ([
            'deleted',
            `withdrew ${all.length} copies and removed the task`,
            { copies: all.length, withdrawn: true },
          ] as const)
        : ([
            'deleted',
            `target did not take the withdrawal for ${Math.round(waited / 1000)} s (${unreachable}): removed the task; its ${all.length} copies lapse by their TTL${leftBehind(all)}`,
            {
              copies: all.length,
              withdrawn: false,
              reason: unreachable,
              persistentLeft: all.filter(isPersistentCopy).length,
            },
          ] as const);
    const taskId = this.scope.task().id;
    await this.scope.fenced(async (tx) => {
      await this.deps.ledger.remove(tx, taskId, all);
      if (this.deps.events.eventIn) await this.deps.events.eventIn(tx, kind, message, { ...details });
      await this.deps.tasks.deleteDeleting(tx, taskId);
    });
    this.copies.clear();
    this.deleted = true;
    this.health.state.nextAttemptAt = null;
    if (!this.deps.events.eventIn) this.deps.events.event(kind, message, { ...details });
  }
}

/** What a task dropped without withdrawal leaves behind for good: its persistent copies never lapse. */
function leftBehind(copies: readonly CopyRecord[]): string {
  const persistent = copies.filter(isPersistentCopy).length;
  if (persistent === 0) return '';
  return ` — except its ${persistent} persistent copies, which never lapse: they stay in the target (metadata syncTaskId) until deregistered there`;
}
