import { Database } from '../../src/database/database';
import { MIGRATIONS } from '../../src/database/migration-list';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';

const quiet = { log: () => undefined, warn: () => undefined };

describe('migration lock', () => {
  let testDb: TestDatabase;

  beforeAll(async () => {
    testDb = await createTestDatabase({ empty: true });
  });

  afterAll(async () => {
    await testDb?.drop();
  });

  // Embedded PGlite is one session serving one process (its DATA_DIR is locked), so a race of
  // several processes only exists on a real Postgres.
  const onPostgres = process.env.DATABASE_URL ? it : it.skip;

  onPostgres('should let several openers race on an empty database and migrate exactly once', async () => {
    const opened = await Promise.all(
      [1, 2, 3].map(() =>
        Database.open({ url: testDb.url, dataDir: 'memory', poolSize: 2, startupTimeoutMs: 10000 }, quiet),
      ),
    );
    try {
      const applied = opened.flatMap((db) => db.migrations.applied);
      expect(applied).toEqual(MIGRATIONS.map((m) => m.name));
      const rows = await opened[0].dataSource.query('SELECT name FROM migrations');
      expect(rows).toHaveLength(MIGRATIONS.length);
    } finally {
      for (const db of opened) await db.close();
    }
  });
});
