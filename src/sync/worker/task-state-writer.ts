import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { HeldLease } from '../leases/task-lease-store';
import type { LiveTaskState } from '../reconcile/task-runner';

/**
 * Persists the live state of every task a replica holds in one statement per round. Fenced in
 * SQL: a row is only written while this replica holds that task's lease at that generation.
 */
@Injectable()
export class TaskStateWriter {
  constructor(private readonly db: DataSource) {}

  async write(workerId: string, entries: Array<{ lease: HeldLease; state: LiveTaskState }>): Promise<void> {
    if (entries.length === 0) return;
    const ts = (n: number | null): string | null => (n === null ? null : new Date(n).toISOString());
    await this.db.query(
      `UPDATE task_state s SET
         source_reachable = u.source_reachable, target_reachable = u.target_reachable,
         desired = u.desired, applied = u.applied,
         last_reconcile_at = u.last_reconcile_at, last_change_at = u.last_change_at,
         lag_ms = u.lag_ms, last_error = u.last_error, hold = u.hold, updated_at = now()
       FROM unnest($2::uuid[], $3::bigint[], $4::bool[], $5::bool[], $6::int[], $7::int[], $8::timestamptz[], $9::timestamptz[], $10::int[], $11::text[], $12::jsonb[])
         AS u(task_id, generation, source_reachable, target_reachable, desired, applied, last_reconcile_at, last_change_at, lag_ms, last_error, hold)
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
        entries.map((e) => e.state.lastError?.slice(0, 2048) ?? null),
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
      ],
    );
  }
}
