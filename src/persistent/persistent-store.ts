import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { classifyDatabaseError } from '@/database/database-errors';
import { sqlRows } from '@/database/sql';
import type { PersistentWrite } from './persistent-write';
import type { ClusterChecker, StoredClusterChecker } from './health/cluster-checker';

/** The database did not answer a persistent write or read within its deadline; it may still land later. */
export class StoreTimeoutError extends Error {
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
  ) {
    super(`the database did not answer ${what} within ${timeoutMs} ms`);
    this.name = 'StoreTimeoutError';
  }
}

/** What a failed store call means: its kind for the caller, and a detail that is safe to log and answer. */
export function describeStoreError(err: unknown): { kind: 'unavailable' | 'invalid' | 'failed'; detail: string } {
  if (err instanceof StoreTimeoutError)
    return { kind: 'unavailable', detail: `did not answer within ${err.timeoutMs} ms` };
  const failure = classifyDatabaseError(err);
  if (failure?.kind === 'unavailable') return { kind: 'unavailable', detail: `is unavailable (${failure.code})` };
  if (failure?.kind === 'invalid-input') return { kind: 'invalid', detail: failure.code };
  return { kind: 'failed', detail: 'unexpected error' };
}

interface InstanceRow {
  namespace: string;
  group_name: string;
  service_name: string;
  cluster_name: string;
  ip: string;
  port: number;
  weight: number;
  healthy: boolean;
  enabled: boolean;
  metadata: Record<string, string>;
  instance_id: string | null;
  deleted: boolean;
  version: string | number;
  writer: string;
}

interface CheckerRow {
  namespace: string;
  group_name: string;
  service_name: string;
  cluster_name: string;
  checker: ClusterChecker['healthChecker'];
  check_port: number;
  use_instance_port: boolean;
  metadata: Record<string, string>;
}

/**
 * Persistent instances and cluster health checkers in the region's database (tables of migration
 * 1795600000000). A write is kept only if its stamp is newer than the row's — the same order the
 * registry merges by — so whichever of two nodes' writes of one address commits last, the row ends
 * as the newest, and a deregistration (a row marked deleted, never a removed row) is never replaced
 * by an older registration. Every call is bounded by `timeoutMs`.
 */
@Injectable()
export class PersistentStore {
  /** Deadline of one call (NACOS_PERSISTENT_WRITE_TIMEOUT_MS); set by the module. */
  timeoutMs = 5000;

  constructor(private readonly db: DataSource) {}

  /** Stores one write unless the row holds an equal or newer stamp; true when it was stored. */
  async save(write: PersistentWrite): Promise<boolean> {
    const i = write.instance;
    const rows = await this.bounded(
      'a persistent instance write',
      sqlRows<{ version: string }>(
        this.db,
        `INSERT INTO persistent_instance AS t
           (namespace, group_name, service_name, cluster_name, ip, port, weight, healthy, enabled, metadata,
            instance_id, deleted, version, writer, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, now())
         ON CONFLICT (namespace, group_name, service_name, cluster_name, ip, port) DO UPDATE SET
           weight = EXCLUDED.weight, healthy = EXCLUDED.healthy, enabled = EXCLUDED.enabled,
           metadata = EXCLUDED.metadata, instance_id = EXCLUDED.instance_id, deleted = EXCLUDED.deleted,
           version = EXCLUDED.version, writer = EXCLUDED.writer, updated_at = now()
         WHERE (t.version, t.writer) < (EXCLUDED.version, EXCLUDED.writer)
         RETURNING version`,
        [
          write.key.namespace,
          write.key.group,
          write.key.name,
          write.cluster,
          write.ip,
          write.port,
          i?.weight ?? 1,
          i?.healthy !== false,
          i?.enabled !== false,
          JSON.stringify(i?.metadata ?? {}),
          i?.instanceId ?? null,
          i === undefined,
          write.version,
          write.writer,
        ],
      ),
    );
    return rows.length > 0;
  }

  /** Every instance, and every deregistration at or after `horizon` (older tombstones are past the window). */
  async loadAll(horizon: number): Promise<PersistentWrite[]> {
    const rows = await this.bounded(
      'reading the persistent instances',
      sqlRows<InstanceRow>(
        this.db,
        `SELECT namespace, group_name, service_name, cluster_name, ip, port, weight, healthy, enabled, metadata,
                instance_id, deleted, version, writer
           FROM persistent_instance WHERE NOT deleted OR version >= $1`,
        [horizon],
      ),
    );
    return rows.map(toWrite);
  }

