import type { DataSource } from 'typeorm';
import { sqlRows } from '@/database/sql';

/** A replica as it announces itself in its heartbeat. */
export interface WorkerInfo {
  id: string;
  hostname: string;
  pid: number;
  version: string;
  address: string | null;
}

/** A replica as the workers listing shows it: its heartbeat and the tasks whose live lease it holds. */
export interface WorkerView {
  id: string;
  hostname: string;
  pid: number;
  version: string;
  startedAt: Date;
  heartbeatAt: Date;
  leases: string[];
}

/** `worker`: replica heartbeats (the database clock decides who is alive). */
export class WorkerRepository {
  constructor(private readonly db: DataSource) {}

  /** Records that this replica is alive (insert or refresh). */
  async heartbeat(worker: WorkerInfo): Promise<void> {
    await this.db.query(
      `INSERT INTO worker (id, hostname, pid, version, address, started_at, heartbeat_at)
       VALUES ($1, $2, $3, $4, $5, now(), now())
       ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), address = EXCLUDED.address`,
      [worker.id, worker.hostname, worker.pid, worker.version, worker.address],
    );
  }

  /** Replicas whose heartbeat is younger than ttlMs. */
  async liveCount(ttlMs: number): Promise<number> {
    const rows = await sqlRows<{ n: number }>(
      this.db,
      `SELECT count(*)::int AS n FROM worker WHERE heartbeat_at > now() - make_interval(secs => $1::double precision / 1000)`,
      [ttlMs],
    );
    return rows[0]?.n ?? 0;
  }

  /** Removes a replica's heartbeat (clean shutdown) so peers rebalance without waiting. */
  async remove(workerId: string): Promise<void> {
    await this.db.query(`DELETE FROM worker WHERE id = $1`, [workerId]);
  }

  /** Every replica that heartbeated and has not retired, by id, with the tasks it holds a live lease on. */
  async list(): Promise<WorkerView[]> {
    const rows = await sqlRows<{
      id: string;
      hostname: string;
      pid: number;
      version: string;
      started_at: Date;
      heartbeat_at: Date;
      leases: string[] | null;
    }>(
      this.db,
      `SELECT w.id, w.hostname, w.pid, w.version, w.started_at, w.heartbeat_at,
              array_agg(l.task_id::text ORDER BY l.task_id) FILTER (WHERE l.task_id IS NOT NULL) AS leases
         FROM worker w LEFT JOIN task_lease l ON l.owner = w.id AND l.expires_at > now()
        GROUP BY w.id ORDER BY w.id`,
    );
    return rows.map((r) => ({
      id: r.id,
      hostname: r.hostname,
      pid: r.pid,
      version: r.version,
      startedAt: new Date(r.started_at),
      heartbeatAt: new Date(r.heartbeat_at),
      leases: r.leases ?? [],
    }));
  }
}
