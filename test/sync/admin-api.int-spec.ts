import { Registry } from '../../src/registry';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';
import { adminCall } from '../support/admin-call';

const TOKEN = 'test-admin-token-0123456789';

describe('admin API: clusters and tasks', () => {
  let db: TestDatabase;
  let sut: TestNode;

  /** The answer's body parsed, or its text where it is not JSON. */
  const call = async (method: string, path: string, body?: unknown, token: string | null = TOKEN) => {
    const res = await adminCall(`${sut.base}${path}`, token, method, body);
    return { status: res.status, body: res.json !== undefined || !res.text ? res.json : res.text };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    sut = await startTestNode({
      DATABASE_URL: db.url,
      ADMIN_TOKEN: TOKEN,
      SECRET_KEY: 'a-secret-key-for-tests-0123456789abcdef',
    });
  });

  afterAll(async () => {
    await sut?.close();
    await db?.drop();
  });

  describe('authentication', () => {
    it('should refuse a missing or wrong bearer token with 401 and accept the right one', async () => {
      expect((await call('GET', '/api/v1/clusters', undefined, null)).status).toBe(401);
      expect((await call('GET', '/api/v1/clusters', undefined, 'wrong-token-wrong-token')).status).toBe(401);
      expect((await call('GET', '/api/v1/clusters')).status).toBe(200);
    });
  });

  describe('clusters', () => {
    it('should create clusters and never return their credentials', async () => {
      const local = await call('POST', '/api/v1/clusters', { name: 'here', kind: 'local' });
      expect(local.status).toBe(201);
      const remote = await call('POST', '/api/v1/clusters', {
        name: 'region-a',
        kind: 'distro',
        addresses: ['ds-a-0.ds-a:8848', '10.0.0.1:8848'],
        token: 'remote-registry-token',
        password: 'p@ss',
        username: 'nacos',
      });
      expect(remote.status).toBe(201);
      expect(remote.body).toMatchObject({ name: 'region-a', kind: 'distro', hasCredentials: true, username: 'nacos' });
      expect(JSON.stringify(remote.body)).not.toMatch(/remote-registry-token|p@ss/);
      const got = await call('GET', `/api/v1/clusters/${remote.body.id}`);
      expect(JSON.stringify(got.body)).not.toMatch(/remote-registry-token|p@ss/);
    });

    it('should answer bad input with 400 naming the field', async () => {
      const noAddr = await call('POST', '/api/v1/clusters', { name: 'x1', kind: 'distro' });
      expect(noAddr.status).toBe(400);
      expect(JSON.stringify(noAddr.body)).toMatch(/addresses/);
      const badKind = await call('POST', '/api/v1/clusters', { name: 'x2', kind: 'eureka', addresses: ['a:1'] });
      expect(badKind.status).toBe(400);
      expect(JSON.stringify(badKind.body)).toMatch(/kind must be one of/);
      const badAddr = await call('POST', '/api/v1/clusters', { name: 'x3', kind: 'nacos', addresses: ['no port'] });
      expect(badAddr.status).toBe(400);
      expect(JSON.stringify(badAddr.body)).toMatch(/host:port/);
      const badName = await call('POST', '/api/v1/clusters', { name: 'bad name\u0000', kind: 'local' });
      expect(badName.status).toBe(400);
      const layout = await call('POST', '/api/v1/clusters', {
        name: 'x4',
        kind: 'nacos',
        addresses: ['a:1'],
        layout: 'dubbo',
      });
      expect(layout.status).toBe(400);
      expect(JSON.stringify(layout.body)).toMatch(/layout applies to zookeeper and etcd clusters only/);
      const prefix = await call('POST', '/api/v1/clusters', {
        name: 'x5',
        kind: 'nacos',
        addresses: ['a:1'],
        prefix: '/x',
      });
      expect(prefix.status).toBe(400);
      expect(JSON.stringify(prefix.body)).toMatch(/prefix applies to/);
    });

    it('should answer conflicts with 409: a taken name, a second local cluster', async () => {
      expect(
        (await call('POST', '/api/v1/clusters', { name: 'region-a', kind: 'nacos', addresses: ['b:8848'] })).status,
      ).toBe(409);
      expect((await call('POST', '/api/v1/clusters', { name: 'here-too', kind: 'local' })).status).toBe(409);
    });

    it('should page and filter by name, and 404 an unknown id, 400 a malformed one', async () => {
      const page = await call('GET', '/api/v1/clusters?name=region&pageSize=1');
      expect(page.body).toMatchObject({ total: 1, page: 1, pageSize: 1, items: [{ name: 'region-a' }] });
      expect((await call('GET', '/api/v1/clusters/00000000-0000-4000-8000-000000000000')).status).toBe(404);
      expect((await call('GET', '/api/v1/clusters/not-a-uuid')).status).toBe(400);
      expect((await call('GET', '/api/v1/clusters?pageSize=100000')).status).toBe(400);
    });
  });

  describe('tasks', () => {
    let here: string;
    let regionA: string;

    beforeAll(async () => {
      const list = await call('GET', '/api/v1/clusters');
      here = list.body.items.find((c: { name: string }) => c.name === 'here').id;
      regionA = list.body.items.find((c: { name: string }) => c.name === 'region-a').id;
    });

    it('should create a task with defaults and show its live state', async () => {
      const res = await call('POST', '/api/v1/tasks', {
        sourceClusterId: regionA,
        targetClusterId: here,
        serviceName: 'orders',
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        namespace: 'public',
        groupName: 'DEFAULT_GROUP',
        serviceName: 'orders',
        maxDeleteRatio: 0.5,
        status: 'running',
        desired: 0,
        applied: 0,
        hold: null,
      });
      expect(res.body.name).toBe('region-a>here:public/DEFAULT_GROUP@@orders');
    });

    it('should reject source = target, unknown clusters and a ratio outside 0..1 with 400, a duplicate selector with 409', async () => {
      const same = await call('POST', '/api/v1/tasks', {
        sourceClusterId: here,
        targetClusterId: here,
        serviceName: 'x',
      });
      expect(same.status).toBe(400);
      expect(JSON.stringify(same.body)).toMatch(/targetClusterId must differ/);
      const unknown = await call('POST', '/api/v1/tasks', {
        sourceClusterId: '00000000-0000-4000-8000-000000000000',
        targetClusterId: here,
        serviceName: 'x',
      });
      expect(unknown.status).toBe(400);
      expect(JSON.stringify(unknown.body)).toMatch(/sourceClusterId names no cluster/);
      const ratio = await call('POST', '/api/v1/tasks', {
        sourceClusterId: regionA,
        targetClusterId: here,
        serviceName: 'y',
        maxDeleteRatio: 2,
      });
      expect(ratio.status).toBe(400);
      expect(JSON.stringify(ratio.body)).toMatch(/maxDeleteRatio/);
      const dup = await call('POST', '/api/v1/tasks', {
        sourceClusterId: regionA,
        targetClusterId: here,
        serviceName: 'orders',
        name: 'other',
      });
      expect(dup.status).toBe(409);
    });

    it('should create a batch in one transaction: all or none', async () => {
      const bad = await call('POST', '/api/v1/tasks/batch', {
        tasks: [
          { sourceClusterId: regionA, targetClusterId: here, serviceName: 'b1' },
          { sourceClusterId: regionA, targetClusterId: here, serviceName: 'orders' },
        ],
      });
      expect(bad.status).toBe(409);
      expect((await call('GET', '/api/v1/tasks?name=b1')).body.total).toBe(0);
      const good = await call('POST', '/api/v1/tasks/batch', {
        tasks: [
          { sourceClusterId: regionA, targetClusterId: here, serviceName: 'b1' },
          { sourceClusterId: regionA, targetClusterId: here, namespace: '*', groupName: '*', serviceName: '*' },
        ],
      });
      expect(good.status).toBe(201);
      expect(good.body).toHaveLength(2);
    });

    it('should pause, resume, refuse a release with nothing held, delete with 202, and keep the audit trail', async () => {
      const created = await call('POST', '/api/v1/tasks', {
        sourceClusterId: regionA,
        targetClusterId: here,
        serviceName: 'life',
      });
      const id = created.body.id;
      expect((await call('POST', `/api/v1/tasks/${id}/pause`)).body.status).toBe('paused');
      expect((await call('POST', `/api/v1/tasks/${id}/resume`)).body.status).toBe('running');
      expect((await call('POST', `/api/v1/tasks/${id}/resync`)).status).toBe(200);
      expect((await call('POST', `/api/v1/tasks/${id}/release-hold`)).status).toBe(409);
      expect((await call('GET', `/api/v1/tasks/${id}/instances`)).body).toMatchObject({ total: 0, items: [] });
      const del = await call('DELETE', `/api/v1/tasks/${id}`);
      expect(del.status).toBe(202);
      expect(del.body.status).toBe('deleting');
      const events = await call('GET', `/api/v1/tasks/${id}/events?pageSize=50`);
      expect(events.body.items.map((e: { kind: string }) => e.kind)).toEqual(
        expect.arrayContaining(['created', 'paused', 'resumed', 'resync-requested', 'delete-requested']),
      );
    });

    it('should filter the task list by status and cluster', async () => {
      const running = await call('GET', `/api/v1/tasks?status=running&sourceClusterId=${regionA}`);
      expect(running.status).toBe(200);
      expect(running.body.items.every((t: { status: string }) => t.status === 'running')).toBe(true);
      expect((await call('GET', '/api/v1/tasks?status=sleeping')).status).toBe(400);
    });
  });

  describe('check and diff', () => {
    it('should check the local cluster as reachable', async () => {
      const list = await call('GET', '/api/v1/clusters?name=here');
      const res = await call('POST', `/api/v1/clusters/${list.body.items[0].id}/check`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ reachable: true, latencyMs: expect.any(Number) });
    });

    it('should show in a dry run what a reconcile would copy, without copying it', async () => {
      const clusters = (await call('GET', '/api/v1/clusters')).body.items;
      const here = clusters.find((c: { name: string }) => c.name === 'here').id;
      const regionA = clusters.find((c: { name: string }) => c.name === 'region-a').id;
      sut.app.get(Registry).registerInstance(
        '10.7.0.1:8080#true',
        'ipport',
        { namespace: 'public', group: 'DEFAULT_GROUP', name: 'dry' },
        {
          ip: '10.7.0.1',
          port: 8080,
        },
      );
      // Paused, so the worker writes nothing while we look.
      const task = await call('POST', '/api/v1/tasks', {
        sourceClusterId: here,
        targetClusterId: regionA,
        serviceName: 'dry',
      });
      await call('POST', `/api/v1/tasks/${task.body.id}/pause`);
      const res = await call('GET', `/api/v1/tasks/${task.body.id}/diff`);
      expect(res.status).toBe(200);
      expect(res.body.counts).toEqual({ add: 1, update: 0, remove: 0 });
      expect(res.body.diff.add[0]).toMatchObject({
        ip: '10.7.0.1',
        serviceName: 'dry',
        metadata: { syncSource: 'here', syncTaskId: task.body.id },
      });
    });
  });

  describe('hostile input', () => {
    it('should answer fuzzed bodies on every write route with a 4xx, never a 500', async () => {
      const bodies: unknown[] = [
        null,
        [],
        42,
        'text',
        { name: { $gt: '' } },
        { name: 'a'.repeat(10000), kind: 'local' },
        { sourceClusterId: 1, targetClusterId: true, serviceName: ['x'] },
        { tasks: 'nope' },
        { tasks: [null] },
        { kind: 'local', name: 'z', addresses: 'a:1' },
        { maxDeleteRatio: 'NaN', serviceName: '*' },
      ];
      const routes = ['/api/v1/clusters', '/api/v1/tasks', '/api/v1/tasks/batch'];
      for (const route of routes) {
        for (const body of bodies) {
          const res = await call('POST', route, body === null ? 'null' : body);
          expect({ route, body, status: res.status }).toEqual({ route, body, status: expect.any(Number) });
          expect(res.status).toBeGreaterThanOrEqual(400);
          expect(res.status).toBeLessThan(500);
        }
      }
      const broken = await call('POST', '/api/v1/clusters', '{"name":');
      expect(broken.status).toBe(400);
      const huge = await call('POST', '/api/v1/tasks', JSON.stringify({ serviceName: 'x'.repeat(2 * 1024 * 1024) }));
      expect(huge.status).toBe(413);
    });
  });

  describe('workers', () => {
    it('should list this replica with its heartbeat', async () => {
      const res = await call('GET', '/api/v1/workers');
      expect(res.status).toBe(200);
      expect(res.body).toEqual(
        expect.arrayContaining([expect.objectContaining({ pid: process.pid, leases: expect.any(Array) })]),
      );
    });
  });
});
