import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { sqlRows } from '@/database/sql';
import { CATALOG_CHANNEL } from './service.store';
import type { CatalogChange } from './service.store';

/** A namespace beside `public`: its id, show name and description. */
export interface StoredNamespace {
  id: string;
  showName: string;
  description: string;
  /** Created by a naming write rather than named by a user. */
  implicit: boolean;
}

interface NamespaceRow {
  namespace_id: string;
  show_name: string;
  description: string;
  implicit: boolean;
}

const COLUMNS = `"namespace_id", "show_name", "description", "implicit"`;

/** Every query on `naming_namespace`; each write notifies the other nodes in the same statement. */
@Injectable()
export class NamespaceStore {
  constructor(private readonly db: DataSource) {}

  async all(): Promise<StoredNamespace[]> {
    const rows = await sqlRows<NamespaceRow>(
      this.db,
      `SELECT ${COLUMNS} FROM "naming_namespace" ORDER BY "created_at", "namespace_id"`,
    );
    return rows.map(toStored);
  }

  async find(id: string): Promise<StoredNamespace | undefined> {
    const rows = await sqlRows<NamespaceRow>(
      this.db,
      `SELECT ${COLUMNS} FROM "naming_namespace" WHERE "namespace_id" = $1`,
      [id],
    );
    return rows.length === 0 ? undefined : toStored(rows[0]);
  }

  /**
   * Creates a namespace. A user's create (`implicit` false) also names one a naming write created; false
   * when a namespace of that id exists otherwise.
   */
  async insert(namespace: StoredNamespace): Promise<boolean> {
    const rows = await sqlRows<{ done: boolean }>(
      this.db,
      `WITH ins AS (
         INSERT INTO "naming_namespace" (${COLUMNS}) VALUES ($1, $2, $3, $4)
         ON CONFLICT ("namespace_id") DO UPDATE SET
           "show_name" = EXCLUDED."show_name", "description" = EXCLUDED."description", "implicit" = false,
           "updated_at" = now()
         WHERE "naming_namespace"."implicit" AND NOT EXCLUDED."implicit"
         RETURNING 1)
       SELECT pg_notify('${CATALOG_CHANNEL}', $5) IS NULL AS done FROM ins`,
      [namespace.id, namespace.showName, namespace.description, namespace.implicit, change(namespace.id)],
    );
    return rows.length > 0;
  }

  /** Renames a namespace and sets its description; false when there is none of that id. */
  async update(id: string, showName: string, description: string): Promise<boolean> {
    const rows = await sqlRows<{ done: boolean }>(
      this.db,
      `WITH up AS (
         UPDATE "naming_namespace" SET "show_name" = $2, "description" = $3, "implicit" = false, "updated_at" = now()
         WHERE "namespace_id" = $1 RETURNING 1)
       SELECT pg_notify('${CATALOG_CHANNEL}', $4) IS NULL AS done FROM up`,
      [id, showName, description, change(id)],
    );
    return rows.length > 0;
  }

  async delete(id: string): Promise<boolean> {
    const rows = await sqlRows<{ done: boolean }>(
      this.db,
      `WITH del AS (DELETE FROM "naming_namespace" WHERE "namespace_id" = $1 RETURNING 1)
       SELECT pg_notify('${CATALOG_CHANNEL}', $2) IS NULL AS done FROM del`,
      [id, change(id)],
    );
    return rows.length > 0;
  }
}

function change(id: string): string {
  const body: CatalogChange = { kind: 'namespace', id };
  return JSON.stringify(body);
}

function toStored(row: NamespaceRow): StoredNamespace {
  return { id: row.namespace_id, showName: row.show_name, description: row.description, implicit: row.implicit };
}
