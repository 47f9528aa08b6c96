import { Client } from 'pg';
import { eventually } from '../../tools/support/eventually';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';
import { call } from '../nacos-http/support';
import { CatalogFeed } from '@/naming-catalog/catalog-feed';

const SERVICE = '/nacos/v1/ns/service';

/**
 * Two nodes of a region share its database: a service stored through one is served by the other (LISTEN/NOTIFY
 * on Postgres; the periodic refresh where notifications do not arrive), and a restart keeps it.
 */
describe('stored services shared by the nodes of a region', () => {
  let db: TestDatabase;
  let a: TestNode;
  let b: TestNode;

  beforeAll(async () => {
    db = await createTestDatabase();
    a = await startTestNode({ DATABASE_URL: db.url });
    b = await startTestNode({ DATABASE_URL: db.url });
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  const detail = async (node: TestNode, serviceName: string) => {
    const res = await call(node.base, 'GET', SERVICE, { serviceName });
    return { status: res.status, body: res.status === 200 ? (res.json() as Record<string, unknown>) : res.text };
  };

  /** Waits for the other node; on PGlite, which may not deliver notifications, its refresh is asked for. */
  const seen = (node: TestNode, check: () => Promise<void>) =>
    eventually(
      async () => {
        if (db.kind === 'pglite') await node.app.get(CatalogFeed).refresh();
        await check();
      },
      { timeoutMs: 10_000, what: 'the change on the other node' },
    );

  it('should serve on one node a service created on the other, and its updates and deletion', async () => {
    const created = await call(
      a.base,
      'POST',
      SERVICE,
      { serviceName: 'shared1', protectThreshold: '0.4' },
      { form: true },
    );
    expect(created.text).toBe('ok');
    await seen(b, async () => expect((await detail(b, 'shared1')).body).toMatchObject({ protectThreshold: 0.4 }));

    const again = await call(b.base, 'POST', SERVICE, { serviceName: 'shared1' }, { form: true });
    expect([again.status, again.text]).toEqual([400, 'specified service DEFAULT_GROUP@@shared1 already exists!']);

    await call(
      b.base,
      'PUT',
      SERVICE,
      { serviceName: 'shared1', protectThreshold: '0.9', metadata: 'k=v' },
      { form: true },
    );
    await seen(a, async () =>
      expect((await detail(a, 'shared1')).body).toMatchObject({ protectThreshold: 0.9, metadata: { k: 'v' } }),
    );

    await call(a.base, 'POST', SERVICE, { serviceName: 'shared2' }, { form: true });
    await seen(b, async () => expect((await detail(b, 'shared2')).status).toBe(200));
    expect((await call(b.base, 'DELETE', SERVICE, { serviceName: 'shared2' }, { form: true })).text).toBe('ok');
    await seen(a, async () => expect((await detail(a, 'shared2')).status).toBe(400));
  });

  it('should serve on one node a namespace created or renamed on the other', async () => {
    const ns = '/nacos/v1/console/namespaces';
    const show = async (node: TestNode) =>
      (await call(node.base, 'GET', ns, { show: 'all', namespaceId: 'team' })).text;
    expect(
      (await call(a.base, 'POST', ns, { customNamespaceId: 'team', namespaceName: 'Team' }, { form: true })).text,
    ).toBe('true');
    await seen(b, async () => expect(JSON.parse(await show(b))).toMatchObject({ namespaceShowName: 'Team' }));
    await call(b.base, 'PUT', ns, { namespace: 'team', namespaceShowName: 'Team B' }, { form: true });
    await seen(a, async () => expect(JSON.parse(await show(a))).toMatchObject({ namespaceShowName: 'Team B' }));
  });

  // PGlite serves its clients one session: there is no listening connection of its own to cut.
  const onPostgres = process.env.DATABASE_URL ? it : it.skip;

  onPostgres('should listen again when its connection is cut, and catch up on what it missed', async () => {
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    try {
      const listeners = async () =>
        (
          await admin.query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'`,
          )
        ).rows.map((row) => row.pid);
      await eventually(async () => expect(await listeners()).toHaveLength(2));
      for (const pid of await listeners()) await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      // Written while nobody listens: the nodes catch up when they listen again, well before the 30 s refresh.
      await call(a.base, 'POST', SERVICE, { serviceName: 'shared3', protectThreshold: '0.2' }, { form: true });
      await eventually(async () => expect((await detail(b, 'shared3')).body).toMatchObject({ protectThreshold: 0.2 }), {
        timeoutMs: 15_000,
        what: 'node B listening again',
      });
      await eventually(async () => expect(await listeners()).toHaveLength(2));
      await call(b.base, 'PUT', SERVICE, { serviceName: 'shared3', protectThreshold: '0.7' }, { form: true });
      await eventually(async () => expect((await detail(a, 'shared3')).body).toMatchObject({ protectThreshold: 0.7 }), {
        timeoutMs: 5_000,
        what: 'the notification after the reconnect',
      });
    } finally {
      await admin.end();
    }
  });

  it('should keep stored services and namespaces across a restart', async () => {
    await a.close();
    a = await startTestNode({ DATABASE_URL: db.url });
    expect((await detail(a, 'shared1')).body).toMatchObject({ protectThreshold: 0.9, metadata: { k: 'v' } });
    expect((await detail(a, 'shared2')).status).toBe(400);
    const team = await call(a.base, 'GET', '/nacos/v1/console/namespaces', { show: 'all', namespaceId: 'team' });
    expect(team.json()).toMatchObject({ namespace: 'team', namespaceShowName: 'Team B' });
  });
});
