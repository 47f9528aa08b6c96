import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Registry, ipPortClientId } from '../../src/registry';
import { NacosClients } from '../nacos-http/support';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { eventually } from '../../tools/support/eventually';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';
import { adminCall } from '../support/admin-call';

const TOKEN = 'nacos-v1-cluster-admin-token';
const USER = 'sync';
const PASSWORD = 'sync-password-0123';
const DELETE_MS = 3000;
/** Metadata that keeps an ephemeral instance without beats (Nacos's preserved per-instance timeouts). */
const LONG_LIVED = { 'preserved.heart.beat.timeout': '600000', 'preserved.ip.delete.timeout': '600000' };

interface Host {
  ip: string;
  port: number;
  weight: number;
  healthy: boolean;
  enabled: boolean;
  ephemeral: boolean;
  metadata: Record<string, string>;
}

/** A port with nothing listening (bound, then released). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A cluster of kind `nacos` whose gRPC port is not there, as a Nacos 1.x cluster: the adapter falls
 * back to HTTP v1. The "Nacos 1.x" is a distro-sync node with Nacos auth and heartbeat expiry
 * scaled down (1.5 s unhealthy, 3 s delete); its cluster addresses name a dead gRPC port, and a
 * first address that is dead altogether, so every call also fails over.
 */
