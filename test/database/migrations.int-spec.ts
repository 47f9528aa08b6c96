import { Client } from 'pg';
import { Database } from '../../src/database/database';
import { MIGRATIONS } from '../../src/database/migration-list';
import { ClusterNameCaseInsensitive1795316160000 } from '../../migrations/1795316160000-ClusterNameCaseInsensitive';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';

const quiet = { log: () => undefined, warn: () => undefined };
const open = (url: string): Promise<Database> =>
  Database.open({ url, dataDir: 'memory', poolSize: 2, startupTimeoutMs: 5000 }, quiet);

describe('migrations', () => {
  let testDb: TestDatabase;
  let sut: Database;

  beforeAll(async () => {
    testDb = await createTestDatabase({ empty: true });
    sut = await open(testDb.url);
  });

  afterAll(async () => {
    await sut?.close();
    await testDb?.drop();
  });

  it('should apply every migration to an empty database', () => {
    expect(sut.migrations.applied).toEqual(MIGRATIONS.map((m) => m.name));
  });

  it('should be idempotent: opening again applies nothing', async () => {
    const again = await open(testDb.url);
    try {
      expect(again.migrations.applied).toEqual([]);
      const rows = await again.dataSource.query('SELECT count(*)::int AS n FROM migrations');
      expect(rows[0].n).toBe(MIGRATIONS.length);
    } finally {
      await again.close();
    }
  });

  it('should leave nothing for the entities to add (entities and migrations agree)', async () => {
    const sql = await sut.dataSource.driver.createSchemaBuilder().log();
    expect(sql.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('should create the tables the sync side needs', async () => {
    const rows: Array<{ table_name: string }> = await sut.dataSource.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    );
    expect(rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining([
        'cluster',
        'sync_task',
        'task_lease',
        'task_state',
        'synced_instance',
        'task_event',
        'worker',
      ]),
    );
  });

  describe('constraints', () => {
    let client: Client;
    let a: string;
    let b: string;

    beforeAll(async () => {
      client = new Client({ connectionString: testDb.url });
      await client.connect();
      a = (
        await client.query(
          `INSERT INTO cluster (name, kind, addresses) VALUES ('a', 'distro', '{a:8848}') RETURNING id`,
        )
      ).rows[0].id;
      b = (
        await client.query(`INSERT INTO cluster (name, kind, addresses) VALUES ('b', 'nacos', '{b:8848}') RETURNING id`)
      ).rows[0].id;
    });

    afterAll(async () => {
      await client?.end();
    });

    const task = (name: string, source: string, target: string, service = 'svc'): Promise<string> =>
      client
        .query(
          `INSERT INTO sync_task (name, source_cluster_id, target_cluster_id, service_name) VALUES ($1, $2, $3, $4) RETURNING id`,
          [name, source, target, service],
        )
        .then((r) => r.rows[0].id as string);

    it('should reject a duplicate cluster name', async () => {
      await expect(
        client.query(`INSERT INTO cluster (name, kind, addresses) VALUES ('a', 'nacos', '{x:1}')`),
      ).rejects.toThrow(/UQ_cluster_name/);
    });

    it('should reject an unknown kind, a local cluster with addresses and a remote one without', async () => {
      await expect(
        client.query(`INSERT INTO cluster (name, kind, addresses) VALUES ('k', 'eureka', '{x:1}')`),
      ).rejects.toThrow(/CHK_cluster_kind/);
      await expect(
        client.query(`INSERT INTO cluster (name, kind, addresses) VALUES ('l', 'local', '{x:1}')`),
      ).rejects.toThrow(/CHK_cluster_addresses/);
      await expect(client.query(`INSERT INTO cluster (name, kind) VALUES ('r', 'nacos')`)).rejects.toThrow(
        /CHK_cluster_addresses/,
      );
    });

    it('should allow one local cluster only', async () => {
      await client.query(`INSERT INTO cluster (name, kind) VALUES ('here', 'local')`);
      await expect(client.query(`INSERT INTO cluster (name, kind) VALUES ('here2', 'local')`)).rejects.toThrow(
        /UQ_cluster_single_local/,
      );
    });

    it('should reject a task whose source equals its target', async () => {
      await expect(task('self', a, a)).rejects.toThrow(/CHK_sync_task_distinct_clusters/);
    });

    it('should reject a second task with the same selector', async () => {
      await task('t-dup-1', a, b, 'dup');
      await expect(task('t-dup-2', a, b, 'dup')).rejects.toThrow(/UQ_sync_task_selector/);
    });

    it('should refuse to delete a cluster a task uses', async () => {
      await task('t-uses', a, b, 'uses');
      await expect(client.query(`DELETE FROM cluster WHERE id = $1`, [a])).rejects.toThrow(/FK_sync_task_source/);
    });

    it('should refuse to drop a task whose ledger still names copies, so no copy is orphaned', async () => {
      const id = await task('t-ledger', a, b, 'ledger');
      await client.query(
        `INSERT INTO synced_instance (task_id, namespace, group_name, service_name, cluster_name, ip, port, weight, healthy, enabled, generation)
         VALUES ($1, 'public', 'DEFAULT_GROUP', 'ledger', 'DEFAULT', '10.0.0.1', 8080, 1, true, true, 1)`,
        [id],
      );
      await expect(client.query(`DELETE FROM sync_task WHERE id = $1`, [id])).rejects.toThrow(
        /FK_synced_instance_task/,
      );
      await client.query(`DELETE FROM synced_instance WHERE task_id = $1`, [id]);
      await client.query(`DELETE FROM sync_task WHERE id = $1`, [id]);
    });

    it('should drop lease and state with their task but keep its audit trail, task id included', async () => {
      const id = await task('t-cascade', a, b, 'cascade');
      await client.query(`INSERT INTO task_lease (task_id) VALUES ($1)`, [id]);
      await client.query(`INSERT INTO task_state (task_id) VALUES ($1)`, [id]);
      await client.query(
        `INSERT INTO task_event (task_id, task_name, kind, actor, message) VALUES ($1, 't-cascade', 'created', 'test', 'x')`,
        [id],
      );
      await client.query(`DELETE FROM sync_task WHERE id = $1`, [id]);
      expect((await client.query(`SELECT 1 FROM task_lease WHERE task_id = $1`, [id])).rowCount).toBe(0);
      expect((await client.query(`SELECT 1 FROM task_state WHERE task_id = $1`, [id])).rowCount).toBe(0);
      const events = await client.query(`SELECT task_id FROM task_event WHERE task_name = 't-cascade'`);
      // The trail keeps the id (no foreign key since EventClusters), so GET /api/v1/events?taskId= finds it.
      expect(events.rows).toEqual([{ task_id: id }]);
    });

    it('should reject a ledger row with an impossible port and a ratio outside 0..1', async () => {
      const id = await task('t-checks', a, b, 'checks');
      await expect(
        client.query(
          `INSERT INTO synced_instance (task_id, namespace, group_name, service_name, cluster_name, ip, port, weight, healthy, enabled, generation)
           VALUES ($1, 'public', 'G', 's', 'DEFAULT', '10.0.0.1', 70000, 1, true, true, 1)`,
          [id],
        ),
      ).rejects.toThrow(/CHK_synced_instance_port/);
      await expect(client.query(`UPDATE sync_task SET max_delete_ratio = 1.5 WHERE id = $1`, [id])).rejects.toThrow(
        /CHK_sync_task_max_delete_ratio/,
      );
    });
  });

  describe('cluster names regardless of case', () => {
    let client: Client;

    beforeAll(async () => {
      client = new Client({ connectionString: testDb.url });
      await client.connect();
    });

    afterAll(async () => {
      await client?.end();
    });

    it('should refuse a name that differs from a taken one only in case', async () => {
      await client.query(`INSERT INTO cluster (name, kind, addresses) VALUES ('FZ-REMOTE', 'nacos', '{x:1}')`);
      await expect(
        client.query(`INSERT INTO cluster (name, kind, addresses) VALUES ('fz-remote', 'nacos', '{x:1}')`),
      ).rejects.toThrow(/UQ_cluster_name_ci/);
    });

    it('should keep the oldest of names that differ only in case and rename the others, in the audit trail', async () => {
      // A database from before the rule: the index is not there and the names are.
      await client.query(`DROP INDEX "UQ_cluster_name_ci"`);
      const insert = async (name: string, age: string): Promise<string> =>
        (
          await client.query(
            `INSERT INTO cluster (name, kind, addresses, created_at) VALUES ($1, 'nacos', '{x:1}', now() - $2::interval) RETURNING id`,
            [name, age],
          )
        ).rows[0].id as string;
      const oldest = await insert('Dup-Name', '3 hours');
      const later = await insert('dup-name', '2 hours');
      const latest = await insert('DUP-NAME', '1 hour');
      const other = await insert('unrelated', '1 hour');
      const taskId = (
        await client.query(
          `INSERT INTO sync_task (name, source_cluster_id, target_cluster_id, service_name) VALUES ('t-dup', $1, $2, 's') RETURNING id`,
          [later, other],
        )
      ).rows[0].id as string;

      const runner = sut.dataSource.createQueryRunner();
      try {
        await new ClusterNameCaseInsensitive1795316160000().up(runner);
      } finally {
        await runner.release();
      }

      const names = await client.query(
        `SELECT id, name FROM cluster WHERE lower(name) LIKE 'dup-name%' ORDER BY created_at`,
      );
      expect(names.rows).toEqual([
        { id: oldest, name: 'Dup-Name' },
        { id: later, name: `dup-name-${later.replace(/-/g, '').slice(0, 8)}` },
        { id: latest, name: `DUP-NAME-${latest.replace(/-/g, '').slice(0, 8)}` },
      ]);
      const events = await client.query(
        `SELECT task_id, cluster_id, kind, actor, details FROM task_event WHERE kind = 'cluster-renamed' ORDER BY id`,
      );
      expect(events.rows).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ task_id: null, cluster_id: later, actor: 'migration' }),
          expect.objectContaining({
            task_id: taskId,
            cluster_id: later,
            details: expect.objectContaining({ kept: 'Dup-Name' }),
          }),
          expect.objectContaining({ task_id: null, cluster_id: latest }),
        ]),
      );
      expect(events.rows).toHaveLength(3);
      await expect(
        client.query(`INSERT INTO cluster (name, kind, addresses) VALUES ('dUP-nAME', 'nacos', '{x:1}')`),
      ).rejects.toThrow(/UQ_cluster_name_ci/);
    });
  });
});
