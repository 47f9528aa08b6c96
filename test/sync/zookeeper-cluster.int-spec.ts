import { CreateMode, ZooKeeperConnection } from '../../src/sync/adapters/zookeeper-client';
import { javaUrlDecode, javaUrlEncode, parseDubboUrl } from '../../src/sync/adapters/zookeeper-layouts';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { runRounds } from '../support/sync-rounds';
import { TcpProxy } from '../support/tcp-proxy';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';
import { eventually } from '../../tools/support/eventually';
import { startZooKeeper } from '../../tools/support/zookeeper-server';
import type { ZooKeeperServer } from '../../tools/support/zookeeper-server';
import { adminCall } from '../support/admin-call';

const TOKEN = 'zookeeper-cluster-admin-token';
const GREETER = 'providers:com.acme.Greeter:1.0.0:';
const PAY = 'providers:com.acme.Pay:1.0.0:';

interface Host {
  ip: string;
  port: number;
  weight: number;
  enabled: boolean;
  metadata: Record<string, string>;
}

/** A provider URL byte for byte as Dubbo 2.7 registers it (URL.toFullString: parameters sorted). */
function dubboProvider(iface: string, ip: string, extra: Record<string, string> = {}): string {
  const params: Record<string, string> = {
    anyhost: 'true',
    application: 'greeter',
    deprecated: 'false',
    dubbo: '2.0.2',
    dynamic: 'true',
    generic: 'false',
    interface: iface,
    methods: 'sayBye,sayHello',
    pid: '4242',
    release: '2.7.23',
    side: 'provider',
    timestamp: '1700000000000',
    version: '1.0.0',
    ...extra,
  };
  const query = Object.keys(params)
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
  return `dubbo://${ip}:20880/${iface}?${query}`;
}

/** Curator's instance JSON as Dubbo 3 (ZookeeperServiceDiscovery) or Spring Cloud Zookeeper write it. */
function curatorInstance(kind: 'dubbo' | 'spring', name: string, id: string, ip: string, port: number, meta: object) {
  return JSON.stringify({
    name,
    id,
    address: ip,
    port,
    sslPort: null,
    payload: {
      '@class':
        kind === 'dubbo'
          ? 'org.apache.dubbo.registry.zookeeper.ZookeeperInstance'
          : 'org.springframework.cloud.zookeeper.discovery.ZookeeperInstance',
      id: kind === 'dubbo' ? id : `${name}-1`,
      name,
      metadata: meta,
    },
    registrationTimeUTC: 1700000000000,
    serviceType: 'DYNAMIC',
    uriSpec:
      kind === 'dubbo'
        ? null
        : {
            parts: [
              { value: 'scheme', variable: true },
              { value: '://', variable: false },
              { value: 'address', variable: true },
              { value: ':', variable: false },
              { value: 'port', variable: true },
            ],
          },
  });
}

/**
 * Sync tasks between this region (`local`) and a real ZooKeeper in each layout, both ways, through
 * the admin API: what frameworks register in ZooKeeper appears in the region as Dubbo's and the
 * frameworks' own Nacos registries would name it, and the region's services appear in ZooKeeper as
 * ephemeral znodes the frameworks read.
 */
