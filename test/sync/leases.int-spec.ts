import { eventually } from '../../tools/support/eventually';
import { Database } from '../../src/database/database';
import { LeaseKeeper } from '../../src/sync/leases/lease-keeper';
import type { LeaseListener } from '../../src/sync/leases/lease-keeper';
import { ENTITIES } from '../../src/sync/entities';
import { LeaseLostError } from '../../src/sync/store/lease.repository';
import { SyncStore } from '../../src/sync/store/sync-store';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';

const quiet = { log: () => undefined, warn: () => undefined };

class RecordingListener implements LeaseListener {
  readonly events: string[] = [];
  acquired(lease: { taskId: string; generation: string }): void {
    this.events.push(`+${lease.taskId}@${lease.generation}`);
  }
  lost(taskId: string, reason: string): void {
    this.events.push(`-${taskId}:${reason}`);
  }
}

describe(LeaseKeeper.name, () => {
  let testDb: TestDatabase;
  let db: Database;
  let store: SyncStore;
  const TTL = 1500;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = await Database.open(
      { url: testDb.url, dataDir: 'memory', poolSize: 4, startupTimeoutMs: 10000, entities: ENTITIES },
      quiet,
    );
    store = new SyncStore(db.dataSource);
    const [{ id: a }] = await db.dataSource.query(
      `INSERT INTO cluster (name, kind, addresses) VALUES ('a', 'distro', '{a:8848}') RETURNING id`,
    );
    const [{ id: b }] = await db.dataSource.query(
      `INSERT INTO cluster (name, kind, addresses) VALUES ('b', 'distro', '{b:8848}') RETURNING id`,
    );
    for (let i = 0; i < 9; i++) {
      await db.dataSource.query(
        `INSERT INTO sync_task (name, source_cluster_id, target_cluster_id, service_name) VALUES ($1, $2, $3, $4)`,
        [`t${i}`, a, b, `svc-${i}`],
      );
    }
  });

  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
  });

  const keeper = (id: string, listener = new RecordingListener(), maxClaimPerRound = 100): LeaseKeeper =>
    new LeaseKeeper(
      store,
      { id, hostname: 'test', pid: process.pid, version: 'test', address: null },
      { ttlMs: TTL, workerTtlMs: TTL, maxClaimPerRound },
      listener,
    );

  const rounds = async (keepers: LeaseKeeper[], n: number): Promise<void> => {
    for (let i = 0; i < n; i++) for (const k of keepers) await k.round();
  };

  it('should spread nine tasks 3/3/3 over three replicas, each task held exactly once', async () => {
    const sut = [keeper('w1'), keeper('w2'), keeper('w3')];
    // Heartbeats first, as replicas that start together see each other within a round.
    for (const k of sut)
      await store.workers.heartbeat({ id: k.workerId, hostname: 't', pid: 1, version: 't', address: null });
    await rounds(sut, 3);
    expect(sut.map((k) => k.leases().length)).toEqual([3, 3, 3]);
    const all = sut.flatMap((k) => k.leases().map((l) => l.taskId));
    expect(new Set(all).size).toBe(9);
    for (const k of sut) await k.retire();
  });

  it('should let a survivor take the tasks of a replica that stopped renewing, after the TTL, at a new generation', async () => {
    const dead = keeper('dead');
    const survivorEvents = new RecordingListener();
    const survivor = keeper('survivor', survivorEvents);
    await store.workers.heartbeat({ id: 'survivor', hostname: 't', pid: 1, version: 't', address: null });
    await rounds([dead, survivor], 2);
    expect(dead.leases().length + survivor.leases().length).toBe(9);
    const deadLeases = dead.leases();
    expect(deadLeases.length).toBeGreaterThan(0);

    // `dead` stops: no more rounds. Before the TTL nobody may take its tasks.
    await survivor.round();
    expect(survivor.leases().length).toBeLessThan(9);
    // Until the store's own clock says so: dead's heartbeat is older than the worker TTL and its leases expired.
    await eventually(
      async () => {
        const [{ n }] = await db.dataSource.query(
          `SELECT (SELECT count(*) FROM worker WHERE id = 'dead' AND heartbeat_at > now() - make_interval(secs => $1::double precision / 1000))
                + (SELECT count(*) FROM task_lease WHERE owner = 'dead' AND expires_at > now()) AS n`,
          [TTL],
        );
        return Number(n) === 0;
      },
      { what: "dead's heartbeat and leases to lapse" },
    );
    await rounds([survivor], 2);
    expect(survivor.leases()).toHaveLength(9);
    for (const old of deadLeases) {
      const now = survivor.lease(old.taskId);
      expect(BigInt(now!.generation)).toBeGreaterThan(BigInt(old.generation));
    }

    // The stale holder's fenced writes fail: it can never write under a lease it lost.
    const stale = deadLeases[0];
    await expect(store.leases.fenced(stale, 'dead', () => Promise.resolve('wrote'))).rejects.toBeInstanceOf(
      LeaseLostError,
    );
    const current = survivor.lease(stale.taskId)!;
    await expect(store.leases.fenced(current, 'survivor', () => Promise.resolve('wrote'))).resolves.toBe('wrote');
    await survivor.retire();
  });

  it('should hand tasks over when a replica joins, and get them all back when it retires', async () => {
    const first = keeper('first');
    await rounds([first], 1);
    expect(first.leases()).toHaveLength(9);
    const joiner = keeper('joiner');
    await rounds([joiner, first, joiner], 1);
    expect(first.leases().length + joiner.leases().length).toBe(9);
    expect(Math.abs(first.leases().length - joiner.leases().length)).toBeLessThanOrEqual(1);
    await joiner.retire();
    await rounds([first], 1);
    expect(first.leases()).toHaveLength(9);
    await first.retire();
  });

  it('should claim at most maxClaimPerRound while warming up, then its whole share in one round', async () => {
    const fresh = keeper('fresh', new RecordingListener(), 2);
    await rounds([fresh], 1);
    expect(fresh.leases()).toHaveLength(2);
    await rounds([fresh], 1);
    expect(fresh.leases()).toHaveLength(4);
    // Once peers have had a worker TTL to heartbeat, there is no reason to take the rest slowly:
    // a survivor must take over a dead peer's thousands of tasks in one round.
    await new Promise((r) => setTimeout(r, TTL + 100));
    await rounds([fresh], 1);
    expect(fresh.leases()).toHaveLength(9);
    await fresh.retire();
  });
});
