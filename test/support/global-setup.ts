import { Client } from 'pg';
import { Database } from '../../src/database/database';
import { adminUrl, templateName, withDatabase } from './pg-urls';
import { dumpPgliteTemplate } from './pglite-template';

/**
 * Dump one fresh PGlite cluster per run, which every spec file's in-memory databases start from
 * (pglite-template.ts). With DATABASE_URL, also migrate one template database per run; every
 * integration spec then clones its own database from it (CREATE DATABASE ... TEMPLATE), so files run
 * in parallel in isolation.
 */
export default async function globalSetup(): Promise<void> {
  await dumpPgliteTemplate();
  const base = process.env.DATABASE_URL;
  if (!base) return;
  const template = templateName();
  process.env.DISTRO_SYNC_TEST_TEMPLATE = template;
  const admin = new Client({ connectionString: adminUrl(base) });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${template}"`);
    await admin.query(`CREATE DATABASE "${template}"`);
  } finally {
    await admin.end();
  }
  const db = await Database.open(
    { url: withDatabase(base, template), dataDir: 'memory', poolSize: 1, startupTimeoutMs: 10000 },
    { log: () => undefined, warn: () => undefined },
  );
  await db.close();
}
