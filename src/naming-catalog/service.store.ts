import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { sqlRows } from '@/database/sql';
import type { ServiceKey, ServiceMetadata, ServiceSelector } from '@/registry';
import { NONE_SELECTOR, parseLabelExpression } from './selector';

/** The Postgres channel on which every node hears of a change to the catalog. */
export const CATALOG_CHANNEL = 'naming_catalog';

/** What a notification on the channel names: the service or namespace whose row changed. */
export type CatalogChange =
  { kind: 'service'; namespace: string; group: string; name: string } | { kind: 'namespace'; id: string };

export interface StoredService {
  key: ServiceKey;
  metadata: ServiceMetadata;
}

interface ServiceRow {
  namespace_id: string;
  group_name: string;
  service_name: string;
  ephemeral: boolean;
  protect_threshold: number;
  selector: { type?: string; expression?: string | null };
  metadata: Record<string, string>;
}

const COLUMNS = `"namespace_id", "group_name", "service_name", "ephemeral", "protect_threshold", "selector", "metadata"`;

/** Every query on `naming_service`. A write notifies the other nodes in the same statement (at commit). */
@Injectable()
export class ServiceStore {
  constructor(private readonly db: DataSource) {}

  async all(): Promise<StoredService[]> {
    const rows = await sqlRows<ServiceRow>(this.db, `SELECT ${COLUMNS} FROM "naming_service"`);
    return rows.map(toStored);
  }

  async find(key: ServiceKey): Promise<StoredService | undefined> {
    const rows = await sqlRows<ServiceRow>(
      this.db,
      `SELECT ${COLUMNS} FROM "naming_service" WHERE "namespace_id" = $1 AND "group_name" = $2 AND "service_name" = $3`,
      [key.namespace, key.group, key.name],
    );
    return rows.length === 0 ? undefined : toStored(rows[0]);
  }

  /** Inserts a new service; false when a row for it exists already. */
  async insert(key: ServiceKey, metadata: ServiceMetadata): Promise<boolean> {
    const rows = await sqlRows<{ inserted: boolean }>(
      this.db,
      `WITH ins AS (
         INSERT INTO "naming_service" (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT DO NOTHING RETURNING 1)
       SELECT pg_notify('${CATALOG_CHANNEL}', $8) IS NULL AS inserted FROM ins`,
      [...values(key, metadata), change(key)],
    );
    return rows.length > 0;
  }

  /**
   * Sets threshold, selector and metadata of a service, inserting its row (with `metadata.ephemeral`)
   * when it has none yet; a stored kind is kept. Returns what is stored now.
   */
  async upsert(key: ServiceKey, metadata: ServiceMetadata): Promise<StoredService> {
    const rows = await sqlRows<ServiceRow>(
      this.db,
      `WITH up AS (
         INSERT INTO "naming_service" (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT ("namespace_id", "group_name", "service_name") DO UPDATE SET
           "protect_threshold" = EXCLUDED."protect_threshold", "selector" = EXCLUDED."selector",
           "metadata" = EXCLUDED."metadata", "updated_at" = now()
         RETURNING ${COLUMNS})
       SELECT up.*, pg_notify('${CATALOG_CHANNEL}', $8) FROM up`,
      [...values(key, metadata), change(key)],
    );
    return toStored(rows[0]);
  }

  /** Deletes a service's row; false when there was none. */
  async delete(key: ServiceKey): Promise<boolean> {
    const rows = await sqlRows<{ deleted: boolean }>(
      this.db,
      `WITH del AS (
         DELETE FROM "naming_service" WHERE "namespace_id" = $1 AND "group_name" = $2 AND "service_name" = $3
         RETURNING 1)
       SELECT pg_notify('${CATALOG_CHANNEL}', $4) IS NULL AS deleted FROM del`,
      [key.namespace, key.group, key.name, change(key)],
    );
    return rows.length > 0;
  }

  /** Stored services of one namespace. */
  async countInNamespace(namespace: string): Promise<number> {
    const rows = await sqlRows<{ count: string }>(
      this.db,
      `SELECT count(*) AS count FROM "naming_service" WHERE "namespace_id" = $1`,
      [namespace],
    );
    return Number(rows[0]?.count ?? 0);
  }
}

function values(key: ServiceKey, metadata: ServiceMetadata): unknown[] {
  const selector =
    metadata.selector.type === 'label'
      ? { type: 'label', expression: metadata.selector.expression }
      : { type: metadata.selector.type };
  return [
    key.namespace,
    key.group,
    key.name,
    metadata.ephemeral,
    metadata.protectThreshold,
    JSON.stringify(selector),
    JSON.stringify(metadata.metadata),
  ];
}

function change(key: ServiceKey): string {
  const body: CatalogChange = { kind: 'service', namespace: key.namespace, group: key.group, name: key.name };
  return JSON.stringify(body);
}

function toStored(row: ServiceRow): StoredService {
  return {
    key: { namespace: row.namespace_id, group: row.group_name, name: row.service_name },
    metadata: {
      ephemeral: row.ephemeral,
      protectThreshold: Number(row.protect_threshold),
      selector: toSelector(row.selector),
      metadata: { ...row.metadata },
    },
  };
}

/** A stored selector; its labels are parsed again (they were when it was stored). */
function toSelector(stored: ServiceRow['selector']): ServiceSelector {
  if (stored.type !== 'label') return NONE_SELECTOR;
  const expression = stored.expression ?? null;
  return { type: 'label', expression, labels: parseLabelExpression(expression) ?? [] };
}
