import { Database } from '../../src/database/database';
import { ENTITIES } from '../../src/sync/entities';
import { SyncStore } from '../../src/sync/store/sync-store';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';

const quiet = { log: () => undefined, warn: () => undefined };
const worker = (id: string) => ({ id, hostname: `host-${id}`, pid: 7, version: 'v', address: null });

/** What the admin API's workers listing and task views read about leases (the keeper's side is leases.int-spec). */
describe('SyncStore workers and lease holders', () => {
  let testDb: TestDatabase;
  let db: Database;
  let store: SyncStore;
  let tasks: string[];

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = await Database.open(
      { url: testDb.url, dataDir: 'memory', poolSize: 2, startupTimeoutMs: 10000, entities: ENTITIES },
      quiet,
    );
    store = new SyncStore(db.dataSource);
    const a = await store.clusters.insert({
      name: 'a',
      kind: 'distro',
      addresses: ['a:1'],
      namespace: null,
      username: null,
      credentials: null,
      description: null,
      layout: null,
      prefix: null,
    });
    const b = await store.clusters.insert({
      name: 'b',
      kind: 'local',
      addresses: [],
      namespace: null,
      username: null,
      credentials: null,
      description: null,
      layout: null,
      prefix: null,
    });
    tasks = [];
    for (let i = 0; i < 3; i++) {
      const task = await store.tasks.transaction((tx) =>
        store.tasks.insert(tx, {
          name: `t${i}`,
          sourceClusterId: a.id,
          targetClusterId: b.id,
          namespace: 'public',
          groupName: 'DEFAULT_GROUP',
          serviceName: `svc-${i}`,
          exclude: [],
          maxDeleteRatio: 0.5,
          status: 'running',
        }),
      );
      tasks.push(task.id);
    }
    tasks.sort();
  });

  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
  });

  it('should list every worker by id with its live leases only, none as an empty list', async () => {
    for (const id of ['w3', 'w1', 'w2']) await store.workers.heartbeat(worker(id));
    const held = await store.leases.claim('w1', 60000, 2);
    expect(held.map((l) => l.taskId).sort()).toEqual(tasks.slice(0, 2));
    // w2's lease lapses at once: a listing never shows an expired lease.
    expect(await store.leases.claim('w2', 1, 1)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 20));

    const list = await store.workers.list();
    expect(list.map((w) => [w.id, w.leases])).toEqual([
      ['w1', tasks.slice(0, 2)],
      ['w2', []],
      ['w3', []],
    ]);
    expect(list[0]).toMatchObject({ hostname: 'host-w1', pid: 7, version: 'v' });
    expect(list[0].startedAt).toBeInstanceOf(Date);
    expect(list[0].heartbeatAt.getTime()).toBeGreaterThanOrEqual(list[0].startedAt.getTime());
    expect((await store.leases.holders(tasks)).map((h) => [h.taskId, h.owner]).sort()).toEqual([
      [tasks[0], 'w1'],
      [tasks[1], 'w1'],
    ]);
  });

  it('should drop a released lease from the listing and a removed worker from it', async () => {
    await store.leases.release('w1', [tasks[0]]);
    await store.workers.remove('w3');
    expect((await store.workers.list()).map((w) => [w.id, w.leases])).toEqual([
      ['w1', [tasks[1]]],
      ['w2', []],
    ]);
    await store.leases.releaseAll('w1');
    expect(await store.leases.holders(tasks)).toEqual([]);
    expect(await store.workers.liveCount(60000)).toBe(2);
  });
});
