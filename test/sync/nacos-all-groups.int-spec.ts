import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { eventually } from '../../tools/support/eventually';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';

const TOKEN = 'nacos-all-groups-admin-token';
const USER = 'sync';
const PASSWORD = 'sync-password-0123';

/** A port with nothing listening (bound, then released). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `namespace/group@@service ip` of every instance a node holds in the services asked. */
type Where = [namespace: string, group: string, service: string];

/**
 * A `nacos` source read with `*` namespaces and `*` groups. The Nacos is a distro-sync node with Nacos
 * auth on, holding services in several namespaces and groups; region B reads it twice, through two
 * clusters of kind `nacos` into two target nodes: one over the Nacos gRPC protocol, one whose gRPC
 * port is dead, so it is read over HTTP v1 as a Nacos 1.x. Both find a namespace and a group added
 * after the task started, leave the excluded services out and drop what disappears.
 */
describe('sync from a nacos cluster across * namespaces and * groups', () => {
  const dbs: TestDatabase[] = [];
  let source: TestNode;
  let overGrpc: TestNode;
  let overV1: TestNode;
  const tasks: Record<string, string> = {};

  const admin = async (node: TestNode, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${node.base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (res.status === 204 ? undefined : await res.json()) as any };
  };
  const onSource = async (method: string, [namespace, group, service]: Where, ip: string) => {
    const qs = new URLSearchParams({
      namespaceId: namespace,
      groupName: group,
      serviceName: service,
      ip,
      port: '80',
      ephemeral: 'false',
      username: USER,
      password: PASSWORD,
    });
    const res = await fetch(`${source.base}/nacos/v1/ns/instance?${qs.toString()}`, { method });
    if (res.status !== 200) throw new Error(`${method} instance: ${res.status} ${await res.text()}`);
  };
  const ips = async (node: TestNode, [namespace, group, service]: Where): Promise<string[]> => {
    const qs = new URLSearchParams({ namespaceId: namespace, groupName: group, serviceName: service });
    const res = await fetch(`${node.base}/nacos/v1/ns/instance/list?${qs.toString()}`);
    return ((await res.json()) as { hosts: Array<{ ip: string }> }).hosts.map((h) => h.ip).sort();
  };
  const everywhere = async (where: Where, expected: string[]) => {
    for (const node of [overGrpc, overV1]) expect(await ips(node, where)).toEqual(expected);
  };

  const ORDERS: Where = ['public', 'DEFAULT_GROUP', 'orders'];
  const CART: Where = ['public', 'shop', 'cart'];
  const DEV_ORDERS: Where = ['dev', 'DEFAULT_GROUP', 'orders'];
  const DEV_CI: Where = ['dev', 'tools', 'ci'];
  const AUDIT: Where = ['prod', 'shop', 'internal-audit'];
  const LATE_GROUP: Where = ['dev', 'billing', 'invoice'];
  const LATE_NAMESPACE: Where = ['late', 'DEFAULT_GROUP', 'pay'];

  beforeAll(async () => {
    dbs.push(...(await Promise.all([createTestDatabase(), createTestDatabase(), createTestDatabase()])));
    source = await startTestNode({
      DATABASE_URL: dbs[0].url,
      LOG_LEVEL: 'warn',
      NACOS_AUTH_ENABLED: 'true',
      NACOS_AUTH_USERS: `${USER}:${PASSWORD}`,
      NACOS_AUTH_SECRET: 'nacos-all-groups-auth-secret-0123456789',
    });
    const target = (url: string) =>
      startTestNode({
        DATABASE_URL: url,
        ADMIN_TOKEN: TOKEN,
        SECRET_KEY: 'nacos-all-groups-secret-key-0123456789',
        SYNC_LEASE_RENEW_MS: '200',
        SYNC_FULL_RECONCILE_MS: '1000',
        SYNC_NACOS_RELIST_MS: '300',
        LOG_LEVEL: 'warn',
      });
    [overGrpc, overV1] = await Promise.all([target(dbs[1].url), target(dbs[2].url)]);
    for (const where of [ORDERS, CART, DEV_ORDERS, DEV_CI, AUDIT]) await onSource('POST', where, '10.70.0.1');
    await onSource('POST', CART, '10.70.0.2');
    const grpcAddress = `127.0.0.1:${source.httpPort}/${source.grpcPort}`;
    const v1Address = `127.0.0.1:${source.httpPort}/${await deadPort()}`;
    for (const [node, address] of [
      [overGrpc, grpcAddress],
      [overV1, v1Address],
    ] as const) {
      const local = (await admin(node, 'POST', '/clusters', { name: 'here', kind: 'local' })).body.id;
      const nacos = await admin(node, 'POST', '/clusters', {
        name: 'nacos',
        kind: 'nacos',
        addresses: [address],
        username: USER,
        password: PASSWORD,
      });
      expect(nacos.status).toBe(201);
      const task = await admin(node, 'POST', '/tasks', {
        sourceClusterId: nacos.body.id,
        targetClusterId: local,
        namespace: '*',
        groupName: '*',
        serviceName: '*',
        exclude: ['tools@@*', 'internal-*'],
      });
      expect(task.status).toBe(201);
      tasks[node === overGrpc ? 'grpc' : 'v1'] = task.body.id;
    }
  });

  afterAll(async () => {
    await Promise.all([source?.close(), overGrpc?.close(), overV1?.close()]);
    await Promise.all(dbs.map((db) => db.drop()));
  });

  it('should copy every matching service of every namespace and group, over gRPC and over HTTP v1', async () => {
    await eventually(
      async () => {
        await everywhere(ORDERS, ['10.70.0.1']);
        await everywhere(CART, ['10.70.0.1', '10.70.0.2']);
        await everywhere(DEV_ORDERS, ['10.70.0.1']);
      },
      { timeoutMs: 15000 },
    );
    for (const [node, protocol] of [
      [overGrpc, 'grpc'],
      [overV1, 'http-v1'],
    ] as const) {
      const cluster = (await admin(node, 'GET', '/clusters')).body.items.find(
        (c: { kind: string }) => c.kind === 'nacos',
      );
      expect((await admin(node, 'POST', `/clusters/${cluster.id}/check`)).body).toMatchObject({
        reachable: true,
        protocol,
      });
    }
  });

  it('should find a group and a namespace that appear after the task started', async () => {
    await onSource('POST', LATE_GROUP, '10.70.0.3');
    await onSource('POST', LATE_NAMESPACE, '10.70.0.4');

    await eventually(
      async () => {
        await everywhere(LATE_GROUP, ['10.70.0.3']);
        await everywhere(LATE_NAMESPACE, ['10.70.0.4']);
      },
      { timeoutMs: 10000 },
    );
  });

  it('should leave the excluded services out', async () => {
    // Both were there before the task started, and every later service has been copied since.
    await everywhere(DEV_CI, []);
    await everywhere(AUDIT, []);
    for (const [node, id] of [
      [overGrpc, tasks.grpc],
      [overV1, tasks.v1],
    ] as const) {
      expect((await admin(node, 'GET', `/tasks/${id}`)).body).toMatchObject({ status: 'running' });
    }
  });

  it('should follow changes and drop what disappears from the source', async () => {
    await onSource('POST', ORDERS, '10.70.0.5');
    await onSource('DELETE', LATE_NAMESPACE, '10.70.0.4');
    await onSource('DELETE', CART, '10.70.0.2');

    await eventually(
      async () => {
        await everywhere(ORDERS, ['10.70.0.1', '10.70.0.5']);
        await everywhere(LATE_NAMESPACE, []);
        await everywhere(CART, ['10.70.0.1']);
      },
      { timeoutMs: 10000 },
    );
  });
});