describe('sync tasks with zookeeper clusters', () => {
  let zk: ZooKeeperServer;
  let db: TestDatabase;
  let b: TestNode;
  /** The frameworks' own session (providers register, consumers read). */
  let app: ZooKeeperConnection;
  const ids: Record<string, string> = {};

  const admin = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const res = await adminCall(`${b.base}/api/v1${path}`, TOKEN, method, body);
    return { status: res.status, body: res.json };
  };
  const nacos = async (method: string, path: string, params: Record<string, string | number>): Promise<Response> => {
    const qs = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));
    const res = await fetch(`${b.base}/nacos/v1/ns${path}?${qs.toString()}`, { method });
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res;
  };
  const register = (service: string, ip: string, port: number, metadata: Record<string, string> = {}) =>
    nacos('POST', '/instance', {
      serviceName: service,
      ip,
      port,
      ephemeral: 'false',
      metadata: JSON.stringify(metadata),
    });
  const deregister = (service: string, ip: string, port: number) =>
    nacos('DELETE', '/instance', { serviceName: service, ip, port, ephemeral: 'false' });
  const hosts = async (service: string): Promise<Host[]> => {
    const res = await nacos('GET', '/instance/list', { serviceName: service });
    return ((await res.json()) as { hosts: Host[] }).hosts.sort((x, y) => x.ip.localeCompare(y.ip));
  };
  const ips = async (service: string): Promise<string[]> => (await hosts(service)).map((h) => h.ip);
  const children = async (path: string): Promise<string[]> => (await app.getChildren(path).catch(() => [])).sort();
  const providerUrls = async (iface: string) =>
    (await children(`/dubbo/${iface}/providers`)).map((n) => parseDubboUrl(javaUrlDecode(n)!)!);
  const task = async (source: string, target: string, serviceName: string): Promise<string> => {
    const res = await admin('POST', '/tasks', {
      sourceClusterId: ids[source],
      targetClusterId: ids[target],
      serviceName,
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };

  beforeAll(async () => {
    [zk, db] = await Promise.all([startZooKeeper(), createTestDatabase()]);
    app = new ZooKeeperConnection({ addresses: [zk.address], sessionTimeoutMs: 10_000 });
    await app.ready();
    b = await startTestNode({
      DATABASE_URL: db.url,
      ADMIN_TOKEN: TOKEN,
      SECRET_KEY: 'zookeeper-cluster-secret-key-0123456789',
      SYNC_LEASE_RENEW_MS: '200',
      SYNC_FULL_RECONCILE_MS: '1000',
      // Copies in ZooKeeper are ephemeral znodes of a session that times out after this.
      SYNC_CLIENT_TTL: '3000',
      LOG_LEVEL: 'info',
    });
    ids.local = (await admin('POST', '/clusters', { name: 'region-b', kind: 'local' })).body.id;
    ids.dubbo = (
      await admin('POST', '/clusters', { name: 'zk-dubbo', kind: 'zookeeper', addresses: [zk.address] })
    ).body.id;
    ids.app = (
      await admin('POST', '/clusters', {
        name: 'zk-dubbo3',
        kind: 'zookeeper',
        addresses: [zk.address],
        layout: 'dubbo-app',
        prefix: '/dubbo3',
      })
    ).body.id;
    // Spring Cloud in a chroot, as a shared ZooKeeper often gives each team.
    await app.ensurePath('/team-a');
    ids.spring = (
      await admin('POST', '/clusters', {
        name: 'zk-spring',
        kind: 'zookeeper',
        addresses: [`${zk.address}/team-a`],
        layout: 'spring-cloud',
      })
    ).body.id;
  });

  afterAll(async () => {
    await b?.close();
    await app?.close();
    await Promise.all([zk?.stop(), db?.drop()]);
  });

  it('should refuse bad zookeeper clusters with a 400 naming the field', async () => {
    const bad = async (body: Record<string, unknown>, message: RegExp) => {
      const res = await admin('POST', '/clusters', { name: 'zk-bad', kind: 'zookeeper', ...body });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toMatch(message);
    };
    await bad({}, /addresses must name at least one host:port/);
    await bad({ addresses: ['zk1'] }, /each address must be host:port/);
    await bad({ addresses: ['zk1:2181/a/'] }, /addresses of a zookeeper cluster must be host:port/);
    await bad({ addresses: ['zk1:2181/a', 'zk2:2181/b'] }, /must name one chroot/);
    await bad({ addresses: ['zk1:2181'], layout: 'kratos' }, /layout must be one of dubbo, dubbo-app, spring-cloud/);
    await bad({ addresses: ['zk1:2181'], prefix: 'dubbo' }, /prefix of a zookeeper cluster must be a path/);
    const nacos = await admin('POST', '/clusters', { name: 'n-bad', kind: 'nacos', addresses: ['n1:8848/apps'] });
    expect(nacos.status).toBe(400);
    const patch = await admin('PATCH', `/clusters/${ids.dubbo}`, { addresses: ['zk1:2181/a', 'zk1:2182/b'] });
    expect(patch.status).toBe(400);
  });

  it('should check a zookeeper cluster: server version, layout found, counts', async () => {
    await app.ensurePath('/team-a/services/inventory');
    const data = curatorInstance('spring', 'inventory', 'a1', '10.9.0.1', 8080, { instance_status: 'UP' });
    await app.create('/team-a/services/inventory/a1', Buffer.from(data), CreateMode.EPHEMERAL);
    const res = await admin('POST', `/clusters/${ids.spring}/check`);
    expect(res.body).toMatchObject({
      reachable: true,
      version: expect.stringMatching(/^zookeeper 3\.\d+/),
      protocol: 'zookeeper',
      layout: 'spring-cloud',
      root: '/team-a/services',
      layoutFound: true,
      services: 1,
      instances: 1,
      sessionTimeoutMs: 3000,
    });
    await app.remove('/team-a/services/inventory/a1');
  });

  it('should seal digest credentials and never show them', async () => {
    const password = 'zk-digest-secret-0123456789';
    const res = await admin('POST', '/clusters', {
      name: 'zk-digest',
      kind: 'zookeeper',
      addresses: [zk.address],
      username: 'sync',
      password,
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ username: 'sync', hasCredentials: true, layout: 'dubbo', prefix: null });
    const check = await admin('POST', `/clusters/${res.body.id}/check`);
    expect(check.body).toMatchObject({ reachable: true, layout: 'dubbo' });
    const listed = await admin('GET', '/clusters?name=zk-digest');
    for (const text of [res, check, listed].map((r) => JSON.stringify(r.body))) expect(text).not.toContain(password);
    expect(JSON.stringify(b.logs)).not.toContain(password);
    expect((await admin('DELETE', `/clusters/${res.body.id}`)).status).toBe(204);
  });

  it('dubbo: should copy ZooKeeper providers into the region as Dubbo names them on Nacos, update and remove them', async () => {
    const toRegion = await task('dubbo', 'local', 'providers:*');
    const dir = '/dubbo/com.acme.Greeter/providers';
    await app.ensurePath(dir);
    await app.ensurePath('/dubbo/com.acme.Greeter/consumers');
    const v1 = javaUrlEncode(dubboProvider('com.acme.Greeter', '10.1.0.1'));
    // As Dubbo registers: an ephemeral leaf, Curator's default data (the local IP).
    await app.create(`${dir}/${v1}`, Buffer.from('10.1.0.1'), CreateMode.EPHEMERAL);
    const consumer = javaUrlEncode('consumer://10.1.9.9/com.acme.Greeter?category=consumers&side=consumer');
    await app.create(`/dubbo/com.acme.Greeter/consumers/${consumer}`, Buffer.from('x'), CreateMode.EPHEMERAL);
    await eventually(async () => expect(await ips(GREETER)).toEqual(['10.1.0.1']), { timeoutMs: 10_000 });
    const [copy] = await hosts(GREETER);
    expect(copy.metadata).toMatchObject({
      application: 'greeter',
      interface: 'com.acme.Greeter',
      methods: 'sayBye,sayHello',
      version: '1.0.0',
      side: 'provider',
      category: 'providers',
      protocol: 'dubbo',
      path: 'com.acme.Greeter',
      syncSource: 'zk-dubbo',
      sourceClusterId: ids.dubbo,
      syncTaskId: toRegion,
    });

    // Dubbo changes a provider by registering the new URL and removing the old one.
    const v2 = javaUrlEncode(
      dubboProvider('com.acme.Greeter', '10.1.0.1', { weight: '50', timestamp: '1700000000999' }),
    );
    await app.create(`${dir}/${v2}`, Buffer.from('10.1.0.1'), CreateMode.EPHEMERAL);
    await app.remove(`${dir}/${v1}`);
    await eventually(
      async () =>
        expect((await hosts(GREETER)).map((h) => [h.ip, h.weight, h.metadata.timestamp])).toEqual([
          ['10.1.0.1', 50, '1700000000999'],
        ]),
      { timeoutMs: 10_000 },
    );
    // A second provider, then the first one goes.
    const other = javaUrlEncode(dubboProvider('com.acme.Greeter', '10.1.0.2'));
    await app.create(`${dir}/${other}`, Buffer.from('10.1.0.2'), CreateMode.EPHEMERAL);
    await app.remove(`${dir}/${v2}`);
    await eventually(async () => expect(await ips(GREETER)).toEqual(['10.1.0.2']), { timeoutMs: 10_000 });
  });

  it('dubbo: should copy region providers into ZooKeeper as ephemeral provider URLs, never loop, and withdraw them', async () => {
    const toZk = await task('local', 'dubbo', 'providers:*');
    await register(PAY, '10.2.0.1', 20880, {
      application: 'pay',
      interface: 'com.acme.Pay',
      version: '1.0.0',
      methods: 'charge',
      side: 'provider',
      protocol: 'dubbo',
      path: 'com.acme.Pay',
      category: 'providers',
    });
    await eventually(async () => expect(await providerUrls('com.acme.Pay')).toHaveLength(1), { timeoutMs: 10_000 });
    const [url] = await providerUrls('com.acme.Pay');
    expect(url).toMatchObject({ protocol: 'dubbo', host: '10.2.0.1', port: 20880, path: 'com.acme.Pay' });
    expect(url.params).toMatchObject({
      interface: 'com.acme.Pay',
      version: '1.0.0',
      methods: 'charge',
      syncTaskId: toZk,
      sourceClusterId: ids.local,
      syncSource: 'region-b',
    });
    const [node] = await children('/dubbo/com.acme.Pay/providers');
    const stat = await app.exists(`/dubbo/com.acme.Pay/providers/${node}`);
    // The source is a persistent instance (ephemeral=false); its copy is an ephemeral znode all the
    // same: ZooKeeper copies are leased by design (docs/sync.md, "Persistent instances").
    expect(stat!.ephemeralOwner.toString('hex')).not.toBe('0000000000000000');

    // Both tasks run; rounds later neither copy came back: the region's Pay has its native instance
    // only, ZooKeeper's Greeter its native provider only.
    await runRounds(b, 'sync-full-reconcile', 2);
    expect(await ips(PAY)).toEqual(['10.2.0.1']);
    expect((await hosts(PAY))[0].metadata.syncTaskId).toBeUndefined();
    expect(await children('/dubbo/com.acme.Greeter/providers')).toHaveLength(1);
    expect((await providerUrls('com.acme.Greeter'))[0].params.syncTaskId).toBeUndefined();

    // In place: new metadata swaps the znode (one provider all along).
    await register(PAY, '10.2.0.1', 20880, { application: 'pay', interface: 'com.acme.Pay', zone: 'b2' });
    await eventually(async () => expect((await providerUrls('com.acme.Pay'))[0]?.params.zone).toBe('b2'), {
      timeoutMs: 10_000,
    });
    expect(await children('/dubbo/com.acme.Pay/providers')).toHaveLength(1);

    // Pause keeps the copies; resume catches up.
    expect((await admin('POST', `/tasks/${toZk}/pause`)).status).toBe(200);
    // The holder learns of the pause at its next lease round; then a change, and rounds after it.
    await runRounds(b, 'sync-lease-round', 1);
    await register(PAY, '10.2.0.2', 20880, { application: 'pay', interface: 'com.acme.Pay' });
    await runRounds(b, 'sync-full-reconcile', 1);
    expect(await providerUrls('com.acme.Pay')).toHaveLength(1);
    expect((await admin('POST', `/tasks/${toZk}/resume`)).status).toBe(200);
    await eventually(async () => expect(await providerUrls('com.acme.Pay')).toHaveLength(2), { timeoutMs: 10_000 });

    await deregister(PAY, '10.2.0.1', 20880);
    await eventually(
      async () => expect((await providerUrls('com.acme.Pay')).map((u) => u.host)).toEqual(['10.2.0.2']),
      { timeoutMs: 10_000 },
    );

    // Deleting the task withdraws its copies from ZooKeeper.
    expect((await admin('DELETE', `/tasks/${toZk}`)).status).toBe(202);
    await eventually(async () => expect((await admin('GET', `/tasks/${toZk}`)).status).toBe(404), {
      timeoutMs: 10_000,
    });
    expect(await providerUrls('com.acme.Pay')).toEqual([]);
  });

  it('dubbo-app: should copy Dubbo 3 application instances both ways and update them in place', async () => {
    await task('app', 'local', 'greeter-app');
    await task('local', 'app', 'billing-app');
    await app.ensurePath('/dubbo3/greeter-app');
    const path = '/dubbo3/greeter-app/10.3.0.1:20880';
    const meta = { 'dubbo.metadata.revision': 'r1', 'dubbo.metadata.storage-type': 'local' };
    await app.create(
      path,
      Buffer.from(curatorInstance('dubbo', 'greeter-app', '10.3.0.1:20880', '10.3.0.1', 20880, meta)),
      CreateMode.EPHEMERAL,
    );
    await eventually(async () => expect(await ips('greeter-app')).toEqual(['10.3.0.1']), { timeoutMs: 10_000 });
    expect((await hosts('greeter-app'))[0]).toMatchObject({
      port: 20880,
      metadata: { ...meta, sourceClusterId: ids.app },
    });
    // Curator's updateService: the data changes in place.
    const meta2 = { ...meta, 'dubbo.metadata.revision': 'r2' };
    await app.setData(
      path,
      Buffer.from(curatorInstance('dubbo', 'greeter-app', '10.3.0.1:20880', '10.3.0.1', 20880, meta2)),
    );
    await eventually(
      async () => expect((await hosts('greeter-app'))[0].metadata['dubbo.metadata.revision']).toBe('r2'),
      { timeoutMs: 10_000 },
    );

    await register('billing-app', '10.3.1.1', 20881, { 'dubbo.metadata.revision': 'b1' });
    await eventually(async () => expect(await children('/dubbo3/billing-app')).toEqual(['10.3.1.1:20881']), {
      timeoutMs: 10_000,
    });
    const written = JSON.parse((await app.getData('/dubbo3/billing-app/10.3.1.1:20881')).data!.toString());
    expect(written).toMatchObject({
      name: 'billing-app',
      id: '10.3.1.1:20881',
      address: '10.3.1.1',
      port: 20881,
      serviceType: 'DYNAMIC',
      payload: {
        '@class': 'org.apache.dubbo.registry.zookeeper.ZookeeperInstance',
        metadata: { 'dubbo.metadata.revision': 'b1', sourceClusterId: ids.local },
      },
    });
    await runRounds(b, 'sync-full-reconcile', 2);
    expect(await children('/dubbo3/greeter-app')).toEqual(['10.3.0.1:20880']);
    expect(await ips('billing-app')).toEqual(['10.3.1.1']);

    await app.remove(path);
    await deregister('billing-app', '10.3.1.1', 20881);
    await eventually(
      async () => {
        expect(await ips('greeter-app')).toEqual([]);
        expect(await children('/dubbo3/billing-app')).toEqual([]);
      },
      { timeoutMs: 10_000 },
    );
  });

  it("should get through a session expiry mid-sync: copies gone with the session, written again, the source's changes read", async () => {
    const proxy = await TcpProxy.start('127.0.0.1', zk.port);
    try {
      const cluster = await admin('POST', '/clusters', {
        name: 'zk-proxied',
        kind: 'zookeeper',
        addresses: [`127.0.0.1:${proxy.port}`],
        prefix: '/proxied',
      });
      ids.proxied = cluster.body.id;
      const toZk = await task('local', 'proxied', 'providers:com.acme.Exp*');
      const fromZk = await task('proxied', 'local', 'providers:com.acme.Src*');
      const exp = 'providers:com.acme.Exp:1.0.0:';
      const src = 'providers:com.acme.Src:1.0.0:';
      const expDir = '/proxied/com.acme.Exp/providers';
      const srcDir = '/proxied/com.acme.Src/providers';
      await register(exp, '10.5.0.1', 20880, { interface: 'com.acme.Exp', version: '1.0.0' });
      await app.ensurePath(srcDir);
      await app.create(
        `${srcDir}/${javaUrlEncode(dubboProvider('com.acme.Src', '10.5.1.1'))}`,
        Buffer.alloc(0),
        CreateMode.EPHEMERAL,
      );
      await eventually(
        async () => {
          expect(await children(expDir)).toHaveLength(1);
          expect(await ips(src)).toEqual(['10.5.1.1']);
        },
        { timeoutMs: 10_000 },
      );
      const [copy] = await children(expDir);
      const session = (await app.exists(`${expDir}/${copy}`))!.ephemeralOwner.toString('hex');

      // Cut off past the session timeout: the server expires the session, and the copy goes with it.
      proxy.cut();
      await eventually(async () => !(await zk.ephemerals()).has(session), {
        timeoutMs: 15_000,
        what: "the server to expire the task's session",
      });
      expect(await children(expDir)).toEqual([]);
      await eventually(
        async () => {
          expect((await admin('GET', `/tasks/${fromZk}`)).body.sourceReachable).toBe(false);
          expect((await admin('GET', `/tasks/${toZk}`)).body.targetReachable).toBe(false);
        },
        { timeoutMs: 15_000, what: 'the ZooKeeper source and target reported unreachable' },
      );
      // Meanwhile a provider registers in ZooKeeper; the region keeps the copy it has.
      await app.create(
        `${srcDir}/${javaUrlEncode(dubboProvider('com.acme.Src', '10.5.1.2'))}`,
        Buffer.alloc(0),
        CreateMode.EPHEMERAL,
      );
      expect(await ips(src)).toEqual(['10.5.1.1']);

      proxy.restore();
      await eventually(
        async () => {
          expect(await children(expDir)).toEqual([copy]);
          expect(await ips(src)).toEqual(['10.5.1.1', '10.5.1.2']);
        },
        { timeoutMs: 15_000 },
      );
      expect((await app.exists(`${expDir}/${copy}`))!.ephemeralOwner.toString('hex')).not.toBe(session);
      await eventually(async () => (await admin('GET', `/tasks/${toZk}`)).body.targetReachable === true, {
        timeoutMs: 10_000,
      });
      for (const id of [toZk, fromZk]) expect((await admin('DELETE', `/tasks/${id}`)).status).toBe(202);
    } finally {
      await proxy.stop();
    }
  });

  it('spring-cloud: should copy Spring Cloud Zookeeper instances both ways, in a chroot', async () => {
    await task('spring', 'local', 'orders');
    await task('local', 'spring', 'catalog');
    await app.ensurePath('/team-a/services/orders');
    const id = '6c3a2f4e-1d2b-4c5d-9e8f-0a1b2c3d4e5f';
    const data = curatorInstance('spring', 'orders', id, '10.4.0.1', 8080, { zone: 'a', instance_status: 'UP' });
    await app.create(`/team-a/services/orders/${id}`, Buffer.from(data), CreateMode.EPHEMERAL);
    await eventually(async () => expect(await ips('orders')).toEqual(['10.4.0.1']), { timeoutMs: 10_000 });
    expect((await hosts('orders'))[0]).toMatchObject({ port: 8080, enabled: true, metadata: { zone: 'a' } });
    // Taken out of service: disabled in the region.
    const out = curatorInstance('spring', 'orders', id, '10.4.0.1', 8080, {
      zone: 'a',
      instance_status: 'OUT_OF_SERVICE',
    });
    await app.setData(`/team-a/services/orders/${id}`, Buffer.from(out));
    await eventually(async () => expect((await hosts('orders'))[0]?.enabled ?? false).toBe(false), {
      timeoutMs: 10_000,
    });

    await register('catalog', '10.4.1.1', 9090, { zone: 'b' });
    await eventually(async () => expect(await children('/team-a/services/catalog')).toEqual(['10.4.1.1:9090']), {
      timeoutMs: 10_000,
    });
    const written = JSON.parse((await app.getData('/team-a/services/catalog/10.4.1.1:9090')).data!.toString());
    expect(written).toMatchObject({
      name: 'catalog',
      address: '10.4.1.1',
      port: 9090,
      payload: {
        '@class': 'org.springframework.cloud.zookeeper.discovery.ZookeeperInstance',
        metadata: { zone: 'b', instance_status: 'UP', syncSource: 'region-b' },
      },
      uriSpec: { parts: expect.any(Array) },
    });
    await deregister('catalog', '10.4.1.1', 9090);
    await eventually(async () => expect(await children('/team-a/services/catalog')).toEqual([]), {
      timeoutMs: 10_000,
    });
  });
});
