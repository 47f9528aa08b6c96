import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres';
import { adminUrl, withDatabase } from './pg-urls';

export interface TestDatabase {
  /** A Postgres URL reachable by the app under test. */
  url: string;
  /** 'postgres' when backed by DATABASE_URL, 'pglite' when embedded. */
  kind: 'postgres' | 'pglite';
  drop(): Promise<void>;
}

/**
 * A database of this spec file's own. On real Postgres: a clone of the migrated template (or an
 * empty database with `empty: true`). Without DATABASE_URL: a fresh in-memory embedded PGlite
 * served on loopback (empty; the app migrates it at start).
 */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const base = process.env.DATABASE_URL;
  if (!base) {
    // Several connections share PGlite's one session here (the test's own client beside the app's).
    const embedded = await EmbeddedPostgres.start('memory', { maxConnections: 8 });
    return { url: embedded.url, kind: 'pglite', drop: () => embedded.stop() };
  }
  const template = process.env.DISTRO_SYNC_TEST_TEMPLATE;
  const name = `${template ?? 'distro_sync_test'}_${randomBytes(4).toString('hex')}`;
  await adminQuery(
    base,
    options.empty || !template ? `CREATE DATABASE "${name}"` : `CREATE DATABASE "${name}" TEMPLATE "${template}"`,
  );
  return {
    url: withDatabase(base, name),
    kind: 'postgres',
    drop: () => adminQuery(base, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

async function adminQuery(base: string, sql: string): Promise<void> {
  const admin = new Client({ connectionString: adminUrl(base) });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}
