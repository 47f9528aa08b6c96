import { Database } from '../../src/database/database';
import { Registry } from '../../src/registry';
import type { ServiceKey } from '../../src/registry';
import { LocalRegistryAdapter } from '../../src/sync/adapters/local-adapter';
import type { RegistryAdapter } from '../../src/sync/adapters/registry-adapter';
import { LeaseKeeper } from '../../src/sync/leases/lease-keeper';
import { TaskLeaseStore } from '../../src/sync/leases/task-lease-store';
import type { HeldLease } from '../../src/sync/leases/task-lease-store';
import { SyncLedger } from '../../src/sync/reconcile/sync-ledger';
import { TaskRunner } from '../../src/sync/reconcile/task-runner';
import type { RunnerStatus, TaskDefinition } from '../../src/sync/reconcile/task-runner';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';
import { eventually } from '../support/eventually';

const quiet = { log: () => undefined, warn: () => undefined };
const orders: ServiceKey = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'orders' };

/** A source whose reachability the test controls. */
class FlakySource implements RegistryAdapter {
  down = false;
  constructor(private readonly inner: LocalRegistryAdapter) {}
  snapshot: RegistryAdapter['snapshot'] = (s) =>
    this.down ? Promise.reject(new Error('connection refused')) : this.inner.snapshot(s);
  watch: RegistryAdapter['watch'] = (s, on, err) => this.inner.watch(s, (x) => !this.down && on(x), err);
  applyCopies: RegistryAdapter['applyCopies'] = (o, s) => this.inner.applyCopies(o, s);
  renewCopies: RegistryAdapter['renewCopies'] = (o) => this.inner.renewCopies(o);
  withdrawCopies: RegistryAdapter['withdrawCopies'] = (o) => this.inner.withdrawCopies(o);
  listCopies: RegistryAdapter['listCopies'] = (o) => this.inner.listCopies(o);
  check: RegistryAdapter['check'] = () => this.inner.check();
  close: RegistryAdapter['close'] = () => this.inner.close();
}

