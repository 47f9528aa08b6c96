import { In } from 'typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { TaskStateEntity } from '../entities';
import type { TaskRejectedCopy } from '../entities';
import { storableText } from '@/common/storable-text';
import type { RejectedCopy } from '../reconcile/quarantine';
import type { LiveTaskState } from '../reconcile/task-runner';
import type { HeldLease } from './lease.repository';

/**
 * `task_state`: the live state of each task as its holder last wrote it. A replica writes the
 * state of every task it holds in one statement per round, fenced in SQL: a row is only written
 * while this replica holds that task's lease at that generation. Error texts pass the secret
 * scrubber here, on their way to the API, whatever produced them.
 */
export class TaskStateRepository {
  constructor(private readonly db: DataSource) {}

  /** The empty state row of a new task, in the transaction that creates it. */
  async insertEmpty(tx: EntityManager, taskId: string): Promise<void> {
    await tx.insert(TaskStateEntity, { taskId });
  }

  async findByTaskIds(taskIds: string[]): Promise<TaskStateEntity[]> {
    return this.db.getRepository(TaskStateEntity).findBy({ taskId: In(taskIds) });
  }

  /** The live state of each held task, written only where this replica still holds it at that generation. */
  async write(workerId: string, entries: Array<{ lease: HeldLease; state: LiveTaskState }>): Promise<void> {
    if (entries.length === 0) return;
    const ts = (n: number | null): string | null => (n === null ? null : new Date(n).toISOString());
    await this.db.query(
      `UPDATE task_state s SET
         source_reachable = u.source_reachable, target_reachable = u.target_reachable,
         desired = u.desired, applied = u.applied,
         last_reconcile_at = u.last_reconcile_at, last_change_at = u.last_change_at,
         lag_ms = u.lag_ms, last_error = u.last_error, hold = u.hold,
         rejected = u.rejected, rejected_count = u.rejected_count, next_attempt_at = u.next_attempt_at, updated_at = now()
       FROM unnest($2::uuid[], $3::bigint[], $4::bool[], $5::bool[], $6::int[], $7::int[], $8::timestamptz[], $9::timestamptz[], $10::int[], $11::text[], $12::jsonb[], $13::jsonb[], $14::int[], $15::timestamptz[])
         AS u(task_id, generation, source_reachable, target_reachable, desired, applied, last_reconcile_at, last_change_at, lag_ms, last_error, hold, rejected, rejected_count, next_attempt_at)
       JOIN task_lease l ON l.task_id = u.task_id
       WHERE s.task_id = u.task_id AND l.owner = $1 AND l.generation = u.generation AND l.expires_at > now()`,
      [
        workerId,
        entries.map((e) => e.lease.taskId),
        entries.map((e) => e.lease.generation),
        entries.map((e) => e.state.sourceReachable),
        entries.map((e) => e.state.targetReachable),
        entries.map((e) => e.state.desired),
        entries.map((e) => e.state.applied),
        entries.map((e) => ts(e.state.lastReconcileAt)),
        entries.map((e) => ts(e.state.lastChangeAt)),
        entries.map((e) => (e.state.lagMs === null ? null : Math.round(e.state.lagMs))),
        entries.map((e) => (e.state.lastError === null ? null : storableText(e.state.lastError, 2048))),
        entries.map((e) =>
          e.state.hold
            ? JSON.stringify({
                since: new Date(e.state.hold.since).toISOString(),
                wouldDelete: e.state.hold.wouldDelete,
                total: e.state.hold.total,
                expiresAt: new Date(e.state.hold.expiresAt).toISOString(),
              })
            : null,
        ),
        entries.map((e) => JSON.stringify(e.state.rejected.map(rejectedRow))),
        entries.map((e) => e.state.rejectedCount),
        entries.map((e) => ts(e.state.nextAttemptAt)),
      ],
    );
  }
}

function rejectedRow(r: RejectedCopy): TaskRejectedCopy {
  return {
    service: storableText(`${r.namespace}/${r.groupName}@@${r.serviceName}`, 1024),
    address: storableText(`${r.ip}:${r.port}`, 128),
    clusterName: storableText(r.clusterName, 256),
    refusedBy: r.refusedBy,
    reason: storableText(r.reason, 512),
    since: new Date(r.since).toISOString(),
    attempts: r.attempts,
    retryAt: new Date(r.retryAt).toISOString(),
  };
}
