import { adminRequest } from '../../tools/support/admin-request';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';
import { eventually } from '../../tools/support/eventually';
import { runRounds } from '../support/sync-rounds';

const TOKEN = 'two-regions-admin-token-000';
const FAST = {
  ADMIN_TOKEN: TOKEN,
  SECRET_KEY: 'two-regions-secret-key-0123456789abc',
  SYNC_LEASE_RENEW_MS: '200',
  SYNC_LEASE_TTL_MS: '2000',
  SYNC_FULL_RECONCILE_MS: '1000',
  SYNC_DEBOUNCE_MS: '10',
  LOG_LEVEL: 'warn',
};

interface Host {
  ip: string;
  port: number;
  weight: number;
  healthy: boolean;
  metadata: Record<string, string>;
}

/** Two regions for real: separate nodes, separate databases, the registry API over real gRPC. */
describe('sync tasks between two regions', () => {
  let dbA: TestDatabase;
  let dbB: TestDatabase;
  let dbA2: TestDatabase | undefined;
  let a: TestNode;
  let b: TestNode;
  const ids: Record<string, string> = {};

  const admin = (node: TestNode, method: string, path: string, body?: unknown): Promise<any> =>
    adminRequest(`${node.base}/api/v1${path}`, TOKEN, method, body);
  const nacos = async (
    node: TestNode,
    method: string,
    path: string,
    params: Record<string, string | number>,
  ): Promise<any> => {
    const qs = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));
    const res = await fetch(`${node.base}/nacos/v1/ns${path}?${qs.toString()}`, { method });
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return method === 'GET' ? res.json() : res.text();
  };
  const hosts = async (node: TestNode, service: string, extra: Record<string, string> = {}): Promise<Host[]> =>
    ((await nacos(node, 'GET', '/instance/list', { serviceName: service, ...extra })) as { hosts: Host[] }).hosts;
  const register = (node: TestNode, service: string, ip: string, extra: Record<string, string | number> = {}) =>
    nacos(node, 'POST', '/instance', { serviceName: service, ip, port: 8080, ephemeral: 'false', ...extra });

  beforeAll(async () => {
    [dbA, dbB] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    [a, b] = await Promise.all([
      startTestNode({ ...FAST, DATABASE_URL: dbA.url }),
      startTestNode({ ...FAST, DATABASE_URL: dbB.url }),
    ]);
    // Each region pulls the other into itself: region B runs A→B, region A runs B→A.
    ids.bLocal = (await admin(b, 'POST', '/clusters', { name: 'region-b', kind: 'local' })).id;
    ids.bSeesA = (
      await admin(b, 'POST', '/clusters', {
        name: 'region-a',
        kind: 'distro',
        addresses: [`127.0.0.1:${a.httpPort}/${a.grpcPort}`],
        token: TOKEN,
      })
    ).id;
    ids.aLocal = (await admin(a, 'POST', '/clusters', { name: 'region-a', kind: 'local' })).id;
    ids.aSeesB = (
      await admin(a, 'POST', '/clusters', {
        name: 'region-b',
        kind: 'distro',
        addresses: [`127.0.0.1:${b.httpPort}/${b.grpcPort}`],
        token: TOKEN,
      })
    ).id;
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await Promise.all([dbA?.drop(), dbB?.drop(), dbA2?.drop()]);
  });

  it('should copy one service A→B: register, update in place, deregister, each within 1 s, with the sync metadata', async () => {
    const task = await admin(b, 'POST', '/tasks', {
      sourceClusterId: ids.bSeesA,
      targetClusterId: ids.bLocal,
      serviceName: 'orders',
    });
    ids.ordersTask = task.id;
    await register(a, 'orders', '10.0.0.1', { metadata: JSON.stringify({ zone: 'a1' }) });
    const [copy] = await eventually(
      async () => {
        const list = await hosts(b, 'orders');
        expect(list).toHaveLength(1);
        return list;
      },
      { timeoutMs: 1000 },
    );
    expect(copy.metadata).toEqual({
      zone: 'a1',
      syncSource: 'region-a',
      sourceClusterId: ids.bSeesA,
      destClusterId: ids.bLocal,
      syncTaskId: task.id,
    });

    await nacos(a, 'PUT', '/instance', {
      serviceName: 'orders',
      ip: '10.0.0.1',
      port: 8080,
      ephemeral: 'false',
      weight: 7,
      metadata: JSON.stringify({ zone: 'a2' }),
    });
    await eventually(
      async () =>
        expect((await hosts(b, 'orders'))[0]).toMatchObject({
          weight: 7,
          metadata: expect.objectContaining({ zone: 'a2' }),
        }),
      { timeoutMs: 1000 },
    );

    await nacos(a, 'DELETE', '/instance', { serviceName: 'orders', ip: '10.0.0.1', port: 8080, ephemeral: 'false' });
    await eventually(async () => expect(await hosts(b, 'orders')).toHaveLength(0), { timeoutMs: 1000 });
  });

  it('should copy every group and namespace with a * task, and show the state and ledger', async () => {
    const task = await admin(b, 'POST', '/tasks', {
      sourceClusterId: ids.bSeesA,
      targetClusterId: ids.bLocal,
      namespace: '*',
      groupName: '*',
      serviceName: '*',
      // The other tests own these services; overlapping tasks would both copy them.
      exclude: ['orders', 'shared', 'life'],
    });
    ids.allTask = task.id;
    await register(a, 'pay', '10.0.1.1', { groupName: 'billing' });
    await register(a, 'pay', '10.0.1.2', { groupName: 'billing' });
    await register(a, 'stock', '10.0.2.1', { namespaceId: 'prod' });
    await eventually(
      async () => {
        expect(await hosts(b, 'billing@@pay')).toHaveLength(2);
        expect(await hosts(b, 'stock', { namespaceId: 'prod' })).toHaveLength(1);
      },
      { timeoutMs: 1000 },
    );
    const state = await eventually(async () => {
      const t = await admin(b, 'GET', `/tasks/${task.id}`);
      expect(t).toMatchObject({ applied: 3, desired: 3, sourceReachable: true, targetReachable: true });
      return t;
    });
    expect(state.owner).toEqual(expect.any(String));
    const ledger = await admin(b, 'GET', `/tasks/${task.id}/instances`);
    expect(ledger.items.map((i: { ip: string }) => i.ip).sort()).toEqual(['10.0.1.1', '10.0.1.2', '10.0.2.1']);
  });

  it('should run A→B and B→A together without loops, leaving natives alone', async () => {
    await admin(a, 'POST', '/tasks', {
      sourceClusterId: ids.aSeesB,
      targetClusterId: ids.aLocal,
      serviceName: 'shared',
    });
    await admin(b, 'POST', '/tasks', {
      sourceClusterId: ids.bSeesA,
      targetClusterId: ids.bLocal,
      serviceName: 'shared',
    });
    await register(a, 'shared', '10.1.0.1');
    await register(b, 'shared', '10.2.0.1');
    const expectBoth = async (node: TestNode) => {
      const list = await hosts(node, 'shared');
      expect(list.map((h) => h.ip).sort()).toEqual(['10.1.0.1', '10.2.0.1']);
      return list;
    };
    await eventually(() => expectBoth(a), { timeoutMs: 1500 });
    await eventually(() => expectBoth(b), { timeoutMs: 1500 });
    // Stable: after two full reconciles of each task still exactly one native and one copy on each side.
    await Promise.all([runRounds(a, 'sync-full-reconcile'), runRounds(b, 'sync-full-reconcile')]);
    const onA = await expectBoth(a);
    expect(onA.find((h) => h.ip === '10.1.0.1')?.metadata.sourceClusterId).toBeUndefined();
    expect(onA.find((h) => h.ip === '10.2.0.1')?.metadata.sourceClusterId).toBe(ids.aSeesB);
  });

  it('should freeze copies while paused, catch up on resume, and withdraw exactly its copies on delete', async () => {
    const task = await admin(b, 'POST', '/tasks', {
      sourceClusterId: ids.bSeesA,
      targetClusterId: ids.bLocal,
      serviceName: 'life',
    });
    await register(b, 'life', '10.9.9.9'); // a native of B
    await register(a, 'life', '10.3.0.1');
    await eventually(async () => expect(await hosts(b, 'life')).toHaveLength(2), { timeoutMs: 1000 });

    await admin(b, 'POST', `/tasks/${task.id}/pause`);
    // A lease round started after the pause carries the paused row to the runner, which holds still from then.
    await runRounds(b, 'sync-lease-round', 1);
    await register(a, 'life', '10.3.0.2');
    // A full reconcile of B after the change (its watch event has had the same time): a running task copies it.
    await runRounds(b, 'sync-full-reconcile', 1);
    expect(await hosts(b, 'life')).toHaveLength(2);

    await admin(b, 'POST', `/tasks/${task.id}/resume`);
    await eventually(async () => expect(await hosts(b, 'life')).toHaveLength(3), { timeoutMs: 1500 });

    await admin(b, 'DELETE', `/tasks/${task.id}`);
    await eventually(async () => expect((await hosts(b, 'life')).map((h) => h.ip)).toEqual(['10.9.9.9']), {
      timeoutMs: 2000,
    });
    await eventually(
      async () => {
        const res = await fetch(`${b.base}/api/v1/tasks/${task.id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
        expect(res.status).toBe(404);
      },
      { timeoutMs: 2000 },
    );
  });

  it('should keep the copies when the source region stops, and say the source is unreachable', async () => {
    expect(await hosts(b, 'billing@@pay')).toHaveLength(2);
    await a.close();
    await eventually(
      async () => {
        const t = await admin(b, 'GET', `/tasks/${ids.allTask}`);
        expect(t.sourceReachable).toBe(false);
      },
      { timeoutMs: 5000 },
    );
    expect(await hosts(b, 'billing@@pay')).toHaveLength(2);
    expect(await hosts(b, 'stock', { namespaceId: 'prod' })).toHaveLength(1);
    const events = await admin(b, 'GET', `/tasks/${ids.allTask}/events`);
    expect(events.items.map((e: { kind: string }) => e.kind)).toContain('source-unreachable');
  });

  it('should hold the deletions when the source returns empty, until an operator releases them', async () => {
    // Region A comes back on the same addresses with an empty registry (every instance lost, its
    // database too: its persistent instances would otherwise come back with it).
    dbA2 = await createTestDatabase();
    a = await startTestNode({
      ...FAST,
      DATABASE_URL: dbA2.url,
      HTTP_PORT: String(a.httpPort),
      NACOS_GRPC_PORT: String(a.grpcPort),
      DISTRO_PORT: '0',
    });
    const held = await eventually(
      async () => {
        const t = await admin(b, 'GET', `/tasks/${ids.allTask}`);
        expect(t.sourceReachable).toBe(true);
        expect(t.hold).toMatchObject({ wouldDelete: 3, total: 3 });
        return t;
      },
      { timeoutMs: 8000 },
    );
    expect(held.applied).toBe(3);
    expect(await hosts(b, 'billing@@pay')).toHaveLength(2);

    await admin(b, 'POST', `/tasks/${ids.allTask}/release-hold`);
    await eventually(
      async () => {
        expect(await hosts(b, 'billing@@pay')).toHaveLength(0);
        expect(await hosts(b, 'stock', { namespaceId: 'prod' })).toHaveLength(0);
      },
      { timeoutMs: 3000 },
    );
    await eventually(
      async () => expect(await admin(b, 'GET', `/tasks/${ids.allTask}`)).toMatchObject({ hold: null, applied: 0 }),
      { timeoutMs: 3000 },
    );
    const events = await admin(b, 'GET', `/tasks/${ids.allTask}/events`);
    expect(events.items.map((e: { kind: string }) => e.kind)).toEqual(
      expect.arrayContaining(['hold', 'hold-release-requested', 'hold-released']),
    );
  });
});