describe(TaskRunner.name, () => {
  let testDb: TestDatabase;
  let db: Database;
  let leases: TaskLeaseStore;
  let ledger: SyncLedger;
  let clusterA: string;
  let clusterB: string;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = await Database.open({ url: testDb.url, dataDir: 'memory', poolSize: 4, startupTimeoutMs: 10000 }, quiet);
    leases = new TaskLeaseStore(db.dataSource);
    ledger = new SyncLedger(db.dataSource);
    [{ id: clusterA }] = await db.dataSource.query(
      `INSERT INTO cluster (name, kind, addresses) VALUES ('a', 'distro', '{a:1}') RETURNING id`,
    );
    [{ id: clusterB }] = await db.dataSource.query(
      `INSERT INTO cluster (name, kind, addresses) VALUES ('b', 'distro', '{b:1}') RETURNING id`,
    );
  });

  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
  });

  interface Harness {
    a: Registry;
    b: Registry;
    source: FlakySource;
    sut: TaskRunner;
    task: TaskDefinition;
    lease: HeldLease;
    events: string[];
    start(lease?: HeldLease): Promise<TaskRunner>;
  }

  let seq = 0;
  async function harness(
    options: { serviceName?: string; maxDeleteRatio?: number; status?: RunnerStatus } = {},
  ): Promise<Harness> {
    const name = `task-${++seq}`;
    // The row only needs a unique selector; the runner works from the TaskDefinition below.
    const [{ id }] = await db.dataSource.query(
      `INSERT INTO sync_task (name, source_cluster_id, target_cluster_id, service_name) VALUES ($1, $2, $3, $4) RETURNING id`,
      [name, clusterA, clusterB, name],
    );
    const a = new Registry();
    const b = new Registry();
    const source = new FlakySource(new LocalRegistryAdapter(a, () => 'a1'));
    const target = new LocalRegistryAdapter(b, () => 'b1');
    const events: string[] = [];
    const task: TaskDefinition = {
      id,
      name,
      status: options.status ?? 'running',
      selector: { namespace: '*', groupName: '*', serviceName: options.serviceName ?? '*', exclude: [] },
      maxDeleteRatio: options.maxDeleteRatio ?? 0.5,
      context: { taskId: id, sourceClusterId: clusterA, sourceClusterName: 'a', targetClusterId: clusterB },
    };
    const worker = `w-${name}`;
    const keeper = new LeaseKeeper(
      leases,
      { id: worker, hostname: 'h', pid: 1, version: 'v', address: null },
      { ttlMs: 60000, workerTtlMs: 60000, maxClaimPerRound: 1000 },
      {
        acquired: () => undefined,
        lost: () => undefined,
      },
    );
    await keeper.round();
    const lease = keeper.lease(id)!;
    const h: Harness = {
      a,
      b,
      source,
      task,
      lease,
      events,
      sut: undefined as unknown as TaskRunner,
      start: async (l = lease) => {
        const runner = new TaskRunner({ ...task }, l, {
          source,
          target,
          ledger,
          leases,
          workerId: worker,
          settings: {
            debounceMs: 10,
            copyTtlMs: 30000,
            protectHoldMs: 60000,
            servicesPerBatch: 50,
            protectMinDeletes: 3,
          },
          events: { event: (kind) => events.push(kind) },
        });
        await runner.start();
        return runner;
      },
    };
    h.sut = await h.start();
    return h;
  }

  const copiesIn = (r: Registry, key = orders) => r.listInstances(key);

  it('should copy a registration with the sync metadata, update it in place, and remove it', async () => {
    const h = await harness();
    h.a.registerInstance('10.0.0.1:8080#true', 'ipport', orders, { ip: '10.0.0.1', port: 8080, metadata: { v: '1' } });
    await eventually(() => expect(copiesIn(h.b)).toHaveLength(1));
    expect(copiesIn(h.b)[0].metadata).toMatchObject({
      v: '1',
      syncSource: 'a',
      sourceClusterId: clusterA,
      destClusterId: clusterB,
      syncTaskId: h.task.id,
    });

    h.a.updateInstance('10.0.0.1:8080#true', orders, 'DEFAULT', '10.0.0.1', 8080, { weight: 3, metadata: { v: '2' } });
    await eventually(() =>
      expect(copiesIn(h.b)[0]).toMatchObject({ weight: 3, metadata: expect.objectContaining({ v: '2' }) }),
    );

    h.a.deregisterInstance('10.0.0.1:8080#true', orders, 'DEFAULT', '10.0.0.1', 8080);
    await eventually(() => expect(copiesIn(h.b)).toHaveLength(0));
    // The target goes first, the ledger right after: it always covers what the target holds.
    await eventually(async () => expect(await ledger.count(h.task.id)).toBe(0));
    h.sut.stop();
  });

  it('should leave natives of the target alone and never copy a copy', async () => {
    const h = await harness();
    h.b.registerInstance('10.9.9.9:80#true', 'ipport', orders, { ip: '10.9.9.9', port: 80 });
    h.a.registerInstance('x', 'sync', orders, { ip: '10.8.8.8', port: 80, metadata: { sourceClusterId: 'elsewhere' } });
    h.a.registerInstance('10.0.0.2:80#true', 'ipport', orders, { ip: '10.0.0.2', port: 80 });
    await eventually(() =>
      expect(
        copiesIn(h.b)
          .map((i) => i.ip)
          .sort(),
      ).toEqual(['10.0.0.2', '10.9.9.9']),
    );
    h.a.deregisterInstance('10.0.0.2:80#true', orders, 'DEFAULT', '10.0.0.2', 80);
    await eventually(() => expect(copiesIn(h.b).map((i) => i.ip)).toEqual(['10.9.9.9']));
    h.sut.stop();
  });

  it('should keep copies while the source is unreachable and say so', async () => {
    const h = await harness();
    h.a.registerInstance('10.0.0.3:80#true', 'ipport', orders, { ip: '10.0.0.3', port: 80 });
    await eventually(() => expect(copiesIn(h.b)).toHaveLength(1));
    h.source.down = true;
    await h.sut.reconcile();
    expect(h.sut.state.sourceReachable).toBe(false);
    expect(h.events).toContain('source-unreachable');
    expect(copiesIn(h.b)).toHaveLength(1);
    h.sut.stop();
  });

  it('should hold a round that would delete more than maxDeleteRatio, and apply it when released', async () => {
    const h = await harness();
    for (let i = 0; i < 4; i++)
      h.a.registerInstance(`10.1.0.${i}:80#true`, 'ipport', orders, { ip: `10.1.0.${i}`, port: 80 });
    await eventually(() => expect(copiesIn(h.b)).toHaveLength(4));
    h.sut.stop();
    // The source comes back empty (restarted registry): a full reconcile must not wipe the target.
    for (let i = 0; i < 4; i++) h.a.deregisterInstance(`10.1.0.${i}:80#true`, orders, 'DEFAULT', `10.1.0.${i}`, 80);
    const sut = await h.start();
    expect(sut.state.hold).toMatchObject({ wouldDelete: 4, total: 4 });
    expect(copiesIn(h.b)).toHaveLength(4);
    await sut.releaseHold();
    expect(copiesIn(h.b)).toHaveLength(0);
    expect(sut.state.hold).toBeNull();
    sut.stop();
  });

  it('should clear a hold when the source recovers before it runs out, and keep every copy', async () => {
    const h = await harness();
    for (let i = 0; i < 4; i++)
      h.a.registerInstance(`10.3.0.${i}:80#true`, 'ipport', orders, { ip: `10.3.0.${i}`, port: 80 });
    await eventually(() => expect(copiesIn(h.b)).toHaveLength(4));
    h.sut.stop();
    for (let i = 0; i < 4; i++) h.a.deregisterInstance(`10.3.0.${i}:80#true`, orders, 'DEFAULT', `10.3.0.${i}`, 80);
    const sut = await h.start();
    expect(sut.state.hold).toMatchObject({ wouldDelete: 4, total: 4 });
    // The source's instances come back (its clients re-registered): nothing is to be deleted now.
    for (let i = 0; i < 4; i++)
      h.a.registerInstance(`10.3.0.${i}:80#true`, 'ipport', orders, { ip: `10.3.0.${i}`, port: 80 });
    await sut.reconcile();
    expect(sut.state.hold).toBeNull();
    expect(h.events).toContain('hold-cleared');
    expect(copiesIn(h.b)).toHaveLength(4);
    sut.stop();
  });

  it('should freeze copies while paused and catch up on resume', async () => {
    const h = await harness();
    h.a.registerInstance('10.2.0.1:80#true', 'ipport', orders, { ip: '10.2.0.1', port: 80 });
    await eventually(() => expect(copiesIn(h.b)).toHaveLength(1));
    await h.sut.refresh(h.lease, { ...h.task, status: 'paused' });
    h.a.registerInstance('10.2.0.2:80#true', 'ipport', orders, { ip: '10.2.0.2', port: 80 });
    await new Promise((r) => setTimeout(r, 100));
    expect(copiesIn(h.b)).toHaveLength(1);
    await h.sut.refresh(h.lease, { ...h.task, status: 'running' });
    expect(copiesIn(h.b)).toHaveLength(2);
    h.sut.stop();
  });

  it('should delete exactly the ledger copies, then the task row', async () => {
    const h = await harness();
    h.b.registerInstance('10.9.9.8:80#true', 'ipport', orders, { ip: '10.9.9.8', port: 80 });
    h.a.registerInstance('10.3.0.1:80#true', 'ipport', orders, { ip: '10.3.0.1', port: 80 });
    await eventually(() => expect(copiesIn(h.b)).toHaveLength(2));
    await db.dataSource.query(`UPDATE sync_task SET status = 'deleting' WHERE id = $1`, [h.task.id]);
    await h.sut.refresh(h.lease, { ...h.task, status: 'deleting' });
    expect(copiesIn(h.b).map((i) => i.ip)).toEqual(['10.9.9.8']);
    expect(await ledger.count(h.task.id)).toBe(0);
    expect(await db.dataSource.query(`SELECT 1 FROM sync_task WHERE id = $1`, [h.task.id])).toHaveLength(0);
  });

  it('should let a new holder adopt the copies with no moment where they are missing', async () => {
    const h = await harness();
    for (let i = 0; i < 3; i++)
      h.a.registerInstance(`10.4.0.${i}:80#true`, 'ipport', orders, { ip: `10.4.0.${i}`, port: 80 });
    await eventually(() => expect(copiesIn(h.b)).toHaveLength(3));
    h.sut.stop(); // the holder dies
    const seen: number[] = [];
    const off = h.b.events.on('serviceChanged', () => seen.push(copiesIn(h.b).length));
    const next = await h.start();
    h.a.registerInstance('10.4.0.9:80#true', 'ipport', orders, { ip: '10.4.0.9', port: 80 });
    await eventually(() => expect(copiesIn(h.b)).toHaveLength(4));
    off();
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(3);
    next.stop();
  });
});
