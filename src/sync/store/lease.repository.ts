import type { DataSource, EntityManager } from 'typeorm';
import { sqlRows } from '@/database/sql';

/** A lease this replica holds: the task and the fencing generation of this holding. */
export interface HeldLease {
  taskId: string;
  generation: string;
  expiresAt: Date;
}

/** Thrown when a fenced write finds that this replica no longer holds the lease it wrote under. */
export class LeaseLostError extends Error {
  constructor(
    readonly taskId: string,
    readonly generation: string,
  ) {
    super(`lease of task ${taskId} at generation ${generation} is no longer held`);
    this.name = 'LeaseLostError';
  }
}

/** Who holds a task's lease now (a live lease only), for the task views. */
export interface LeaseHolder {
  taskId: string;
  owner: string | null;
  expiresAt: Date | null;
}

/**
 * `task_lease`: which replica holds each task, until when, at which generation. Every time
 * comparison uses the database clock (now()), so replicas with skewed clocks still agree on who
 * holds what.
 */
export class LeaseRepository {
  constructor(private readonly db: DataSource) {}

  /** Extends every lease this replica still validly holds; the ones missing from the answer are lost. */
  async renew(workerId: string, ttlMs: number): Promise<HeldLease[]> {
    const rows = await sqlRows<LeaseRow>(
      this.db,
      `UPDATE task_lease
          SET expires_at = now() + make_interval(secs => $2::double precision / 1000), renewed_at = now()
        WHERE owner = $1 AND expires_at > now()
        RETURNING task_id, generation, expires_at`,
      [workerId, ttlMs],
    );
    return rows.map(toHeld);
  }

  /**
   * Takes up to `limit` leases that nobody holds (new tasks, expired or released leases). Each
   * taking bumps the generation, which fences out any earlier holder. SKIP LOCKED lets replicas
   * claim concurrently without blocking or double-claiming.
   */
  async claim(workerId: string, ttlMs: number, limit: number): Promise<HeldLease[]> {
    if (limit <= 0) return [];
    await this.db.query(
      `INSERT INTO task_lease (task_id) SELECT id FROM sync_task t
        WHERE NOT EXISTS (SELECT 1 FROM task_lease l WHERE l.task_id = t.id)
       ON CONFLICT (task_id) DO NOTHING`,
    );
    const rows = await sqlRows<LeaseRow>(
      this.db,
      `UPDATE task_lease l
          SET owner = $1, generation = l.generation + 1,
              expires_at = now() + make_interval(secs => $2::double precision / 1000),
              acquired_at = now(), renewed_at = now()
        WHERE l.task_id IN (
          SELECT task_id FROM task_lease
           WHERE owner IS NULL OR expires_at IS NULL OR expires_at <= now()
           ORDER BY task_id
           LIMIT $3
           FOR UPDATE SKIP LOCKED)
        RETURNING l.task_id, l.generation, l.expires_at`,
      [workerId, ttlMs, limit],
    );
    return rows.map(toHeld);
  }

  /** Hands leases back at once (rebalancing, shutdown) so another replica can take them now. */
  async release(workerId: string, taskIds: string[]): Promise<void> {
    if (taskIds.length === 0) return;
    await this.db.query(
      `UPDATE task_lease SET owner = NULL, expires_at = now() WHERE owner = $1 AND task_id = ANY($2::uuid[])`,
      [workerId, taskIds],
    );
  }

  /** Hands back every lease of a replica (clean shutdown). */
  async releaseAll(workerId: string): Promise<void> {
    await this.db.query(`UPDATE task_lease SET owner = NULL, expires_at = now() WHERE owner = $1`, [workerId]);
  }

  /** The live holders of the given tasks (a task nobody holds is missing from the answer). */
  async holders(taskIds: string[]): Promise<LeaseHolder[]> {
    const rows = await sqlRows<{ task_id: string; owner: string | null; expires_at: Date | null }>(
      this.db,
      `SELECT task_id, owner, expires_at FROM task_lease WHERE task_id = ANY($1::uuid[]) AND owner IS NOT NULL AND expires_at > now()`,
      [taskIds],
    );
    return rows.map((r) => ({ taskId: r.task_id, owner: r.owner, expiresAt: r.expires_at }));
  }

  /**
   * Runs `work` in a transaction that first locks the lease row and checks this replica still
   * holds it at `generation`. A replica that lost its lease can therefore never write.
   */
  async fenced<T>(
    lease: { taskId: string; generation: string },
    workerId: string,
    work: (tx: EntityManager) => Promise<T>,
  ): Promise<T> {
    return this.db.transaction(async (tx) => {
      const rows = await sqlRows<unknown>(
        tx,
        `SELECT 1 FROM task_lease WHERE task_id = $1 AND owner = $2 AND generation = $3 AND expires_at > now() FOR SHARE`,
        [lease.taskId, workerId, lease.generation],
      );
      if (rows.length === 0) throw new LeaseLostError(lease.taskId, lease.generation);
      return work(tx);
    });
  }
}

interface LeaseRow {
  task_id: string;
  generation: string;
  expires_at: Date;
}

function toHeld(row: LeaseRow): HeldLease {
  return { taskId: row.task_id, generation: String(row.generation), expiresAt: new Date(row.expires_at) };
}
