import { Database } from '../../src/database/database';
import { desiredCopies } from '../../src/sync/reconcile/copy-plan';
import { ENTITIES } from '../../src/sync/entities';
import { LeaseLostError } from '../../src/sync/store/lease.repository';
import type { LeaseRepository } from '../../src/sync/store/lease.repository';
import { LedgerRepository } from '../../src/sync/store/ledger.repository';
import { SyncStore } from '../../src/sync/store/sync-store';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';

const quiet = { log: () => undefined, warn: () => undefined };

describe(LedgerRepository.name, () => {
  let testDb: TestDatabase;
  let db: Database;
  let store: SyncStore;
  let sut: LedgerRepository;
  let leases: LeaseRepository;
  let taskId: string;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = await Database.open(
      { url: testDb.url, dataDir: 'memory', poolSize: 2, startupTimeoutMs: 10000, entities: ENTITIES },
      quiet,
    );
    store = new SyncStore(db.dataSource);
    sut = store.ledger;
    leases = store.leases;
    const [{ id: a }] = await db.dataSource.query(
      `INSERT INTO cluster (name, kind, addresses) VALUES ('a', 'distro', '{a:1}') RETURNING id`,
    );
    const [{ id: b }] = await db.dataSource.query(
      `INSERT INTO cluster (name, kind, addresses) VALUES ('b', 'distro', '{b:1}') RETURNING id`,
    );
    [{ id: taskId }] = await db.dataSource.query(
      `INSERT INTO sync_task (name, source_cluster_id, target_cluster_id, service_name) VALUES ('t', $1, $2, '*') RETURNING id`,
      [a, b],
    );
  });

  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
  });

  const copies = (n: number, weight = 1) =>
    desiredCopies(
      { namespace: 'public', group: 'DEFAULT_GROUP', name: 'orders' },
      Array.from({ length: n }, (_, i) => ({
        ip: `10.0.${Math.floor(i / 250)}.${i % 250}`,
        port: 8080,
        weight,
        healthy: true,
        enabled: true,
        ephemeral: true,
        clusterName: 'DEFAULT',
        metadata: { i: String(i) },
      })),
      { taskId, sourceClusterId: 'A', sourceClusterName: 'a', targetClusterId: 'B' },
    );

  it('should write a thousand copies in one batch and read them back exactly', async () => {
    const batch = copies(1000);
    await db.dataSource.transaction((tx) => sut.upsert(tx, taskId, '1', batch));
    const back = await sut.load(taskId);
    expect(back).toHaveLength(1000);
    expect(back.find((c) => c.ip === '10.0.0.7')).toEqual(batch[7]);
  });

  it('should update in place and remove exactly the named copies', async () => {
    await db.dataSource.transaction(async (tx) => {
      await sut.upsert(tx, taskId, '2', copies(10, 7));
      await sut.remove(tx, taskId, copies(1000).slice(990));
    });
    const back = await sut.load(taskId);
    expect(back).toHaveLength(990);
    expect(back.filter((c) => c.weight === 7)).toHaveLength(10);
  });

  it('should refuse a ledger write under a lease this replica no longer holds', async () => {
    await store.workers.heartbeat({ id: 'w', hostname: 'h', pid: 1, version: 'v', address: null });
    const [held] = await leases.claim('w', 60000, 1);
    await leases.release('w', [held.taskId]);
    await expect(
      leases.fenced(held, 'w', (tx) => sut.upsert(tx, taskId, held.generation, copies(1))),
    ).rejects.toBeInstanceOf(LeaseLostError);
  });
});