describe('sync tasks with a nacos 1.x cluster over HTTP v1', () => {
  let dbN: TestDatabase;
  let dbB: TestDatabase;
  let legacy: TestNode;
  let b: TestNode;
  let clients: NacosClients | undefined;
  const ids: Record<string, string> = {};

  const admin = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const res = await adminCall(`${b.base}/api/v1${path}`, TOKEN, method, body);
    return { status: res.status, body: res.json };
  };
  const nacos = async (node: TestNode, method: string, path: string, params: Record<string, string | number>) => {
    const auth = node === legacy ? { username: USER, password: PASSWORD } : {};
    const qs = new URLSearchParams(
      Object.entries({ ...params, ...auth }).map(([k, v]): [string, string] => [k, String(v)]),
    );
    const res = await fetch(`${node.base}/nacos/v1/ns${path}?${qs.toString()}`, { method });
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res;
  };
  const register = (node: TestNode, service: string, ip: string, extra: Record<string, string | number> = {}) =>
    nacos(node, 'POST', '/instance', { serviceName: service, ip, port: 80, ephemeral: 'false', ...extra });
  const deregister = (node: TestNode, service: string, ip: string, ephemeral = 'false') =>
    nacos(node, 'DELETE', '/instance', { serviceName: service, ip, port: 80, ephemeral });
  const hosts = async (node: TestNode, service: string): Promise<Host[]> => {
    const res = await nacos(node, 'GET', '/instance/list', { serviceName: service });
    return ((await res.json()) as { hosts: Host[] }).hosts.sort((x, y) => x.ip.localeCompare(y.ip));
  };
  const ips = async (node: TestNode, service: string): Promise<string[]> =>
    (await hosts(node, service)).map((h) => h.ip);
  /** Writes the legacy node answered on its instance route (from its own metrics). */
  /** Beats the legacy node has answered, from its request metrics. */
  const beats = async (): Promise<number> => {
    const text = await (await fetch(`${legacy.base}/metrics`)).text();
    const counts = text.split('\n').map((line) => /^http_request_duration_seconds_count\{(.*)\} (\d+)$/.exec(line));
    return counts
      .filter((m) => m && /route="\/nacos\/v1\/ns\/instance\/beat"/.test(m[1]))
      .reduce((n, m) => n + Number(m![2]), 0);
  };
  const instanceWrites = async (methods = 'POST|PUT|DELETE'): Promise<number> => {
    const text = await (await fetch(`${legacy.base}/metrics`)).text();
    let total = 0;
    for (const line of text.split('\n')) {
      const m = /^http_request_duration_seconds_count\{(.*)\} (\d+)$/.exec(line);
      if (m && /route="\/nacos\/v1\/ns\/instance"/.test(m[1]) && new RegExp(`method="(${methods})"`).test(m[1])) {
        total += Number(m[2]);
      }
    }
    return total;
  };

  beforeAll(async () => {
    [dbN, dbB] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    legacy = await startTestNode({
      DATABASE_URL: dbN.url,
      LOG_LEVEL: 'info',
      NACOS_AUTH_ENABLED: 'true',
      NACOS_AUTH_USERS: `${USER}:${PASSWORD}`,
      NACOS_AUTH_SECRET: 'nacos-v1-cluster-auth-secret-0123456789',
      // Tokens live 3 s: the adapter must log in again before each one runs out.
      NACOS_AUTH_TOKEN_TTL_MS: '3000',
      NACOS_CLIENT_BEAT_INTERVAL_MS: '300',
      NACOS_CLIENT_BEAT_UNHEALTHY_MS: '1500',
      NACOS_CLIENT_BEAT_DELETE_MS: String(DELETE_MS),
      NACOS_CLIENT_BEAT_CHECK_MS: '100',
    });
    b = await startTestNode({
      DATABASE_URL: dbB.url,
      ADMIN_TOKEN: TOKEN,
      SECRET_KEY: 'nacos-v1-cluster-secret-key-0123456789',
      SYNC_LEASE_RENEW_MS: '200',
      SYNC_FULL_RECONCILE_MS: '1000',
      LOG_LEVEL: 'info',
    });
    ids.local = (await admin('POST', '/clusters', { name: 'region-b', kind: 'local' })).body.id;
    const [deadHttp, deadGrpc1, deadGrpc2] = await Promise.all([deadPort(), deadPort(), deadPort()]);
    ids.legacy = (
      await admin('POST', '/clusters', {
        name: 'nacos-1x',
        kind: 'nacos',
        addresses: [`127.0.0.1:${deadHttp}/${deadGrpc1}`, `127.0.0.1:${legacy.httpPort}/${deadGrpc2}`],
        username: USER,
        password: PASSWORD,
      })
    ).body.id;
  });

  afterAll(async () => {
    clients?.stop();
    await Promise.all([legacy?.close(), b?.close()]);
    await Promise.all([dbN?.drop(), dbB?.drop()]);
  });

  it('should report HTTP v1 in the cluster check, and why', async () => {
    const res = await admin('POST', `/clusters/${ids.legacy}/check`);
    expect(res.body).toMatchObject({
      reachable: true,
      protocol: 'http-v1',
      version: expect.stringMatching(/nacos HTTP v1 via 127\.0\.0\.1:\d+ \(no Nacos 2\.x gRPC: .*connection refused/),
    });
  });

  it('should name the real reason when the credentials are wrong', async () => {
    const wrong = (
      await admin('POST', '/clusters', {
        name: 'nacos-1x-wrong-password',
        kind: 'nacos',
        addresses: [`127.0.0.1:${legacy.httpPort}/${await deadPort()}`],
        username: USER,
        password: 'not-the-password',
      })
    ).body.id;
    const res = await admin('POST', `/clusters/${wrong}/check`);
    expect(res.body).toMatchObject({ reachable: false, error: expect.stringMatching(/login as sync refused/) });
    expect(JSON.stringify(res.body)).not.toContain('not-the-password');
    await admin('DELETE', `/clusters/${wrong}`);
  });

  it('should copy into the 1.x cluster, update in place, keep copies alive by beats and remove them', async () => {
    const task = (
      await admin('POST', '/tasks', { sourceClusterId: ids.local, targetClusterId: ids.legacy, serviceName: 'pay' })
    ).body;
    // Ephemeral source instances (their own long timeouts keep them without beats): ephemeral copies.
    await register(b, 'pay', '10.6.0.1', {
      ephemeral: 'true',
      metadata: JSON.stringify({ zone: 'b1', ...LONG_LIVED }),
    });
    await register(b, 'pay', '10.6.0.2', { ephemeral: 'true', metadata: JSON.stringify(LONG_LIVED) });
    await eventually(async () => expect(await ips(legacy, 'pay')).toEqual(['10.6.0.1', '10.6.0.2']), {
      timeoutMs: 10_000,
    });
    expect((await hosts(legacy, 'pay'))[0].metadata).toEqual({
      zone: 'b1',
      ...LONG_LIVED,
      syncSource: 'region-b',
      sourceClusterId: ids.local,
      destClusterId: ids.legacy,
      syncTaskId: task.id,
    });
    // Both nodes share this process, and so Nest's static logger: the line may land in either one's log.
    const logged = [...b.logs, ...legacy.logs].filter((l) =>
      /nacos cluster nacos-1x: no Nacos 2\.x gRPC.*using Nacos HTTP v1/.test(String(l.msg)),
    );
    expect(logged.length).toBeGreaterThan(0);

    // The real npm client sees the copies.
    clients = NacosClients.start();
    await clients.create('reader', legacy.base, { username: USER, password: PASSWORD });
    const seen = await clients.getAllInstances('reader', 'pay');
    expect(seen.map((h) => h.ip).sort()).toEqual(['10.6.0.1', '10.6.0.2']);
    expect(seen.every((h) => h.metadata.syncTaskId === task.id && h.ephemeral)).toBe(true);

    // Beats keep the (ephemeral) copies healthy well past the delete timeout, across token renewals.
    const until = Date.now() + DELETE_MS + 2000;
    while (Date.now() < until) {
      const now = await hosts(legacy, 'pay');
      expect(now.map((h) => [h.ip, h.healthy])).toEqual([
        ['10.6.0.1', true],
        ['10.6.0.2', true],
      ]);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }

    const [putsBefore, deletesBefore] = [await instanceWrites('PUT'), await instanceWrites('DELETE')];
    await nacos(b, 'PUT', '/instance', {
      serviceName: 'pay',
      ip: '10.6.0.2',
      port: 80,
      ephemeral: 'true',
      weight: 7,
      metadata: JSON.stringify(LONG_LIVED),
    });
    await eventually(async () => expect((await hosts(legacy, 'pay'))[1].weight).toBe(7), { timeoutMs: 5000 });
    // In place: a PUT, not a deregistration and a new registration.
    expect(await instanceWrites('PUT')).toBeGreaterThan(putsBefore);
    expect(await instanceWrites('DELETE')).toBe(deletesBefore);

    await deregister(b, 'pay', '10.6.0.1', 'true');
    await eventually(async () => expect(await ips(legacy, 'pay')).toEqual(['10.6.0.2']), { timeoutMs: 5000 });
    // Gone for good: no beat brings a removed copy back. Two beats of the copy left (every 300 ms) since:
    // the removed one, beaten in the same rounds, would have been answered and brought back by now.
    const beatsBefore = await beats();
    await eventually(async () => (await beats()) >= beatsBefore + 2, { what: 'two more beats of the copy left' });
    expect(await ips(legacy, 'pay')).toEqual(['10.6.0.2']);

    // A copy removed by hand in the target comes back (beat answer 20404, or the next reconcile).
    await nacos(legacy, 'DELETE', '/instance', { serviceName: 'pay', ip: '10.6.0.2', port: 80, ephemeral: 'true' });
    await eventually(async () => expect(await ips(legacy, 'pay')).toEqual(['10.6.0.2']), { timeoutMs: 5000 });

    // Deleting the task removes exactly its copies; a native instance of the same service stays. It is
    // ephemeral like the copies (Nacos 2.x refuses a persistent instance into an ephemeral service), and
    // its own timeouts keep it past the delete timeout without beats.
    await register(legacy, 'pay', '10.6.9.9', { ephemeral: 'true', metadata: JSON.stringify(LONG_LIVED) });
    expect((await admin('DELETE', `/tasks/${task.id}`)).status).toBe(202);
    await eventually(async () => expect((await admin('GET', `/tasks/${task.id}`)).status).toBe(404), {
      timeoutMs: 10_000,
    });
    expect(await ips(legacy, 'pay')).toEqual(['10.6.9.9']);
    await new Promise((resolve) => setTimeout(resolve, DELETE_MS));
    expect(await ips(legacy, 'pay')).toEqual(['10.6.9.9']);
  });

  it('should copy a persistent instance as a persistent one (no beats), refuse it into an ephemeral service, withdraw it', async () => {
    // A native ephemeral instance of the target: a persistent copy cannot join its service.
    await register(legacy, 'kept-mixed', '10.8.9.9', { ephemeral: 'true', metadata: JSON.stringify(LONG_LIVED) });
    const task = (
      await admin('POST', '/tasks', { sourceClusterId: ids.local, targetClusterId: ids.legacy, serviceName: 'kept*' })
    ).body;
    await register(b, 'kept', '10.8.0.1', { metadata: JSON.stringify({ zone: 'b1' }) });
    await register(b, 'kept-mixed', '10.8.0.2');
    await eventually(
      async () => {
        expect(await hosts(legacy, 'kept')).toEqual([
          expect.objectContaining({ ip: '10.8.0.1', ephemeral: false, healthy: true }),
        ]);
        const t = (await admin('GET', `/tasks/${task.id}`)).body;
        expect(t.rejected).toEqual([
          expect.objectContaining({
            service: 'public/DEFAULT_GROUP@@kept-mixed',
            address: '10.8.0.2:80',
            refusedBy: 'target',
            reason: expect.stringContaining('ephemeral service'),
          }),
        ]);
      },
      { timeoutMs: 10_000 },
    );
    expect(await hosts(legacy, 'kept-mixed')).toEqual([expect.objectContaining({ ip: '10.8.9.9', ephemeral: true })]);

    // Persistent: never beaten, and kept past the delete timeout all the same.
    const beatsBefore = await beats();
    await new Promise((resolve) => setTimeout(resolve, DELETE_MS + 1000));
    expect(await beats()).toBe(beatsBefore);
    expect(await ips(legacy, 'kept')).toEqual(['10.8.0.1']);

    // Kept current: weight and health as the source says (health set by hand: the cluster is not checked).
    await nacos(b, 'PUT', '/cluster', {
      serviceName: 'kept',
      clusterName: 'DEFAULT',
      checkPort: 80,
      useInstancePort4Check: 'true',
      healthChecker: JSON.stringify({ type: 'NONE' }),
    });
    await nacos(b, 'PUT', '/instance', {
      serviceName: 'kept',
      ip: '10.8.0.1',
      port: 80,
      ephemeral: 'false',
      weight: 4,
    });
    await nacos(b, 'PUT', '/health/instance', { serviceName: 'kept', ip: '10.8.0.1', port: 80, healthy: 'false' });
    await eventually(
      async () =>
        expect(await hosts(legacy, 'kept')).toEqual([
          expect.objectContaining({ ip: '10.8.0.1', ephemeral: false, weight: 4, healthy: false }),
        ]),
      { timeoutMs: 8000 },
    );

    // Withdrawn when its source instance goes, and when the task goes.
    await register(b, 'kept', '10.8.0.3');
    await eventually(async () => expect(await ips(legacy, 'kept')).toEqual(['10.8.0.1', '10.8.0.3']), {
      timeoutMs: 8000,
    });
    await deregister(b, 'kept', '10.8.0.1');
    await eventually(async () => expect(await ips(legacy, 'kept')).toEqual(['10.8.0.3']), { timeoutMs: 8000 });
    expect((await admin('DELETE', `/tasks/${task.id}`)).status).toBe(202);
    await eventually(async () => expect(await ips(legacy, 'kept')).toEqual([]), { timeoutMs: 10_000 });
    expect(await ips(legacy, 'kept-mixed')).toEqual(['10.8.9.9']);
  });

  it('should copy from the 1.x cluster by polling: register, update and deregister', async () => {
    await admin('POST', '/tasks', { sourceClusterId: ids.legacy, targetClusterId: ids.local, serviceName: 'legacy-*' });
    await register(legacy, 'legacy-orders', '10.5.0.1', { metadata: JSON.stringify({ v: '1' }) });
    await eventually(async () => expect(await ips(b, 'legacy-orders')).toEqual(['10.5.0.1']), { timeoutMs: 10_000 });
    expect((await hosts(b, 'legacy-orders'))[0].metadata).toMatchObject({ v: '1', sourceClusterId: ids.legacy });
    await register(legacy, 'legacy-orders', '10.5.0.2');
    await register(legacy, 'legacy-stock', '10.5.1.1');
    await eventually(async () => expect(await ips(b, 'legacy-orders')).toEqual(['10.5.0.1', '10.5.0.2']), {
      timeoutMs: 5000,
    });
    await eventually(async () => expect(await ips(b, 'legacy-stock')).toEqual(['10.5.1.1']), { timeoutMs: 5000 });
    await nacos(legacy, 'PUT', '/instance', {
      serviceName: 'legacy-orders',
      ip: '10.5.0.1',
      port: 80,
      ephemeral: 'false',
      metadata: JSON.stringify({ v: '2' }),
    });
    await eventually(async () => expect((await hosts(b, 'legacy-orders'))[0].metadata.v).toBe('2'), {
      timeoutMs: 5000,
    });
    await deregister(legacy, 'legacy-orders', '10.5.0.1');
    await eventually(async () => expect(await ips(b, 'legacy-orders')).toEqual(['10.5.0.2']), { timeoutMs: 5000 });
  });

  it('should copy every namespace of the 1.x cluster for a `*` selector (console namespace list)', async () => {
    await admin('POST', '/tasks', {
      sourceClusterId: ids.legacy,
      targetClusterId: ids.local,
      namespace: '*',
      serviceName: 'multi-*',
    });
    await register(legacy, 'multi-a', '10.8.0.1', { namespaceId: 'prod' });
    await register(legacy, 'multi-b', '10.8.0.2');
    const inB = async (namespaceId: string, service: string): Promise<string[]> => {
      const res = await nacos(b, 'GET', '/instance/list', { serviceName: service, namespaceId });
      return ((await res.json()) as { hosts: Host[] }).hosts.map((h) => h.ip);
    };
    await eventually(
      async () => {
        expect(await inB('prod', 'multi-a')).toEqual(['10.8.0.1']);
        expect(await inB('public', 'multi-b')).toEqual(['10.8.0.2']);
      },
      { timeoutMs: 10_000 },
    );
  });

  it('should absorb a burst of 10,000 source changes with far fewer target writes, and converge', async () => {
    const SERVICES = 10;
    const PER_SERVICE = 5;
    const CHANGES = 10_000;
    const all: Array<{ service: string; ip: string }> = [];
    for (let s = 0; s < SERVICES; s++) {
      for (let i = 0; i < PER_SERVICE; i++) all.push({ service: `burst-${s}`, ip: `10.7.${s}.${i + 1}` });
    }
    await admin('POST', '/tasks', {
      sourceClusterId: ids.local,
      targetClusterId: ids.legacy,
      serviceName: 'burst-*',
    });
    for (const each of all) await register(b, each.service, each.ip);
    await eventually(
      async () => {
        for (let s = 0; s < SERVICES; s++) expect(await hosts(legacy, `burst-${s}`)).toHaveLength(PER_SERVICE);
      },
      { timeoutMs: 15_000 },
    );

    const before = await instanceWrites();
    const registry = b.app.get(Registry);
    // Every change differs from the instance's previous weight (1 at first, then 50 changes earlier).
    const weightOf = (change: number): number => 2 + (change % 97);
    // 10,000 weight changes straight into region B's registry, in slices so flushes run in between.
    for (let change = 0; change < CHANGES; change++) {
      const { service, ip } = all[change % all.length];
      const key = { namespace: 'public', group: 'DEFAULT_GROUP', name: service };
      expect(
        registry.updateInstance(ipPortClientId(ip, 80, false), key, 'DEFAULT', ip, 80, { weight: weightOf(change) }),
      ).toBe(true);
      if (change % 500 === 499) await new Promise((resolve) => setImmediate(resolve));
    }
    const expected = new Map(all.map((each, i) => [each.ip, weightOf(CHANGES - all.length + i)]));
    await eventually(
      async () => {
        for (let s = 0; s < SERVICES; s++) {
          for (const h of await hosts(legacy, `burst-${s}`))
            expect([h.ip, h.weight]).toEqual([h.ip, expected.get(h.ip)]);
        }
      },
      { timeoutMs: 20_000 },
    );
    const writes = (await instanceWrites()) - before;
    expect(writes).toBeGreaterThan(0);
    expect(writes).toBeLessThan(CHANGES / 10);
    // Reported for the record: how many HTTP writes the burst cost in the target.
    process.stdout.write(`burst: ${CHANGES} source changes -> ${writes} target writes\n`);
  });
});
