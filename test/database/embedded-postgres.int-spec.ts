import { Client } from 'pg';
import { EmbeddedPostgres as SeededEmbeddedPostgres } from '../../src/database/embedded-postgres';
import type * as EmbeddedPostgresModule from '../../src/database/embedded-postgres';

// The test setup hands every spec file's copy of this module the run's dump (test/support/pglite-template.ts);
// this spec takes a copy of its own without it, so its first starts run initdb as a process's first starts do.
let EmbeddedPostgres!: typeof SeededEmbeddedPostgres;
jest.isolateModules(() => {
  ({ EmbeddedPostgres } = jest.requireActual<typeof EmbeddedPostgresModule>('../../src/database/embedded-postgres'));
});

async function query(url: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as Array<Record<string, unknown>>;
  } finally {
    await client.end();
  }
}

describe(SeededEmbeddedPostgres.name, () => {
  const started: SeededEmbeddedPostgres[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((db) => db.stop()));
  });

  it('should give every in-memory database its own empty cluster, also those started from the dumped one', async () => {
    // The first is initialized, the second initialized and dumped, the rest (two at once) load the dump.
    started.push(await EmbeddedPostgres.start('memory'));
    started.push(await EmbeddedPostgres.start('memory'));
    started.push(...(await Promise.all([EmbeddedPostgres.start('memory'), EmbeddedPostgres.start('memory')])));

    for (const [i, db] of started.entries()) {
      await query(db.url, `CREATE TABLE only_in_${i} (id int PRIMARY KEY)`);
      await query(db.url, `INSERT INTO only_in_${i} VALUES (${i})`);
    }

    for (const [i, db] of started.entries()) {
      const tables = await query(db.url, "SELECT tablename FROM pg_tables WHERE tablename LIKE 'only_in_%'");
      expect(tables.map((row) => row.tablename)).toEqual([`only_in_${i}`]);
      expect(await query(db.url, `SELECT id FROM only_in_${i}`)).toEqual([{ id: i }]);
    }
    // Two initdb runs and three cluster loads: 15–40 s beside the other integration specs, over 60 s once
    // on the shared CI machine under the full fast lane.
  });
});
