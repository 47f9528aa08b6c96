import { Database } from '../../src/database/database';
import { Registry } from '../../src/registry';
import type { ServiceKey } from '../../src/registry';
import { LocalRegistryAdapter } from '../../src/sync/adapters/local-adapter';
import { CopyFencedError, CopyRefusedError } from '../../src/sync/adapters/target-registry';
import type { CopyOwner } from '../../src/sync/adapters/target-registry';
import type { RegistryAdapter } from '../../src/sync/adapters/registry-adapter';
import { LeaseKeeper } from '../../src/sync/leases/lease-keeper';
import { ENTITIES } from '../../src/sync/entities';
import type { HeldLease } from '../../src/sync/store/lease.repository';
import type { LedgerRepository } from '../../src/sync/store/ledger.repository';
import { SyncStore } from '../../src/sync/store/sync-store';
import { TaskRunner } from '../../src/sync/reconcile/task-runner';
import type { RunnerStatus, TaskDefinition } from '../../src/sync/reconcile/task-runner';
import type { RejectedCopy } from '../../src/sync/reconcile/quarantine';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';
import { eventually } from '../../tools/support/eventually';

const quiet = { log: () => undefined, warn: () => undefined };
const orders: ServiceKey = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'orders' };

/**
 * A target whose answers the test controls: down (every call fails as unreachable), refusing
 * any copy whose metadata carries `refuse` (as a target's validation would, INVALID_ARGUMENT), or
 * fencing out writers below a lease generation (as etcd and ZooKeeper targets do).
 */
