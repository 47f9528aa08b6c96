import type { Etcd3 } from 'etcd3';
import { adminRequest } from '../../tools/support/admin-request';
import { eventually } from '../../tools/support/eventually';
import { EtcdServer } from '../../tools/support/etcd-server';
import type { WorkerResponseDto as Worker } from '../../src/sync/worker/workers.controller';
import { killAll } from '../support/node-process';
import type { NodeProcess } from '../support/node-process';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';
import { spawnWorkers } from '../support/worker-replicas';
import { etcdClient, grpcNamingValue, keysUnder } from './etcd-support';

const TOKEN = 'etcd-takeover-admin-token';
const LEASE_TTL_MS = 1500;
/** The copies' etcd lease TTL: well above a lease takeover, so the next holder is in time. */
const COPY_TTL_MS = 6000;
/** How late after its TTL etcd may expire a lease (its leader checks expiry every 500 ms) plus a polling step. */
const EXPIRY_SLACK_MS = 2000;

/**
 * Two worker replicas (real processes on one Postgres) run a task that copies gRPC-go registrations
 * from one prefix of an etcd into another. The copies hang on the holder's etcd lease: when the
 * holder is SIGKILLed the other replica takes the task's lease and moves every copy onto its own
 * etcd lease before the dead one expires, so a reader polling etcd never sees one missing; the dead
 * holder's lease then holds no key and expires by its TTL; when the last holder dies, the copies go
 * one TTL after it.
 */
(process.env.DATABASE_URL ? describe : describe.skip)('etcd copies through a worker kill', () => {
  let etcd: EtcdServer;
  let db: TestDatabase;
  let kv: Etcd3;
  const nodes: NodeProcess[] = [];
  const bases: string[] = [];
  const call = (base: string, method: string, path: string, body?: unknown): Promise<any> =>
    adminRequest(`${base}/api/v1${path}`, TOKEN, method, body);
  const copies = async (): Promise<Map<string, { lease: string }>> =>
    keysUnder(kv, 'dst/orders/').catch(() => new Map<string, { lease: string }>());
  /** The lease's remaining TTL and attached keys; TTL -1 once etcd expired it. */
  const leaseOf = async (id: string): Promise<{ ttl: number; keys: string[] }> => {
    const res = await kv.leaseClient.leaseTimeToLive({ ID: id, keys: true });
    return { ttl: Number(res.TTL), keys: res.keys.map((k) => k.toString()) };
  };

  beforeAll(async () => {
    [etcd, db] = await Promise.all([EtcdServer.start(), createTestDatabase()]);
    kv = etcdClient(etcd.address);
    nodes.push(
      ...spawnWorkers(2, {
        DATABASE_URL: db.url,
        ADMIN_TOKEN: TOKEN,
        SYNC_LEASE_TTL_MS: String(LEASE_TTL_MS),
        SYNC_CLIENT_TTL: String(COPY_TTL_MS),
      }),
    );
    bases.push(...(await Promise.all(nodes.map((n) => n.ready))));
  });

  afterAll(async () => {
    await killAll(nodes);
    kv?.close();
    await Promise.all([etcd?.stop(), db?.drop()]);
  });

  it('should keep every copy readable through the kill of its holder, and let them go one TTL after the last', async () => {
    const cluster = (name: string, prefix: string) =>
      call(bases[0], 'POST', '/clusters', { name, kind: 'etcd', addresses: [etcd.address], prefix });
    const source = await cluster('etcd-src', 'src/');
    const target = await cluster('etcd-dst', 'dst/');
    const task = await call(bases[0], 'POST', '/tasks', {
      sourceClusterId: source.id,
      targetClusterId: target.id,
      serviceName: 'orders',
    });
    for (const i of [1, 2, 3]) await kv.put(`src/orders/10.7.0.${i}:8080`).value(grpcNamingValue(`10.7.0.${i}:8080`));
    await eventually(async () => expect((await copies()).size).toBe(3), { timeoutMs: 20_000 });
    const workers = (await call(bases[0], 'GET', '/workers')) as Worker[];
    const holder = workers.find((w) => w.leases.includes(task.id))!;
    const victim = nodes.find((n) => n.child.pid === holder.pid)!;
    const survivor = nodes.find((n) => n !== victim)!;
    const deadLease = [...(await copies()).values()][0].lease;
    expect(deadLease).not.toBe('0');

    // A consumer polling etcd as fast as it can, all through the takeover.
    let fewest = Infinity;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) fewest = Math.min(fewest, (await copies()).size);
    })();
    const killedAt = Date.now();
    victim.kill('SIGKILL');
    await eventually(
      async () =>
        expect((await call(bases[nodes.indexOf(survivor)], 'GET', `/tasks/${task.id}`)).owner).not.toBe(holder.id),
      { timeoutMs: 15_000 },
    );
    // The survivor moves every copy onto its own etcd lease: the dead one holds none of them.
    const liveLease = await eventually(
      async () => {
        const leases = new Set([...(await copies()).values()].map((c) => c.lease));
        expect(leases.size).toBe(1);
        expect(leases.has(deadLease)).toBe(false);
        return [...leases][0];
      },
      { timeoutMs: COPY_TTL_MS, what: 'the copies on the next holder’s lease' },
    );
    expect((await leaseOf(deadLease)).keys).toEqual([]);
    await eventually(async () => expect((await leaseOf(deadLease)).ttl).toBe(-1), {
      timeoutMs: COPY_TTL_MS + EXPIRY_SLACK_MS,
      what: 'etcd to expire the killed holder’s lease',
    });
    expect(Date.now() - killedAt).toBeLessThanOrEqual(COPY_TTL_MS + EXPIRY_SLACK_MS);
    sampling = false;
    await sampler;
    expect(fewest).toBe(3);
    // Still one live lease of the survivor's for all three. On a loaded machine a keepalive of the short test TTL
    // can come late and the holder re-grants (a new lease id, every copy rewritten on it, none ever missing).
    const now = new Set([...(await copies()).values()].map((c) => c.lease));
    expect(now.size).toBe(1);
    const [current] = [...now];
    if (current !== liveLease) expect((await leaseOf(current)).ttl).toBeGreaterThan(0);
    expect(current).not.toBe(deadLease);

    // The last holder dies: nobody takes over; the copies outlive it by their TTL, no more.
    const lastKilledAt = Date.now();
    survivor.kill('SIGKILL');
    await eventually(async () => expect((await copies()).size).toBe(0), {
      timeoutMs: COPY_TTL_MS + EXPIRY_SLACK_MS,
      intervalMs: 100,
      what: 'the last holder’s copies to expire',
    });
    const outlived = Date.now() - lastKilledAt;
    expect(outlived).toBeGreaterThanOrEqual(COPY_TTL_MS / 2);
    expect(outlived).toBeLessThanOrEqual(COPY_TTL_MS + EXPIRY_SLACK_MS);
    expect((await leaseOf(current)).ttl).toBe(-1);
  });
});
