import { DataSource } from 'typeorm';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { eventually } from '../../tools/support/eventually';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';
import { adminCall } from '../support/admin-call';

const TOKEN = 'nacos-cluster-admin-token-00';

/**
 * Clusters of kind `nacos` spoken to over the Nacos 2.x gRPC client protocol. The "Nacos" here is a
 * distro-sync node, which serves that protocol as Nacos does; only the Nacos client API is used.
 */
describe('sync tasks with a nacos cluster', () => {
  let dbN: TestDatabase;
  let dbB: TestDatabase;
  let nacosNode: TestNode;
  let b: TestNode;
  const ids: Record<string, string> = {};

  const admin = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const res = await adminCall(`${b.base}/api/v1${path}`, TOKEN, method, body);
    return { status: res.status, body: res.json };
  };
  const register = (node: TestNode, service: string, ip: string, method = 'POST') =>
    fetch(`${node.base}/nacos/v1/ns/instance?serviceName=${service}&ip=${ip}&port=80&ephemeral=false`, { method });
  const hosts = async (node: TestNode, service: string) => {
    const res = await fetch(`${node.base}/nacos/v1/ns/instance/list?serviceName=${service}`);
    return (
      (await res.json()) as {
        hosts: Array<{ ip: string; ephemeral: boolean; weight: number; metadata: Record<string, string> }>;
      }
    ).hosts;
  };

  /** Calls the target answered on its HTTP v1 instance route (from its request metrics). */
  const v1InstanceCalls = async (): Promise<number> => {
    const text = await (await fetch(`${nacosNode.base}/metrics`)).text();
    return text
      .split('\n')
      .map((line) => /^http_request_duration_seconds_count\{(.*)\} (\d+)$/.exec(line))
      .filter((m) => m && /route="\/nacos\/v1\/ns\/instance"/.test(m[1]))
      .reduce((n, m) => n + Number(m![2]), 0);
  };

  beforeAll(async () => {
    [dbN, dbB] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    nacosNode = await startTestNode({ DATABASE_URL: dbN.url, LOG_LEVEL: 'warn' });
    b = await startTestNode({
      DATABASE_URL: dbB.url,
      ADMIN_TOKEN: TOKEN,
      SYNC_LEASE_RENEW_MS: '200',
      SYNC_FULL_RECONCILE_MS: '1000',
      LOG_LEVEL: 'warn',
    });
    ids.local = (await admin('POST', '/clusters', { name: 'region-b', kind: 'local' })).body.id;
    ids.nacos = (
      await admin('POST', '/clusters', {
        name: 'legacy-nacos',
        kind: 'nacos',
        addresses: [`127.0.0.1:${nacosNode.httpPort}/${nacosNode.grpcPort}`],
      })
    ).body.id;
  });

  afterAll(async () => {
    await Promise.all([nacosNode?.close(), b?.close()]);
    await Promise.all([dbN?.drop(), dbB?.drop()]);
  });

  it('should check a nacos cluster over the Nacos gRPC protocol', async () => {
    const res = await admin('POST', `/clusters/${ids.nacos}/check`);
    expect(res.body).toMatchObject({
      reachable: true,
      protocol: 'grpc',
      version: expect.stringContaining('nacos gRPC'),
    });
  });

  it('should take group and namespace patterns for a nacos source, and refuse a foreign namespace for a target', async () => {
    const group = await admin('POST', '/tasks', {
      sourceClusterId: ids.nacos,
      targetClusterId: ids.local,
      namespace: 'prod-*',
      groupName: '*',
      serviceName: 'none-such-*',
    });
    expect(group.status).toBe(201);
    expect(
      (
        await fetch(`${b.base}/api/v1/tasks/${group.body.id}`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${TOKEN}` },
        })
      ).status,
    ).toBeLessThan(300);
    const ns = await admin('POST', '/tasks', {
      sourceClusterId: ids.local,
      targetClusterId: ids.nacos,
      namespace: 'prod',
      serviceName: '*',
    });
    expect(ns.status).toBe(400);
    expect(JSON.stringify(ns.body)).toMatch(/namespace must be public/);
  });

  it('should copy from a nacos source, discovering services that appear later', async () => {
    await admin('POST', '/tasks', { sourceClusterId: ids.nacos, targetClusterId: ids.local, serviceName: 'legacy-*' });
    await register(nacosNode, 'legacy-orders', '10.5.0.1');
    await eventually(async () => expect((await hosts(b, 'legacy-orders')).map((h) => h.ip)).toEqual(['10.5.0.1']), {
      timeoutMs: 8000,
    });
    await register(nacosNode, 'legacy-orders', '10.5.0.2');
    await eventually(async () => expect(await hosts(b, 'legacy-orders')).toHaveLength(2), { timeoutMs: 3000 });
    await register(nacosNode, 'legacy-orders', '10.5.0.1', 'DELETE');
    await eventually(async () => expect((await hosts(b, 'legacy-orders')).map((h) => h.ip)).toEqual(['10.5.0.2']), {
      timeoutMs: 3000,
    });
  });

  it('should copy into a nacos target with batch registration, carrying the sync metadata', async () => {
    const task = (
      await admin('POST', '/tasks', { sourceClusterId: ids.local, targetClusterId: ids.nacos, serviceName: 'pay' })
    ).body;
    await register(b, 'pay', '10.6.0.1');
    await register(b, 'pay', '10.6.0.2');
    await eventually(async () => expect(await hosts(nacosNode, 'pay')).toHaveLength(2), { timeoutMs: 8000 });
    expect((await hosts(nacosNode, 'pay'))[0].metadata).toMatchObject({ syncTaskId: task.id, syncSource: 'region-b' });
    await register(b, 'pay', '10.6.0.1', 'DELETE');
    await register(b, 'pay', '10.6.0.2', 'DELETE');
    await eventually(async () => expect(await hosts(nacosNode, 'pay')).toHaveLength(0), { timeoutMs: 3000 });
  });

  it('should copy persistent instances as persistent ones and ephemeral ones on the connection, each withdrawn', async () => {
    const v1Before = await v1InstanceCalls();
    const task = (
      await admin('POST', '/tasks', { sourceClusterId: ids.local, targetClusterId: ids.nacos, serviceName: 'kinds-*' })
    ).body;
    await register(b, 'kinds-p', '10.6.1.1');
    const ephemeral = await fetch(
      `${b.base}/nacos/v1/ns/instance?serviceName=kinds-e&ip=10.6.1.2&port=80&ephemeral=true&metadata=` +
        encodeURIComponent(
          JSON.stringify({ 'preserved.heart.beat.timeout': '600000', 'preserved.ip.delete.timeout': '600000' }),
        ),
      { method: 'POST' },
    );
    expect(ephemeral.status).toBe(200);
    await eventually(
      async () => {
        expect(await hosts(nacosNode, 'kinds-p')).toEqual([
          expect.objectContaining({
            ip: '10.6.1.1',
            ephemeral: false,
            metadata: expect.objectContaining({ syncTaskId: task.id }),
          }),
        ]);
        expect(await hosts(nacosNode, 'kinds-e')).toEqual([
          expect.objectContaining({ ip: '10.6.1.2', ephemeral: true }),
        ]);
      },
      { timeoutMs: 8000 },
    );
    // Written over gRPC (PersistentInstanceRequest): the target's HTTP v1 instance route saw no write.
    expect(await v1InstanceCalls()).toBe(v1Before);
    // The persistent copy is the target's own: kept in its database, not on the task's connection.
    const rows = await nacosNode.app
      .get(DataSource)
      .query(`SELECT ip FROM persistent_instance WHERE service_name = 'kinds-p' AND NOT deleted`);
    expect(rows).toEqual([{ ip: '10.6.1.1' }]);

    // Kept current: a change of the source instance reaches the copy, which stays persistent.
    const changed = await fetch(
      `${b.base}/nacos/v1/ns/instance?serviceName=kinds-p&ip=10.6.1.1&port=80&ephemeral=false&weight=6`,
      { method: 'PUT' },
    );
    expect(changed.status).toBe(200);
    await eventually(
      async () =>
        expect(await hosts(nacosNode, 'kinds-p')).toEqual([
          expect.objectContaining({ ip: '10.6.1.1', ephemeral: false, weight: 6 }),
        ]),
      { timeoutMs: 5000 },
    );

    await register(b, 'kinds-p', '10.6.1.1', 'DELETE');
    await eventually(async () => expect(await hosts(nacosNode, 'kinds-p')).toEqual([]), { timeoutMs: 5000 });
    await register(b, 'kinds-p', '10.6.1.3');
    await eventually(async () => expect(await hosts(nacosNode, 'kinds-p')).toHaveLength(1), { timeoutMs: 5000 });
    expect((await admin('DELETE', `/tasks/${task.id}`)).status).toBe(202);
    await eventually(
      async () => {
        expect(await hosts(nacosNode, 'kinds-p')).toEqual([]);
        expect(await hosts(nacosNode, 'kinds-e')).toEqual([]);
      },
      { timeoutMs: 8000 },
    );
  });

  it('should refuse a persistent copy into a service of ephemeral instances (400 over gRPC), copying the others', async () => {
    const native = await fetch(
      `${nacosNode.base}/nacos/v1/ns/instance?serviceName=mix-e&ip=10.6.2.9&port=80&ephemeral=true&metadata=` +
        encodeURIComponent(
          JSON.stringify({ 'preserved.heart.beat.timeout': '600000', 'preserved.ip.delete.timeout': '600000' }),
        ),
      { method: 'POST' },
    );
    expect(native.status).toBe(200);
    const task = (
      await admin('POST', '/tasks', { sourceClusterId: ids.local, targetClusterId: ids.nacos, serviceName: 'mix-*' })
    ).body;
    await register(b, 'mix-e', '10.6.2.1');
    await register(b, 'mix-ok', '10.6.2.2');
    await eventually(
      async () => {
        expect(await hosts(nacosNode, 'mix-ok')).toEqual([
          expect.objectContaining({ ip: '10.6.2.2', ephemeral: false }),
        ]);
        const t = (await admin('GET', `/tasks/${task.id}`)).body;
        expect(t.rejected).toEqual([
          expect.objectContaining({
            service: 'public/DEFAULT_GROUP@@mix-e',
            address: '10.6.2.1:80',
            refusedBy: 'target',
            reason: expect.stringContaining("is ephemeral service, can't register persistent instance"),
          }),
        ]);
      },
      { timeoutMs: 8000 },
    );
    expect(await hosts(nacosNode, 'mix-e')).toEqual([expect.objectContaining({ ip: '10.6.2.9', ephemeral: true })]);
    expect((await admin('DELETE', `/tasks/${task.id}`)).status).toBe(202);
    await eventually(async () => expect(await hosts(nacosNode, 'mix-ok')).toEqual([]), { timeoutMs: 8000 });
  });
});
