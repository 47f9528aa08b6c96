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
    return ((await res.json()) as { hosts: Array<{ ip: string; metadata: Record<string, string> }> }).hosts;
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

  it('should refuse a group pattern for a nacos source and a foreign namespace, naming why', async () => {
    const group = await admin('POST', '/tasks', {
      sourceClusterId: ids.nacos,
      targetClusterId: ids.local,
      groupName: '*',
      serviceName: '*',
    });
    expect(group.status).toBe(400);
    expect(JSON.stringify(group.body)).toMatch(/groupName must name one group/);
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
});
