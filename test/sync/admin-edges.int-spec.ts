import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';
import { adminCall } from '../support/admin-call';
import type { AdminAnswer } from '../support/admin-call';

const TOKEN = 'edges-admin-token-0123456789';
/** Planted in every credential slot a request can carry; must never come back or reach a log. */
const MARKER = 'Secret-Marker-7f3a9c';

/** Issue 16 items 4, 5, 6 and 8: the admin API answers bad input with 4xx naming the field, never 5xx. */
describe('admin API edges', () => {
  let db: TestDatabase;
  let sut: TestNode;
  let local: string;
  let remote: string;

  const call = (node: TestNode, method: string, path: string, body?: unknown): Promise<AdminAnswer> =>
    adminCall(`${node.base}${path}`, TOKEN, method, body);
  const admin = (method: string, path: string, body?: unknown) => call(sut, method, path, body);

  /** A 400 whose body names `field` and quotes none of the value sent. */
  const expectRefused = (res: { status: number; text: string }, field: string): void => {
    expect({ status: res.status, names: res.text.includes(field) }).toEqual({ status: 400, names: true });
    expect(res.text).not.toContain(MARKER);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    sut = await startTestNode({
      DATABASE_URL: db.url,
      ADMIN_TOKEN: TOKEN,
      SECRET_KEY: 'edges-secret-key-0123456789abcdef0123',
      LOG_LEVEL: 'info',
    });
    local = (await admin('POST', '/api/v1/clusters', { name: 'here', kind: 'local' })).json.id;
    remote = (
      await admin('POST', '/api/v1/clusters', {
        name: 'FZ-REMOTE',
        kind: 'distro',
        addresses: ['10.0.0.1:8848'],
        token: 'a-valid-token-0123',
      })
    ).json.id;
  });

  afterAll(async () => {
    await sut?.close();
    await db?.drop();
  });

  describe('the text rule on cluster fields', () => {
    const base = { kind: 'nacos', addresses: ['10.0.0.9:8848'] };

    it('should refuse NUL and control characters in every text field on create, naming the field', async () => {
      let n = 0;
      for (const field of ['namespace', 'username', 'description', 'password', 'token']) {
        for (const bad of [`${MARKER}\u0000`, `${MARKER}\n`, `\u0001\u001f${MARKER}`, `${MARKER}\u0085`]) {
          expectRefused(await admin('POST', '/api/v1/clusters', { ...base, name: `c${n++}`, [field]: bad }), field);
        }
      }
      expect((await admin('GET', '/api/v1/clusters?name=c')).json.total).toBe(0);
    });

    it('should refuse them on PATCH too and leave the cluster as it was', async () => {
      const before = (await admin('GET', `/api/v1/clusters/${remote}`)).json;
      for (const field of ['namespace', 'username', 'description', 'password', 'token']) {
        expectRefused(await admin('PATCH', `/api/v1/clusters/${remote}`, { [field]: `${MARKER}\u0000` }), field);
        expectRefused(await admin('PATCH', `/api/v1/clusters/${remote}`, { [field]: `\u0001\u001f${MARKER}` }), field);
      }
      expect((await admin('GET', `/api/v1/clusters/${remote}`)).json).toEqual(before);
    });

    it('should refuse a credential longer than its bound without quoting it', async () => {
      expectRefused(
        await admin('POST', '/api/v1/clusters', { ...base, name: 'long', token: MARKER.repeat(100) }),
        'token',
      );
      expectRefused(await admin('PATCH', `/api/v1/clusters/${remote}`, { password: MARKER.repeat(100) }), 'password');
    });

    it('should refuse a NUL in the name filter of the cluster and task lists', async () => {
      expectRefused(await admin('GET', '/api/v1/clusters?name=%00'), 'name');
      expectRefused(await admin('GET', '/api/v1/tasks?name=%00'), 'name');
      expectRefused(await admin('GET', '/api/v1/tasks?name=a%01b'), 'name');
      expect((await admin('GET', '/api/v1/clusters?page=0x1')).status).toBe(400);
    });
  });

  describe('nulls and wrong types', () => {
    it('should refuse null addresses on create and PATCH', async () => {
      expectRefused(
        await admin('POST', '/api/v1/clusters', { name: 'n1', kind: 'nacos', addresses: null }),
        'addresses',
      );
      expectRefused(await admin('PATCH', `/api/v1/clusters/${remote}`, { addresses: null }), 'addresses');
    });

    it('should refuse null for any cluster field on PATCH, keeping the stored credentials', async () => {
      for (const field of ['namespace', 'username', 'description', 'password', 'token']) {
        expectRefused(await admin('PATCH', `/api/v1/clusters/${remote}`, { [field]: null }), field);
      }
      expect((await admin('GET', `/api/v1/clusters/${remote}`)).json.hasCredentials).toBe(true);
    });

    it('should refuse null selector fields and a ratio of the wrong type on task create', async () => {
      const task = { sourceClusterId: remote, targetClusterId: local, serviceName: 'nulls' };
      for (const field of ['name', 'namespace', 'groupName', 'exclude', 'maxDeleteRatio']) {
        expectRefused(await admin('POST', '/api/v1/tasks', { ...task, [field]: null }), field);
        expectRefused(await admin('POST', '/api/v1/tasks/batch', { tasks: [{ ...task, [field]: null }] }), field);
      }
      for (const ratio of ['0.5', true, [0.5], { v: 1 }]) {
        expectRefused(await admin('POST', '/api/v1/tasks', { ...task, maxDeleteRatio: ratio }), 'maxDeleteRatio');
      }
      expectRefused(await admin('POST', '/api/v1/tasks', { ...task, exclude: ['ok', `x\u0000${MARKER}`] }), 'exclude');
      expect((await admin('GET', '/api/v1/tasks?name=nulls')).json.total).toBe(0);
    });
  });

  describe('deep bodies', () => {
    it('should refuse bodies nested deeper than 32 levels with 400, before the DTOs see them', async () => {
      const arrays = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
      const objects = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
      for (const route of ['/api/v1/clusters', '/api/v1/tasks', '/api/v1/tasks/batch']) {
        for (const body of [arrays(5000), objects(3000), `{"name":${arrays(33)}}`]) {
          const res = await admin('POST', route, body);
          expect({ route, status: res.status, text: res.text }).toEqual({
            route,
            status: 400,
            text: expect.stringContaining('deeper than 32 levels'),
          });
        }
      }
      expect((await admin('PATCH', `/api/v1/clusters/${remote}`, objects(3000))).status).toBe(400);
    });
  });

  describe('empty bodies on action routes', () => {
    it('should accept Content-Type: application/json with no body on every action route', async () => {
      const task = (
        await admin('POST', '/api/v1/tasks', { sourceClusterId: remote, targetClusterId: local, serviceName: 'act' })
      ).json;
      expect((await admin('POST', `/api/v1/tasks/${task.id}/pause`, '')).json.status).toBe('paused');
      expect((await admin('POST', `/api/v1/tasks/${task.id}/resume`, '')).json.status).toBe('running');
      expect((await admin('POST', `/api/v1/tasks/${task.id}/resync`, '')).status).toBe(200);
      expect((await admin('POST', `/api/v1/tasks/${task.id}/release-hold`, '')).status).toBe(409); // nothing held
      expect((await admin('POST', `/api/v1/clusters/${local}/check`, '')).status).toBe(200);
      expect((await admin('DELETE', `/api/v1/tasks/${task.id}`, '')).status).toBe(202);
    });

    it('should still answer a create with an empty body 400', async () => {
      expect((await admin('POST', '/api/v1/clusters', '')).status).toBe(400);
      expect((await admin('POST', '/api/v1/tasks', '')).status).toBe(400);
    });
  });

  describe('cluster names regardless of case', () => {
    it('should refuse a name that differs from a taken one only in case with 409, and keep names as given', async () => {
      const res = await admin('POST', '/api/v1/clusters', { name: 'fz-remote', kind: 'nacos', addresses: ['b:8848'] });
      expect(res.status).toBe(409);
      expect(res.json.message).toMatch(/regardless of case/);
      const found = await admin('GET', '/api/v1/clusters?name=fz-remote');
      expect(found.json.items.map((c: { name: string }) => c.name)).toEqual(['FZ-REMOTE']);
    });
  });

  describe('a cluster in use', () => {
    it('should answer DELETE with 409 and keep the cluster', async () => {
      await admin('POST', '/api/v1/tasks', { sourceClusterId: remote, targetClusterId: local, serviceName: 'in-use' });
      const res = await admin('DELETE', `/api/v1/clusters/${remote}`);
      expect(res.status).toBe(409);
      expect(res.json.message).toMatch(/source of a task/);
      expect((await admin('GET', `/api/v1/clusters/${remote}`)).status).toBe(200);
    });

    // On real Postgres (CI), one more node on the embedded PGlite: it reports RESTRICT as 23001, not
    // 23503. Without DATABASE_URL the node above already runs on PGlite.
    const onPostgres = process.env.DATABASE_URL ? it : it.skip;
    onPostgres('should answer 409 on the embedded PGlite too (Postgres 17 reports RESTRICT as 23001)', async () => {
      const embedded = await startTestNode({ DATA_DIR: 'memory', ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'warn' });
      try {
        const here = (await call(embedded, 'POST', '/api/v1/clusters', { name: 'here', kind: 'local' })).json.id;
        const there = (
          await call(embedded, 'POST', '/api/v1/clusters', { name: 'there', kind: 'nacos', addresses: ['x:8848'] })
        ).json.id;
        await call(embedded, 'POST', '/api/v1/tasks', {
          sourceClusterId: there,
          targetClusterId: here,
          serviceName: 's',
        });
        expect((await call(embedded, 'DELETE', `/api/v1/clusters/${there}`)).status).toBe(409);
        expect((await call(embedded, 'DELETE', `/api/v1/clusters/${here}`)).status).toBe(409);
        expect(
          (await call(embedded, 'POST', '/api/v1/clusters', { name: 'THERE', kind: 'nacos', addresses: ['x:1'] }))
            .status,
        ).toBe(409);
      } finally {
        await embedded.close();
      }
    });
  });

  describe('afterwards', () => {
    it('should have answered no request with a 500 and logged no planted credential through all of the above', () => {
      const unhandled = sut.logs.filter((l) => l.context === 'Exceptions' && Number(l.level) >= 50);
      expect(unhandled).toEqual([]);
      expect(JSON.stringify(sut.logs)).not.toContain(MARKER);
    });
  });
});
