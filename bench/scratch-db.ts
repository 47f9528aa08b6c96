/** Scratch databases (benchmarks, demo, soak) on the Postgres that DATABASE_URL names; no-ops without it. */
import { Client } from 'pg';

function on(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

async function onAdmin(base: string, sql: string[]): Promise<void> {
  const client = new Client({ connectionString: on(base, 'postgres') });
  await client.connect();
  try {
    for (const statement of sql) await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Drops and creates `name`, returning its URL; undefined (embedded PGlite) without a base URL. */
export async function scratchDatabase(base: string, name: string): Promise<string>;
export async function scratchDatabase(base: string | undefined, name: string): Promise<string | undefined>;
export async function scratchDatabase(base: string | undefined, name: string): Promise<string | undefined> {
  if (!base) return undefined;
  await onAdmin(base, [`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`, `CREATE DATABASE "${name}"`]);
  return on(base, name);
}

export async function dropDatabase(base: string | undefined, name: string): Promise<void> {
  if (base) await onAdmin(base, [`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`]);
}
