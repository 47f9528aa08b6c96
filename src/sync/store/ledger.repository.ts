import type { DataSource, EntityManager } from 'typeorm';
import { sqlRows } from '@/database/sql';
import { isPersistentCopy, persistence } from '../reconcile/copy-plan';
import type { CopyRecord } from '../reconcile/copy-plan';

/** A ledger row as Postgres returns it. */
interface LedgerRow {
  namespace: string;
  group_name: string;
  service_name: string;
  cluster_name: string;
  ip: string;
  port: number;
  weight: number;
  healthy: boolean;
  enabled: boolean;
  ephemeral: boolean;
  metadata: Record<string, string>;
}

/** A ledger row as the operators' listing shows it: the copy, and which holding wrote it when. */
export interface LedgerEntry extends CopyRecord {
  generation: string;
  writtenAt: Date;
}

/**
 * `synced_instance`, the ledger of each task: every copy it wrote into its target. Written in
 * batches (one `unnest` statement per batch, whatever its size), so a burst costs a handful of
 * round trips; read in full when a replica takes a task over, so it knows exactly what the task
 * owns in the target.
 */
export class LedgerRepository {
  constructor(private readonly db: DataSource) {}

  async load(taskId: string, tx?: EntityManager): Promise<CopyRecord[]> {
    const rows = await sqlRows<LedgerRow>(
      tx ?? this.db,
      `SELECT namespace, group_name, service_name, cluster_name, ip, port, weight, healthy, enabled, ephemeral, metadata
         FROM synced_instance WHERE task_id = $1`,
      [taskId],
    );
    return rows.map(copyOfRow);
  }

  /** Inserts or updates copies in one statement; `generation` records which holding wrote them. */
  async upsert(tx: EntityManager, taskId: string, generation: string, copies: readonly CopyRecord[]): Promise<void> {
    if (copies.length === 0) return;
    await tx.query(
      `INSERT INTO synced_instance
         (task_id, namespace, group_name, service_name, cluster_name, ip, port, weight, healthy, enabled, metadata, ephemeral, generation, written_at)
       SELECT $1, u.namespace, u.group_name, u.service_name, u.cluster_name, u.ip, u.port, u.weight, u.healthy, u.enabled, u.metadata, u.ephemeral, $2, now()
         FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::float8[], $10::bool[], $11::bool[], $12::jsonb[], $13::bool[])
           AS u(namespace, group_name, service_name, cluster_name, ip, port, weight, healthy, enabled, metadata, ephemeral)
       ON CONFLICT (task_id, namespace, group_name, service_name, cluster_name, ip, port) DO UPDATE
         SET weight = EXCLUDED.weight, healthy = EXCLUDED.healthy, enabled = EXCLUDED.enabled,
             ephemeral = EXCLUDED.ephemeral, metadata = EXCLUDED.metadata, generation = EXCLUDED.generation, written_at = now()`,
      [taskId, generation, ...ledgerColumns(copies)],
    );
  }

  /** Deletes copies in one statement. */
  async remove(tx: EntityManager, taskId: string, copies: readonly CopyRecord[]): Promise<void> {
    if (copies.length === 0) return;
    await tx.query(
      `DELETE FROM synced_instance s
        USING unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[])
          AS u(namespace, group_name, service_name, cluster_name, ip, port)
        WHERE s.task_id = $1 AND s.namespace = u.namespace AND s.group_name = u.group_name
          AND s.service_name = u.service_name AND s.cluster_name = u.cluster_name AND s.ip = u.ip AND s.port = u.port`,
      [taskId, ...keyColumns(copies)],
    );
  }

  async count(taskId: string): Promise<number> {
    const rows = await sqlRows<{ n: number }>(
      this.db,
      `SELECT count(*)::int AS n FROM synced_instance WHERE task_id = $1`,
      [taskId],
    );
    return rows[0]?.n ?? 0;
  }

  /** One page of a task's ledger in key order, and the task's row count. */
  async page(taskId: string, page: number, pageSize: number): Promise<{ total: number; entries: LedgerEntry[] }> {
    const total = await this.count(taskId);
    const rows = await sqlRows<LedgerRow & { generation: string; written_at: Date }>(
      this.db,
      `SELECT * FROM synced_instance WHERE task_id = $1
        ORDER BY namespace, group_name, service_name, cluster_name, ip, port LIMIT $2 OFFSET $3`,
      [taskId, pageSize, (page - 1) * pageSize],
    );
    return {
      total,
      entries: rows.map((r) => ({
        ...copyOfRow(r),
        generation: String(r.generation),
        writtenAt: new Date(r.written_at),
      })),
    };
  }
}

/** The key columns of `copies`, one array each, in the order of the table's key. */
function keyColumns(copies: readonly CopyRecord[]): unknown[][] {
  return [
    copies.map((c) => c.namespace),
    copies.map((c) => c.groupName),
    copies.map((c) => c.serviceName),
    copies.map((c) => c.clusterName),
    copies.map((c) => c.ip),
    copies.map((c) => c.port),
  ];
}

/**
 * Every written column of `copies`, one array each (the key's, then weight, healthy, enabled,
 * metadata, ephemeral): the `unnest` parameters of the upsert, and of the benchmark's raw baseline.
 */
export function ledgerColumns(copies: readonly CopyRecord[]): unknown[][] {
  return [
    ...keyColumns(copies),
    copies.map((c) => c.weight),
    copies.map((c) => c.healthy),
    copies.map((c) => c.enabled),
    copies.map((c) => JSON.stringify(c.metadata)),
    copies.map((c) => !isPersistentCopy(c)),
  ];
}

/** The copy a ledger row records. */
function copyOfRow(r: LedgerRow): CopyRecord {
  return {
    namespace: r.namespace,
    groupName: r.group_name,
    serviceName: r.service_name,
    clusterName: r.cluster_name,
    ip: r.ip,
    port: r.port,
    weight: r.weight,
    healthy: r.healthy,
    enabled: r.enabled,
    metadata: r.metadata,
    ...persistence(r.ephemeral),
  };
}
