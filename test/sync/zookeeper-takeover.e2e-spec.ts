import { CreateMode, ZooKeeperConnection } from '../../src/sync/adapters/zookeeper-client';
import { adminRequest } from '../../tools/support/admin-request';
import { eventually } from '../../tools/support/eventually';
import { startZooKeeper } from '../../tools/support/zookeeper-server';
import type { ZooKeeperServer } from '../../tools/support/zookeeper-server';
import type { WorkerResponseDto as Worker } from '../../src/sync/worker/workers.controller';
import { killAll } from '../support/node-process';
import type { NodeProcess } from '../support/node-process';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';
import { spawnWorkers } from '../support/worker-replicas';

const TOKEN = 'zookeeper-takeover-admin-token';
const LEASE_TTL_MS = 1500;
/** The copies' session timeout: well above a lease takeover, so the next holder is in time. */
const SESSION_MS = 6000;

/**
 * Two worker replicas (real processes on one Postgres) run a task that copies Spring Cloud instances
 * of a ZooKeeper into its Dubbo 3 application layout. The copies are ephemeral znodes of the holder's
 * session: when the holder is SIGKILLed the other replica takes the lease and recreates every copy
 * under its own session before the dead one expires, so a reader never sees one missing; when the
 * last holder dies, the copies go at its session timeout.
 */
(process.env.DATABASE_URL ? describe : describe.skip)('zookeeper copies through a worker kill', () => {
  let zk: ZooKeeperServer;
  let db: TestDatabase;
  let app: ZooKeeperConnection;
  const nodes: NodeProcess[] = [];
  const bases: string[] = [];
  const call = (base: string, method: string, path: string, body?: unknown): Promise<any> =>
    adminRequest(`${base}/api/v1${path}`, TOKEN, method, body);
  const copies = async (): Promise<string[]> => (await app.getChildren('/dst/orders').catch(() => [])).sort();
  const sessionOf = async (node: string): Promise<string> =>
    (await app.exists(`/dst/orders/${node}`))!.ephemeralOwner.toString('hex');

  beforeAll(async () => {
    [zk, db] = await Promise.all([startZooKeeper(), createTestDatabase()]);
    app = new ZooKeeperConnection({ addresses: [zk.address], sessionTimeoutMs: 10_000 });
    await app.ready();
    nodes.push(
      ...spawnWorkers(2, {
        DATABASE_URL: db.url,
        ADMIN_TOKEN: TOKEN,
        SYNC_LEASE_TTL_MS: String(LEASE_TTL_MS),
        SYNC_CLIENT_TTL: String(SESSION_MS),
      }),
    );
    bases.push(...(await Promise.all(nodes.map((n) => n.ready))));
  });

  afterAll(async () => {
    await killAll(nodes);
    await app?.close();
    await Promise.all([zk?.stop(), db?.drop()]);
  });

  it('should keep every copy visible through the kill of its holder, and let them go with the last one', async () => {
    const cluster = (body: object) =>
      call(bases[0], 'POST', '/clusters', { kind: 'zookeeper', addresses: [zk.address], ...body });
    const source = await cluster({ name: 'zk-spring', layout: 'spring-cloud', prefix: '/src' });
    const target = await cluster({ name: 'zk-dubbo3', layout: 'dubbo-app', prefix: '/dst' });
    const task = await call(bases[0], 'POST', '/tasks', {
      sourceClusterId: source.id,
      targetClusterId: target.id,
      serviceName: 'orders',
    });
    await app.ensurePath('/src/orders');
    for (const i of [1, 2, 3]) {
      const data = JSON.stringify({
        name: 'orders',
        id: `id-${i}`,
        address: `10.7.0.${i}`,
        port: 8080,
        sslPort: null,
        payload: {
          '@class': 'org.springframework.cloud.zookeeper.discovery.ZookeeperInstance',
          id: 'orders-1',
          name: 'orders',
          metadata: { instance_status: 'UP' },
        },
        registrationTimeUTC: 1700000000000,
        serviceType: 'DYNAMIC',
        uriSpec: null,
      });
      await app.create(`/src/orders/id-${i}`, Buffer.from(data), CreateMode.EPHEMERAL);
    }
    await eventually(async () => expect(await copies()).toHaveLength(3), { timeoutMs: 20_000 });
    const workers = (await call(bases[0], 'GET', '/workers')) as Worker[];
    const holder = workers.find((w) => w.leases.includes(task.id))!;
    const victim = nodes.find((n) => n.child.pid === holder.pid)!;
    const survivor = bases[nodes.indexOf(victim) === 0 ? 1 : 0];
    const [first] = await copies();
    const deadSession = await sessionOf(first);

    let fewest = Infinity;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) fewest = Math.min(fewest, (await copies()).length);
    })();
    victim.kill('SIGKILL');
    // The survivor takes the lease and the copies over; then the server expires the dead session.
    await eventually(async () => expect((await call(survivor, 'GET', `/tasks/${task.id}`)).owner).not.toBe(holder.id), {
      timeoutMs: 15_000,
    });
    await eventually(async () => !(await zk.ephemerals()).has(deadSession), {
      timeoutMs: SESSION_MS + 10_000,
      what: 'the server to expire the killed holder',
    });
    sampling = false;
    await sampler;
    expect(fewest).toBe(3);
    const copiesNow = await copies();
    expect(copiesNow).toHaveLength(3);
    const liveSession = await sessionOf(copiesNow[0]);
    expect(liveSession).not.toBe(deadSession);

    // The last holder dies: nobody takes over, and the copies go with its session.
    nodes.find((n) => n !== victim)!.kill('SIGKILL');
    await eventually(async () => expect(await copies()).toEqual([]), { timeoutMs: SESSION_MS + 10_000 });
    expect((await zk.ephemerals()).has(liveSession)).toBe(false);
  });
});
