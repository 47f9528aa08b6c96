import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';
import { eventually } from '../../tools/support/eventually';

const TOKEN = 'dry-run-admin-token-0000000';
const FAST = {
  ADMIN_TOKEN: TOKEN,
  SECRET_KEY: 'dry-run-secret-key-0123456789abcdef',
  SYNC_LEASE_RENEW_MS: '200',
  SYNC_LEASE_TTL_MS: '2000',
  SYNC_FULL_RECONCILE_MS: '1000',
  SYNC_DEBOUNCE_MS: '10',
  LOG_LEVEL: 'warn',
};

/**
 * POST /api/v1/tasks/dry-run (what a task to create, or a PATCH of a task's selector, would do) and
 * the console's read of the registry, GET /api/v1/services (copies marked by the task that wrote them).
 * Two regions: B previews and runs a task copying A's services into itself.
 */
describe('task dry run and the service browser', () => {
  let dbs: TestDatabase[] = [];
  let a: TestNode;
  let node: TestNode;
  let local: string;
  let self: string;

  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${node.base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const ok = async (method: string, path: string, body?: unknown): Promise<any> => {
    const res = await call(method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const register = async (on: TestNode, service: string, ip: string): Promise<void> => {
    const qs = new URLSearchParams({ serviceName: service, ip, port: '8080', ephemeral: 'false' });
    const res = await fetch(`${on.base}/nacos/v1/ns/instance?${qs.toString()}`, { method: 'POST' });
    expect(res.status).toBe(200);
  };

  beforeAll(async () => {
    dbs = await Promise.all([createTestDatabase(), createTestDatabase()]);
    [a, node] = await Promise.all(dbs.map((db) => startTestNode({ ...FAST, DATABASE_URL: db.url })));
    local = (await ok('POST', '/clusters', { name: 'region-b', kind: 'local' })).id;
    // `self` is the source here: region A, seen from B.
    self = (
      await ok('POST', '/clusters', {
        name: 'region-a',
        kind: 'distro',
        addresses: [`127.0.0.1:${a.httpPort}/${a.grpcPort}`],
        token: TOKEN,
      })
    ).id;
    await register(a, 'orders', '10.1.0.1');
    await register(a, 'orders', '10.1.0.2');
    await register(a, 'orders-canary', '10.1.0.3');
    await register(a, 'billing', '10.1.0.4');
    await register(node, 'orders', '10.2.0.9');
  });

  afterAll(async () => {
    await Promise.all([a?.close(), node?.close()]);
    await Promise.all(dbs.map((db) => db.drop()));
  });

  it('should preview a new task: every matching instance an add, excludes left out, nothing created', async () => {
    const dry = await ok('POST', '/tasks/dry-run', {
      sourceClusterId: self,
      targetClusterId: local,
      serviceName: 'orders*',
      exclude: ['orders-canary'],
    });
    expect(dry.counts).toEqual({ add: 2, update: 0, remove: 0 });
    expect(dry.diff.add.map((c: any) => `${c.serviceName} ${c.ip}`).sort()).toEqual([
      'orders 10.1.0.1',
      'orders 10.1.0.2',
    ]);
    expect((await ok('GET', '/tasks')).total).toBe(0);
  });

  it('should answer bad dry runs with a 400 naming the field', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ targetClusterId: local, serviceName: '*' }, /sourceClusterId/],
      [{ sourceClusterId: self, targetClusterId: local }, /serviceName/],
      [{ sourceClusterId: self, targetClusterId: self, serviceName: '*' }, /targetClusterId must differ/],
      [
        { sourceClusterId: '00000000-0000-4000-8000-000000000000', targetClusterId: local, serviceName: '*' },
        /sourceClusterId names no cluster/,
      ],
      [{ sourceClusterId: self, targetClusterId: local, serviceName: 'a b' }, /serviceName/],
      [{ taskId: 'nope', serviceName: '*' }, /taskId/],
    ];
    for (const [body, message] of cases) {
      const res = await call('POST', '/tasks/dry-run', body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(JSON.stringify(res.body.message)).toMatch(message);
    }
    expect((await call('POST', '/tasks/dry-run', { taskId: '00000000-0000-4000-8000-000000000000' })).status).toBe(404);
  });

  it('should preview a PATCH against the task ledger without changing the task', async () => {
    const task = await ok('POST', '/tasks', { sourceClusterId: self, targetClusterId: local, serviceName: 'orders*' });
    await eventually(async () => expect((await ok('GET', `/tasks/${task.id}`)).applied).toBe(3), {
      timeoutMs: 20000,
      what: 'the task applied its three copies',
    });
    const same = await ok('POST', '/tasks/dry-run', { taskId: task.id });
    expect(same.counts).toEqual({ add: 0, update: 0, remove: 0 });
    const narrower = await ok('POST', '/tasks/dry-run', { taskId: task.id, exclude: ['orders-canary'] });
    expect(narrower.counts).toEqual({ add: 0, update: 0, remove: 1 });
    expect(narrower.diff.remove[0]).toMatchObject({ serviceName: 'orders-canary', ip: '10.1.0.3' });
    const wider = await ok('POST', '/tasks/dry-run', { taskId: task.id, serviceName: '*' });
    expect(wider.counts).toEqual({ add: 1, update: 0, remove: 0 });
    const moved = await call('POST', '/tasks/dry-run', { taskId: task.id, targetClusterId: self });
    expect(moved.status).toBe(400);
    expect(JSON.stringify(moved.body.message)).toMatch(/targetClusterId cannot change/);
    expect((await ok('GET', `/tasks/${task.id}`)).exclude).toEqual([]);
  });

  it('should list services with their copies, and mark each copy with its source and task', async () => {
    const tasks = await ok('GET', '/tasks');
    const taskId = tasks.items[0].id;
    const list = await ok('GET', '/services');
    expect(list.namespaces).toContain('public');
    expect(list.counts).toMatchObject({ services: 2, instances: 4 });
    const orders = list.services.find((s: any) => s.name === 'orders');
    expect(orders).toMatchObject({ group: 'DEFAULT_GROUP', instances: 3, copies: 2 });
    expect(list.services.find((s: any) => s.name === 'orders-canary')).toMatchObject({ instances: 1, copies: 1 });
    expect(list.services.find((s: any) => s.name === 'billing')).toBeUndefined();

    const instances = await ok('GET', '/services/instances?service=orders');
    const copies = instances.filter((i: any) => i.copyOf);
    expect(copies).toHaveLength(2);
    expect(copies[0].copyOf).toEqual({ sourceCluster: 'region-a', taskId });
    expect(copies.map((i: any) => i.ip).sort()).toEqual(['10.1.0.1', '10.1.0.2']);
    expect(instances.filter((i: any) => !i.copyOf).map((i: any) => i.ip)).toEqual(['10.2.0.9']);

    expect((await call('GET', '/services/instances?service=nothing-here')).status).toBe(404);
    const bad = await call('GET', '/services/instances?service=a%20b');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.message)).toMatch(/service/);
    expect((await call('GET', '/services?namespace=')).status).toBe(400);
  });
});