  /** Every live instance whose metadata has `value` at `key` (a sync task's copies, by its marker). */
  async loadMarked(key: string, value: string): Promise<PersistentWrite[]> {
    const rows = await this.bounded(
      'reading marked persistent instances',
      sqlRows<InstanceRow>(
        this.db,
        `SELECT namespace, group_name, service_name, cluster_name, ip, port, weight, healthy, enabled, metadata,
                instance_id, deleted, version, writer
           FROM persistent_instance WHERE NOT deleted AND metadata ->> $1 = $2`,
        [key, value],
      ),
    );
    return rows.map(toWrite);
  }

  /** Drops deregistrations older than `horizon`: past the tombstone window no older copy is expected. */
  async purgeTombstones(horizon: number): Promise<number> {
    const rows = await this.bounded(
      'purging persistent tombstones',
      sqlRows<{ port: number }>(
        this.db,
        `DELETE FROM persistent_instance WHERE deleted AND version < $1 RETURNING port`,
        [horizon],
      ),
    );
    return rows.length;
  }

  /** Creates or replaces a cluster's health checker. */
  async saveChecker(checker: StoredClusterChecker): Promise<void> {
    await this.bounded(
      'a cluster health checker write',
      sqlRows(
        this.db,
        `INSERT INTO cluster_health_checker
           (namespace, group_name, service_name, cluster_name, checker, check_port, use_instance_port, metadata, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
         ON CONFLICT (namespace, group_name, service_name, cluster_name) DO UPDATE SET
           checker = EXCLUDED.checker, check_port = EXCLUDED.check_port,
           use_instance_port = EXCLUDED.use_instance_port, metadata = EXCLUDED.metadata, updated_at = now()
         RETURNING check_port`,
        [
          checker.key.namespace,
          checker.key.group,
          checker.key.name,
          checker.cluster,
          JSON.stringify(checker.healthChecker),
          checker.checkPort,
          checker.useInstancePort,
          JSON.stringify(checker.metadata),
        ],
      ),
    );
  }

  /** One cluster's health checker, read now (undefined when none was set). */
  async findChecker(key: StoredClusterChecker['key'], cluster: string): Promise<StoredClusterChecker | undefined> {
    const rows = await this.bounded(
      'reading a cluster health checker',
      sqlRows<CheckerRow>(
        this.db,
        `SELECT namespace, group_name, service_name, cluster_name, checker, check_port, use_instance_port, metadata
           FROM cluster_health_checker
          WHERE namespace = $1 AND group_name = $2 AND service_name = $3 AND cluster_name = $4`,
        [key.namespace, key.group, key.name, cluster],
      ),
    );
    return rows.length === 0 ? undefined : toChecker(rows[0]);
  }

  /** Every cluster health checker set so far. */
  async loadCheckers(): Promise<StoredClusterChecker[]> {
    const rows = await this.bounded(
      'reading the cluster health checkers',
      sqlRows<CheckerRow>(
        this.db,
        `SELECT namespace, group_name, service_name, cluster_name, checker, check_port, use_instance_port, metadata
           FROM cluster_health_checker`,
      ),
    );
    return rows.map(toChecker);
  }

  /** Rejects with StoreTimeoutError past the deadline; the statement itself may still complete. */
  private async bounded<T>(what: string, work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreTimeoutError(what, this.timeoutMs)), this.timeoutMs);
    });
    // A statement that fails after the deadline has nobody waiting for it: its rejection is handled here.
    work.catch(() => undefined);
    try {
      return await Promise.race([work, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function toWrite(row: InstanceRow): PersistentWrite {
  const key = { namespace: row.namespace, group: row.group_name, name: row.service_name };
  const base = {
    key,
    cluster: row.cluster_name,
    ip: row.ip,
    port: row.port,
    version: Number(row.version),
    writer: row.writer,
  };
  if (row.deleted) return { ...base, instance: undefined };
  return {
    ...base,
    instance: {
      ip: row.ip,
      port: row.port,
      clusterName: row.cluster_name,
      weight: Number(row.weight),
      healthy: row.healthy,
      enabled: row.enabled,
      ephemeral: false,
      metadata: row.metadata,
      ...(row.instance_id === null ? {} : { instanceId: row.instance_id }),
    },
  };
}

function toChecker(row: CheckerRow): StoredClusterChecker {
  return {
    key: { namespace: row.namespace, group: row.group_name, name: row.service_name },
    cluster: row.cluster_name,
    healthChecker: row.checker,
    checkPort: row.check_port,
    useInstancePort: row.use_instance_port,
    metadata: row.metadata,
  };
}
