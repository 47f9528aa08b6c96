import { scrubbedMessage } from '@/common/secret-scrubber';
import { serviceId } from './copy-plan';
import type { CopyRecord } from './copy-plan';
import type { TaskHoldState } from './plan';
import { Quarantine } from './quarantine';
import type { RefusedBy, RejectedCopy } from './quarantine';
import type { RunnerEvents } from './task-runner';

/** What the runner knows about its task right now (persisted to task_state by the worker). */
export interface LiveTaskState {
  sourceReachable: boolean | null;
  targetReachable: boolean | null;
  desired: number;
  applied: number;
  lastReconcileAt: number | null;
  lastChangeAt: number | null;
  lagMs: number | null;
  lastError: string | null;
  hold: TaskHoldState | null;
  /** Source instances the ledger or the target refused, oldest first (at most REJECTED_LISTED). */
  rejected: RejectedCopy[];
  rejectedCount: number;
  /** When what is failing (a start, a write, a deletion) is tried next; null when nothing is. */
  nextAttemptAt: number | null;
}

/** Rejected copies a task's state lists; `rejectedCount` counts them all. */
export const REJECTED_LISTED = 50;

/** The state of a task nobody has run yet. */
export function emptyTaskState(): LiveTaskState {
  return {
    sourceReachable: null,
    targetReachable: null,
    desired: 0,
    applied: 0,
    lastReconcileAt: null,
    lastChangeAt: null,
    lagMs: null,
    lastError: null,
    hold: null,
    rejected: [],
    rejectedCount: 0,
    nextAttemptAt: null,
  };
}

/**
 * The bookkeeping of one task's health: its live state (reachability, last error, counts), the
 * audit events of its transitions, and the quarantine of copies the ledger or the target refused.
 */
export class TaskHealth {
  readonly state: LiveTaskState = emptyTaskState();
  readonly quarantine: Quarantine;

  constructor(
    private readonly events: RunnerEvents,
    private readonly clock: () => number,
    random: () => number,
  ) {
    this.quarantine = new Quarantine(undefined, undefined, random);
  }

  noteSource(reachable: boolean, error?: string): void {
    if (!reachable) this.events.failed?.();
    if (this.state.sourceReachable !== reachable) {
      this.events.event(
        reachable ? 'source-reachable' : 'source-unreachable',
        reachable ? 'source reachable' : `source unreachable: ${error}; copies kept`,
      );
    }
    this.state.sourceReachable = reachable;
    if (error) this.state.lastError = error;
  }

  /** Ledger or lease store unreachable: the change is retried; the copies in the target stay. */
  noteDatabase(err: unknown): void {
    this.events.failed?.();
    this.state.lastError = `database: ${scrubbedMessage(err)}`;
  }

  noteTarget(reachable: boolean, error?: string): void {
    if (!reachable) this.events.failed?.();
    if (this.state.targetReachable !== reachable) {
      this.events.event(
        reachable ? 'target-reachable' : 'target-unreachable',
        reachable ? 'target reachable' : `target unreachable: ${error}`,
      );
    }
    this.state.targetReachable = reachable;
    if (error) this.state.lastError = error;
  }

  /** Quarantines a refused copy; announces it (event, log, metric) once per backoff step. */
  reject(copy: CopyRecord, refusedBy: RefusedBy, reason: string): void {
    const what = `${serviceId(copy)} ${copy.ip}:${copy.port} (cluster ${copy.clusterName})`;
    this.state.lastError = `${refusedBy} refused ${what}: ${reason}`;
    const step = this.quarantine.reject(copy, refusedBy, reason, this.clock());
    if (!step) return;
    this.events.event(
      'copy-rejected',
      `${refusedBy} refused ${what}: ${reason}; kept out until it changes in the source or is retried at ${new Date(step.retryAt).toISOString()}`,
      {
        service: serviceId(copy),
        address: `${copy.ip}:${copy.port}`,
        clusterName: copy.clusterName,
        refusedBy,
        reason,
        attempts: step.attempts,
        retryAt: new Date(step.retryAt).toISOString(),
      },
    );
    this.events.rejected?.(step);
  }

  publishRejected(): void {
    this.state.rejected = this.quarantine.list(REJECTED_LISTED);
    this.state.rejectedCount = this.quarantine.size;
  }
}
