import { PgliteServer } from '../../tools/pglite-server';
import { pgliteTemplate } from '../support/pglite-template';
import { createTestDatabase } from '../support/test-database';

/** One database the nodes of a region share, and how to drop it. */
export interface SharedDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * A database of this spec's own that several in-process nodes share: a clone of the migrated template
 * on real Postgres (DATABASE_URL), else one in-memory PGlite served so that clients take turns by whole
 * transaction (tools/pglite-server.ts) — start the first node alone there, so it migrates alone.
 */
export async function sharedDatabase(): Promise<SharedDatabase> {
  if (process.env.DATABASE_URL) {
    const db = await createTestDatabase();
    return { url: db.url, drop: () => db.drop() };
  }
  const server = await PgliteServer.start({ loadDataDir: pgliteTemplate() });
  return { url: server.url, drop: () => server.stop() };
}