class ControlledTarget implements RegistryAdapter {
  down = false;
  calls = 0;
  fencedBelow = 0n;
  constructor(private readonly inner: LocalRegistryAdapter) {}
  private gate<T>(work: () => Promise<T>, owner?: CopyOwner): Promise<T> {
    this.calls++;
    if (this.down) return Promise.reject(new Error('connect ECONNREFUSED 10.255.0.1:9848'));
    if (owner && BigInt(owner.generation) < this.fencedBelow) {
      return Promise.reject(new CopyFencedError(owner.taskId, owner.generation, `fence at ${this.fencedBelow}`));
    }
    return work();
  }
  snapshot: RegistryAdapter['snapshot'] = (s) => this.inner.snapshot(s);
  watch: RegistryAdapter['watch'] = (s, on, err) => this.inner.watch(s, on, err);
  applyCopies: RegistryAdapter['applyCopies'] = (o, services) =>
    this.gate(() => {
      const bad = services.flatMap((s) => s.copies).find((c) => c.metadata.refuse !== undefined);
      if (bad) return Promise.reject(new CopyRefusedError(`instance ${bad.ip}:${bad.port}: metadata refused`));
      return this.inner.applyCopies(o, services);
    }, o);
  renewCopies: RegistryAdapter['renewCopies'] = (o) => this.gate(() => this.inner.renewCopies(o), o);
  withdrawCopies: RegistryAdapter['withdrawCopies'] = (o) => this.gate(() => this.inner.withdrawCopies(o), o);
  listCopies: RegistryAdapter['listCopies'] = (o) => this.gate(() => this.inner.listCopies(o));
  check: RegistryAdapter['check'] = () => this.inner.check();
  close: RegistryAdapter['close'] = () => this.inner.close();
}

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
  let store: SyncStore;
  let ledger: LedgerRepository;
  let clusterA: string;
  let clusterB: string;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = await Database.open(
      { url: testDb.url, dataDir: 'memory', poolSize: 4, startupTimeoutMs: 10000, entities: ENTITIES },
      quiet,
    );
    store = new SyncStore(db.dataSource);
    ledger = store.ledger;
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
    target: ControlledTarget;
    sut: TaskRunner;
    task: TaskDefinition;
    lease: HeldLease;
    events: string[];
    /** Details of every event, by kind. */
    details: Array<{ kind: string; message: string; details?: Record<string, unknown> }>;
    /** Every announced rejection (one per copy per backoff step). */
    rejections: RejectedCopy[];
    /** Moves the runner's clock forward. */
    advance(ms: number): void;
    start(lease?: HeldLease): Promise<TaskRunner>;
  }

  let seq = 0;
  async function harness(
    options: { serviceName?: string; maxDeleteRatio?: number; status?: RunnerStatus; deleteTargetWaitMs?: number } = {},
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
    const target = new ControlledTarget(new LocalRegistryAdapter(b, () => 'b1'));
    const events: string[] = [];
    const details: Harness['details'] = [];
    const rejections: RejectedCopy[] = [];
    let offset = 0;
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
      store,
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
      target,
      lease,
      events,
      details,
      rejections,
      advance: (ms) => (offset += ms),
      sut: undefined as unknown as TaskRunner,
      start: async (l = lease) => {
        const runner = new TaskRunner({ ...task }, l, {
          source,
          target,
          ledger,
          leases: store.leases,
          tasks: store.tasks,
          workerId: worker,
          settings: {
            debounceMs: 10,
            copyTtlMs: 30000,
            protectHoldMs: 60000,
            servicesPerBatch: 50,
            protectMinDeletes: 3,
            retryBaseMs: 100,
            retryMaxMs: 1000,
            deleteTargetWaitMs: options.deleteTargetWaitMs ?? 10_000,
          },
          events: {
            event: (kind, message, d) => {
              events.push(kind);
              details.push({ kind, message, details: d });
            },
            rejected: (copy) => rejections.push(copy),
          },
          clock: () => Date.now() + offset,
          random: () => 0,
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

  describe('poison isolation', () => {
    const nulSvc: ServiceKey = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'nul-svc' };
    const later: ServiceKey = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'later-svc' };
    // What a remote Nacos or an older node can serve even when our own edges refuse it.
    const poison = (h: Harness, metadata: Record<string, string> = { k: 'a\u0000b' }) =>
      h.a.registerInstance('10.13.0.1:80#true', 'ipport', nulSvc, { ip: '10.13.0.1', port: 80, metadata });

    it('should keep a copy the ledger refuses out on its own while every other one flows', async () => {
      const h = await harness();
      h.a.registerInstance('10.0.1.1:80#true', 'ipport', orders, { ip: '10.0.1.1', port: 80 });
      h.a.registerInstance('10.13.0.2:80#true', 'ipport', nulSvc, { ip: '10.13.0.2', port: 80 });
      poison(h);
      await eventually(() => expect(copiesIn(h.b, nulSvc).map((i) => i.ip)).toEqual(['10.13.0.2']));
      expect(copiesIn(h.b)).toHaveLength(1);
      expect(h.sut.state.rejectedCount).toBe(1);
      expect(h.sut.state.rejected[0]).toMatchObject({
        serviceName: 'nul-svc',
        ip: '10.13.0.1',
        port: 80,
        refusedBy: 'ledger',
        reason: expect.stringMatching(/Unicode|0x00/i) as unknown,
      });
      expect(h.sut.state.lastError).toContain('public/DEFAULT_GROUP@@nul-svc 10.13.0.1:80');
      expect(h.sut.state.applied).toBe(2);
      expect(h.events).toContain('copy-rejected');
      expect(h.rejections).toHaveLength(1);

      // Services registered afterwards are copied at once, and a full reconcile neither stalls
      // nor announces the quarantined copy again before its backoff step.
      h.a.registerInstance('10.0.2.1:80#true', 'ipport', later, { ip: '10.0.2.1', port: 80 });
      await eventually(() => expect(copiesIn(h.b, later)).toHaveLength(1));
      await h.sut.reconcile();
      expect(h.sut.state.applied).toBe(3);
      expect(h.sut.state.desired).toBe(4);
      expect(h.rejections).toHaveLength(1);
      expect(await ledger.count(h.task.id)).toBe(3);
      h.sut.stop();
    });

    it('should retry a quarantined copy when it changes in the source, and forget it once written', async () => {
      const h = await harness();
      poison(h);
      await eventually(() => expect(h.sut.state.rejectedCount).toBe(1));
      poison(h, { k: 'fixed' });
      await eventually(() => expect(copiesIn(h.b, nulSvc)).toHaveLength(1));
      expect(copiesIn(h.b, nulSvc)[0].metadata.k).toBe('fixed');
      expect(h.sut.state.rejectedCount).toBe(0);
      expect(h.sut.state.rejected).toEqual([]);
      await h.sut.reconcile();
      expect(h.sut.state.lastError).toBeNull();
      h.sut.stop();
    });

    it('should forget a quarantined copy whose instance is gone from the source', async () => {
      const h = await harness();
      poison(h);
      await eventually(() => expect(h.sut.state.rejectedCount).toBe(1));
      h.a.deregisterInstance('10.13.0.1:80#true', nulSvc, 'DEFAULT', '10.13.0.1', 80);
      await h.sut.reconcile();
      expect(h.sut.state.rejectedCount).toBe(0);
      h.sut.stop();
    });

    it('should try an unchanged quarantined copy again only at its backoff steps, announcing each', async () => {
      const h = await harness();
      poison(h);
      await eventually(() => expect(h.rejections).toHaveLength(1));
      const first = h.rejections[0];
      expect(first.attempts).toBe(1);
      for (let i = 0; i < 3; i++) await h.sut.reconcile();
      expect(h.rejections).toHaveLength(1);
      h.advance(first.retryAt - Date.now() + 1);
      await h.sut.reconcile();
      expect(h.rejections).toHaveLength(2);
      expect(h.rejections[1].attempts).toBe(2);
      expect(h.rejections[1].retryAt - h.rejections[0].retryAt).toBeGreaterThan(first.retryAt - first.since);
      h.sut.stop();
    });

    it('should keep the old copy of an instance whose change the ledger refuses', async () => {
      const h = await harness();
      poison(h, { k: 'v1' });
      await eventually(() => expect(copiesIn(h.b, nulSvc)).toHaveLength(1));
      poison(h);
      await eventually(() => expect(h.sut.state.rejectedCount).toBe(1));
      expect(copiesIn(h.b, nulSvc)[0].metadata.k).toBe('v1');
      expect((await ledger.load(h.task.id))[0].metadata.k).toBe('v1');
      h.sut.stop();
    });

    it('should split a batch the target refuses down to the refused copy and write the rest', async () => {
      const h = await harness();
      h.sut.stop();
      for (let i = 0; i < 20; i++)
        h.a.registerInstance(`10.5.0.${i}:80#true`, 'ipport', orders, {
          ip: `10.5.0.${i}`,
          port: 80,
          metadata: i === 13 ? { refuse: 'yes' } : {},
        });
      h.a.registerInstance('10.0.2.1:80#true', 'ipport', later, { ip: '10.0.2.1', port: 80 });
      const sut = await h.start();
      expect(copiesIn(h.b)).toHaveLength(19);
      expect(copiesIn(h.b).some((i) => i.ip === '10.5.0.13')).toBe(false);
      expect(copiesIn(h.b, later)).toHaveLength(1);
      expect(sut.state.rejected).toEqual([
        expect.objectContaining({ ip: '10.5.0.13', refusedBy: 'target', reason: expect.stringContaining('refused') }),
      ]);
      // The ledger covers exactly what the target holds: the refused copy is not in it.
      expect(await ledger.count(h.task.id)).toBe(20);
      expect(sut.state.targetReachable).toBe(true);
      sut.stop();
    });
  });

  describe('deletion', () => {
    it('should retry the withdrawal with backoff while the target does not answer, then withdraw', async () => {
      const h = await harness();
      h.a.registerInstance('10.6.0.1:80#true', 'ipport', orders, { ip: '10.6.0.1', port: 80 });
      await eventually(() => expect(copiesIn(h.b)).toHaveLength(1));
      await db.dataSource.query(`UPDATE sync_task SET status = 'deleting' WHERE id = $1`, [h.task.id]);
      h.target.down = true;
      await h.sut.refresh(h.lease, { ...h.task, status: 'deleting' });
      expect(h.sut.state.nextAttemptAt).not.toBeNull();
      expect(h.sut.state.lastError).toContain('ECONNREFUSED');
      // Not due yet: a round does not call the target again.
      const calls = h.target.calls;
      await h.sut.refresh(h.lease, { ...h.task, status: 'deleting' });
      expect(h.target.calls).toBe(calls);
      h.target.down = false;
      h.advance(1000);
      await h.sut.refresh(h.lease, { ...h.task, status: 'deleting' });
      expect(copiesIn(h.b)).toHaveLength(0);
      expect(await db.dataSource.query(`SELECT 1 FROM sync_task WHERE id = $1`, [h.task.id])).toHaveLength(0);
      expect(h.details.find((e) => e.kind === 'deleted')?.details).toMatchObject({ withdrawn: true, copies: 1 });
    });

    it('should drop the task after the wait when the target never answers, leaving the copies to their TTL', async () => {
      const h = await harness({ deleteTargetWaitMs: 5000 });
      h.a.registerInstance('10.6.0.2:80#true', 'ipport', orders, { ip: '10.6.0.2', port: 80 });
      await eventually(() => expect(copiesIn(h.b)).toHaveLength(1));
      await db.dataSource.query(`UPDATE sync_task SET status = 'deleting' WHERE id = $1`, [h.task.id]);
      h.target.down = true;
      await h.sut.refresh(h.lease, { ...h.task, status: 'deleting' });
      h.advance(2000);
      await h.sut.refresh(h.lease, { ...h.task, status: 'deleting' });
      expect(await db.dataSource.query(`SELECT 1 FROM sync_task WHERE id = $1`, [h.task.id])).toHaveLength(1);
      h.advance(4000);
      await h.sut.refresh(h.lease, { ...h.task, status: 'deleting' });
      expect(await db.dataSource.query(`SELECT 1 FROM sync_task WHERE id = $1`, [h.task.id])).toHaveLength(0);
      expect(await ledger.count(h.task.id)).toBe(0);
      const deleted = h.details.find((e) => e.kind === 'deleted');
      expect(deleted?.details).toMatchObject({ withdrawn: false, copies: 1 });
      expect(deleted?.message).toContain('lapse by their TTL');
    });
  });

  it('should stop writing, and say so once, when the target fences its holding out', async () => {
    const h = await harness();
    h.a.registerInstance('10.0.5.1:80#true', 'ipport', orders, { ip: '10.0.5.1', port: 80 });
    await eventually(() => expect(copiesIn(h.b)).toHaveLength(1));
    // A newer holding raised the task's fence in the target; this runner has not seen its lease go.
    h.target.fencedBelow = BigInt(h.lease.generation) + 1n;
    h.a.registerInstance('10.0.5.2:80#true', 'ipport', orders, { ip: '10.0.5.2', port: 80 });
    await eventually(() => expect(h.events).toContain('lease-fenced'));
    const fenced = h.details.find((d) => d.kind === 'lease-fenced')!;
    expect(fenced.message).toMatch(/fenced out of the target: fence at \d+; this holder stopped writing/);
    expect(fenced.details).toEqual({ generation: h.lease.generation });
    expect(h.sut.state.lastError).toMatch(/fenced out/);
    // Nothing more is tried: no retry of the change, no renewal, no full round.
    const calls = h.target.calls;
    h.a.registerInstance('10.0.5.3:80#true', 'ipport', orders, { ip: '10.0.5.3', port: 80 });
    await h.sut.renew();
    await h.sut.reconcile();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(h.target.calls).toBe(calls);
    expect(h.events.filter((e) => e === 'lease-fenced')).toHaveLength(1);
    expect(copiesIn(h.b).map((i) => i.ip)).toEqual(['10.0.5.1']);
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
