import type { ServiceKey } from '../../src/registry';
import type { CopyRecord } from '../../src/sync/reconcile/copy-plan';
import type { ServiceSnapshot } from '../../src/sync/adapters/source-registry';
import { CopyFencedError, CopyRefusedError } from '../../src/sync/adapters/target-registry';
import type { CopyOwner } from '../../src/sync/adapters/target-registry';
import { ZooKeeperAdapter } from '../../src/sync/adapters/zookeeper-adapter';
import type { ZooKeeperAdapterSettings } from '../../src/sync/adapters/zookeeper-adapter';
import { CreateMode, ZooKeeperConnection } from '../../src/sync/adapters/zookeeper-client';
import { javaUrlEncode } from '../../src/sync/adapters/zookeeper-layouts';
import { eventually } from '../../tools/support/eventually';
import { startZooKeeper } from '../../tools/support/zookeeper-server';
import type { ZooKeeperServer } from '../../tools/support/zookeeper-server';
import { TcpProxy } from '../support/tcp-proxy';
import { copyRecord } from '../support/copy-record';

/** Sessions of 2 s (the test server grants 1 to 10 s), so expiry is seen in seconds. */
const SESSION_MS = 2000;
const SERVICE = 'providers:com.acme.Greeter:1.0.0:';
const KEY: ServiceKey = { namespace: 'public', group: 'DEFAULT_GROUP', name: SERVICE };
const DIR = '/dubbo/com.acme.Greeter/providers';
const SELECT_ALL = { namespace: 'public', groupName: '*', serviceName: '*', exclude: [] };

function copyAt(ip: string, metadata: Record<string, string> = {}): CopyRecord {
  return copyRecord(SERVICE, ip, 20880, {
    application: 'greeter',
    syncTaskId: 't1',
    sourceClusterId: 'src',
    syncSource: 'a',
    ...metadata,
  });
}

/** A provider URL as Dubbo 2.7 registers it (parameters sorted), for the znode name. */
function providerUrl(ip: string, extra = ''): string {
  return (
    `dubbo://${ip}:20880/com.acme.Greeter?anyhost=true&application=greeter&dubbo=2.0.2&dynamic=true` +
    `&interface=com.acme.Greeter&methods=sayHello&pid=4242&release=2.7.23&side=provider${extra}` +
    `&timestamp=1700000000000&version=1.0.0`
  );
}

describe('the zookeeper adapter against a real ZooKeeper', () => {
  let zk: ZooKeeperServer;
  /** The test's own session: what a Dubbo provider or a consumer does. */
  let app: ZooKeeperConnection;
  const open: ZooKeeperAdapter[] = [];
  const proxies: TcpProxy[] = [];

  const adapter = (over: Partial<ZooKeeperAdapterSettings> = {}): ZooKeeperAdapter => {
    const a = new ZooKeeperAdapter({
      addresses: [zk.address],
      layout: 'dubbo',
      namespace: 'public',
      sessionTimeoutMs: SESSION_MS,
      requestTimeoutMs: 2000,
      ...over,
    });
    open.push(a);
    return a;
  };
  // Every test's holdings come after the last test's: the task's fence only ever goes up.
  let generations = 0;
  beforeEach(() => (generations += 100));
  const owner = (generation: string): CopyOwner => ({
    taskId: 't1',
    generation: String(generations + Number(generation)),
    ttlMs: SESSION_MS,
  });
  const providers = async (): Promise<string[]> => (await app.getChildren(DIR).catch(() => [])).sort();
  const ownerOf = async (node: string): Promise<string> =>
    (await app.exists(`${DIR}/${node}`))!.ephemeralOwner.toString('hex');

  beforeAll(async () => {
    zk = await startZooKeeper();
    app = new ZooKeeperConnection({ addresses: [zk.address], sessionTimeoutMs: 10_000 });
    await app.ready();
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((a) => a.close()));
    for (const p of proxies.splice(0)) await p.stop();
  });

  afterAll(async () => {
    await app?.close();
    await zk?.stop();
  });

  it('should report the server version, the layout and its counts', async () => {
    await app.ensurePath('/dubbo/com.acme.Check/providers');
    const node = javaUrlEncode(providerUrl('10.1.0.1').replace(/com\.acme\.Greeter/g, 'com.acme.Check'));
    await app.create(`/dubbo/com.acme.Check/providers/${node}`, Buffer.from('10.1.0.1'), CreateMode.EPHEMERAL);
    const report = await adapter().check();
    expect(report).toMatchObject({
      reachable: true,
      version: expect.stringMatching(/^zookeeper 3\.\d+\.\d+.* via 127\.0\.0\.1:\d+$/),
      protocol: 'zookeeper',
      layout: 'dubbo',
      root: '/dubbo',
      layoutFound: true,
      services: 1,
      instances: 1,
      sessionTimeoutMs: SESSION_MS,
    });
    const empty = await adapter({ layout: 'spring-cloud', addresses: [`${zk.address}/nowhere`] }).check();
    expect(empty).toMatchObject({ reachable: true, root: '/nowhere/services', layoutFound: false, services: 0 });
    await app.remove(`/dubbo/com.acme.Check/providers/${node}`);
  });

  it('should say why a ZooKeeper that does not answer is unreachable', async () => {
    const proxy = await TcpProxy.start('127.0.0.1', zk.port);
    proxies.push(proxy);
    proxy.cut();
    const report = await adapter({ addresses: [`127.0.0.1:${proxy.port}`], requestTimeoutMs: 500 }).check();
    expect(report).toMatchObject({ reachable: false, error: expect.stringMatching(/connect: no answer in 500 ms/) });
  });

  it("should hand the copies to a new holder's session with no gap, and let a dead holder's copies go", async () => {
    const first = adapter();
    expect(await first.renewCopies(owner('1'))).toEqual({ present: false });
    await first.applyCopies(owner('1'), [{ key: KEY, copies: [copyAt('10.2.0.1'), copyAt('10.2.0.2')], removed: [] }]);
    const nodes = await providers();
    expect(nodes).toHaveLength(2);
    const firstSession = await ownerOf(nodes[0]);
    expect((await zk.ephemerals()).get(firstSession)).toHaveLength(2);

    // A reader polling as fast as it can must never see fewer than the two copies.
    let fewest = Infinity;
    let reading = true;
    const reader = (async () => {
      while (reading) fewest = Math.min(fewest, (await providers()).length);
    })();

    // The first holder dies: its session is left to time out, as when its process is killed.
    await first.close();
    const next = adapter();
    expect(await next.renewCopies(owner('2'))).toEqual({ present: true });
    const nextSession = await ownerOf(nodes[0]);
    expect(nextSession).not.toBe(firstSession);
    expect(await ownerOf(nodes[1])).toBe(nextSession);
    // The server expires the dead session; the copies are the next holder's and stay.
    await eventually(async () => !(await zk.ephemerals()).has(firstSession), {
      timeoutMs: 10_000,
      what: 'the server to expire the first holder',
    });
    expect(await providers()).toEqual(nodes);
    expect(await next.listCopies(owner('2'))).toEqual(expect.arrayContaining([copyAt('10.2.0.1'), copyAt('10.2.0.2')]));
    reading = false;
    await reader;
    expect(fewest).toBe(2);

    // No successor: the copies go when the server times the session out.
    await next.close();
    await eventually(async () => expect(await providers()).toEqual([]), { timeoutMs: 10_000 });
  });

  it('should refuse every write of a holding that a newer one fenced out, and leave the copies to the newer', async () => {
    const old = adapter();
    await old.renewCopies(owner('1'));
    await old.applyCopies(owner('1'), [{ key: KEY, copies: [copyAt('10.8.0.1')], removed: [] }]);
    const fence = `/distro-sync/fence/t1`;
    expect((await app.getData(fence)).data?.toString()).toBe(owner('1').generation);

    // A newer holding (its replica took the lease) raises the fence and takes the copy over.
    const next = adapter();
    expect(await next.renewCopies(owner('2'))).toEqual({ present: true });
    const fenceNow = await app.getData(fence);
    expect(fenceNow.data?.toString()).toBe(owner('2').generation);
    const [node] = await providers();
    const nextSession = await ownerOf(node);

    // The old holding has not seen its lease go: none of its writes lands.
    const change = [{ key: KEY, copies: [copyAt('10.8.0.1', { zone: 'old' }), copyAt('10.8.0.2')], removed: [] }];
    await expect(old.applyCopies(owner('1'), change)).rejects.toBeInstanceOf(CopyFencedError);
    await expect(
      old.applyCopies(owner('1'), [{ key: KEY, copies: [], removed: [copyAt('10.8.0.1')] }]),
    ).rejects.toThrow(/fenced out of the target: its fence \/distro-sync\/fence\/t1 moved past version \d+/);
    await expect(old.withdrawCopies(owner('1'))).rejects.toBeInstanceOf(CopyFencedError);
    // A holding that never wrote is refused when it raises: the fence holds a newer generation.
    await expect(adapter().applyCopies(owner('1'), change)).rejects.toThrow(
      new RegExp(`its fence /distro-sync/fence/t1 holds generation ${owner('2').generation}`),
    );
    expect(await providers()).toEqual([node]);
    expect(await ownerOf(node)).toBe(nextSession);
    expect(await next.listCopies(owner('2'))).toEqual([copyAt('10.8.0.1')]);
    expect((await app.getData(fence)).stat.version).toBe(fenceNow.stat.version);

    // The newer holding writes on; its withdrawal (the task deleted) removes the fence last.
    await next.applyCopies(owner('2'), change);
    expect(await providers()).toHaveLength(2);
    await next.withdrawCopies(owner('2'));
    expect(await providers()).toEqual([]);
    expect(await app.exists(fence)).toBeUndefined();
    // The source side and the check never see the fences (a layout rooted at `/` lists them beside its services).
    await next.renewCopies(owner('3'));
    const rooted = adapter({ layout: 'spring-cloud', prefix: '/' });
    expect(await rooted.snapshot(SELECT_ALL)).toEqual([]);
    expect(await rooted.check()).toMatchObject({ reachable: true, services: 0, instances: 0 });
    await next.withdrawCopies(owner('3'));
  });

  it('should refuse a copy of another group that would share a znode with a copy already written', async () => {
    const sut = adapter({ layout: 'spring-cloud' });
    await sut.renewCopies(owner('1'));
    const orders = { ...KEY, name: 'orders' };
    const first = { ...copyAt('10.9.0.1'), serviceName: 'orders' };
    const twin = { ...first, groupName: 'g2', metadata: { ...first.metadata, zone: 'b' } };
    await sut.applyCopies(owner('1'), [{ key: orders, copies: [first], removed: [] }]);
    const written = (await app.getData('/services/orders/10.9.0.1:20880')).data?.toString();
    // Another group's service of the same name: ZooKeeper has no groups, so it would land on the same znode.
    const refusal = sut.applyCopies(owner('1'), [{ key: { ...orders, group: 'g2' }, copies: [twin], removed: [] }]);
    await expect(refusal).rejects.toBeInstanceOf(CopyRefusedError);
    await expect(refusal).rejects.toThrow(
      /\/services\/orders\/10\.9\.0\.1:20880 holds the copy of DEFAULT\|10\.9\.0\.1:20880 in public\/DEFAULT_GROUP@@orders; .* of public\/g2@@orders would share it/,
    );
    // Both in one write: refused whole, nothing changed.
    await expect(
      sut.applyCopies(owner('1'), [
        { key: orders, copies: [first], removed: [] },
        { key: { ...orders, group: 'g2' }, copies: [twin], removed: [] },
      ]),
    ).rejects.toBeInstanceOf(CopyRefusedError);
    expect((await app.getData('/services/orders/10.9.0.1:20880')).data?.toString()).toBe(written);
    expect(await sut.listCopies(owner('1'))).toEqual([first]);
    await sut.withdrawCopies(owner('1'));
  });

  it('should update a copy in place (one atomic swap of its znode) and remove unwanted ones', async () => {
    const sut = adapter();
    await sut.renewCopies(owner('1'));
    await sut.applyCopies(owner('1'), [{ key: KEY, copies: [copyAt('10.3.0.1'), copyAt('10.3.0.2')], removed: [] }]);
    let fewest = Infinity;
    let reading = true;
    const reader = (async () => {
      while (reading) fewest = Math.min(fewest, (await providers()).filter((n) => n.includes('10.3.0.1')).length);
    })();
    await sut.applyCopies(owner('1'), [
      { key: KEY, copies: [copyAt('10.3.0.1', { zone: 'b' })], removed: [copyAt('10.3.0.2')] },
    ]);
    reading = false;
    await reader;
    expect(fewest).toBe(1);
    const nodes = await providers();
    expect(nodes).toHaveLength(1);
    expect(decodeURIComponent(nodes[0])).toContain('zone=b');
    expect(await sut.listCopies(owner('1'))).toEqual([copyAt('10.3.0.1', { zone: 'b' })]);
    await sut.withdrawCopies(owner('1'));
    expect(await providers()).toEqual([]);
  });

  it('should lose its copies with an expired session, say so at renewal, and write them again', async () => {
    const proxy = await TcpProxy.start('127.0.0.1', zk.port);
    proxies.push(proxy);
    const sut = adapter({ addresses: [`127.0.0.1:${proxy.port}`] });
    await sut.renewCopies(owner('1'));
    await sut.applyCopies(owner('1'), [{ key: KEY, copies: [copyAt('10.4.0.1')], removed: [] }]);
    const [node] = await providers();
    const session = await ownerOf(node);
    proxy.cut();
    await eventually(async () => !(await zk.ephemerals()).has(session), {
      timeoutMs: 10_000,
      what: 'the server to expire the cut-off session',
    });
    expect(await providers()).toEqual([]);
    proxy.restore();
    await eventually(async () => expect(await sut.renewCopies(owner('1'))).toEqual({ present: false }), {
      timeoutMs: 10_000,
    });
    await sut.applyCopies(owner('1'), [{ key: KEY, copies: [copyAt('10.4.0.1')], removed: [] }]);
    expect(await providers()).toEqual([node]);
    expect(await ownerOf(node)).not.toBe(session);
    await sut.withdrawCopies(owner('1'));
  });

  it('should write copies with its digest identity: readable by all, their content changed by it only', async () => {
    const sut = adapter({ username: 'sync', password: 'zk-digest-password-0123' });
    await sut.renewCopies(owner('1'));
    await sut.applyCopies(owner('1'), [{ key: KEY, copies: [copyAt('10.7.0.1')], removed: [] }]);
    const [node] = await providers();
    // Anyone reads it (Dubbo consumers need no credentials); no other identity may write it.
    expect((await app.getData(`${DIR}/${node}`)).data).toBeDefined();
    await expect(app.setData(`${DIR}/${node}`, Buffer.from('x'))).rejects.toThrow(/NO_AUTH/);
    // A next holder with the identity takes it over (removal and creation are the parent's to allow).
    const next = adapter({ username: 'sync', password: 'zk-digest-password-0123' });
    expect(await next.renewCopies(owner('2'))).toEqual({ present: true });
    await next.withdrawCopies(owner('2'));
    expect(await providers()).toEqual([]);
  });

  it('should not take over a native provider that has the name a copy would have', async () => {
    const sut = adapter({ layout: 'dubbo-app' });
    await app.ensurePath('/services/greeter');
    const native = JSON.stringify({ name: 'greeter', id: '10.5.0.1:20880', address: '10.5.0.1', port: 20880 });
    await app.create('/services/greeter/10.5.0.1:20880', Buffer.from(native), CreateMode.EPHEMERAL);
    await sut.renewCopies(owner('1'));
    const c = { ...copyAt('10.5.0.1'), serviceName: 'greeter' };
    await expect(
      sut.applyCopies(owner('1'), [{ key: { ...KEY, name: 'greeter' }, copies: [c], removed: [] }]),
    ).rejects.toThrow(/registered natively/);
    expect((await app.getData('/services/greeter/10.5.0.1:20880')).data?.toString()).toBe(native);
    await app.remove('/services/greeter/10.5.0.1:20880');
  });

  it('should miss no change through rapid churn, a cut connection and a server restart', async () => {
    const proxy = await TcpProxy.start('127.0.0.1', zk.port);
    proxies.push(proxy);
    const sut = adapter({ addresses: [`127.0.0.1:${proxy.port}`], sessionTimeoutMs: 10_000 });
    const latest = new Map<string, string[]>();
    const errors: Error[] = [];
    const feed = sut.watch(
      SELECT_ALL,
      (s: ServiceSnapshot) => latest.set(s.key.name, s.instances.map((i) => i.ip).sort()),
      (err) => errors.push(err),
    );
    await app.ensurePath(DIR);
    const ips = Array.from({ length: 30 }, (_, i) => `10.6.0.${i + 1}`);
    // Churn: every create and every second delete back to back, faster than watches re-arm.
    for (const ip of ips) {
      await app.create(`${DIR}/${javaUrlEncode(providerUrl(ip))}`, Buffer.from(ip), CreateMode.EPHEMERAL);
    }
    for (const ip of ips.filter((_, i) => i % 2 === 0)) await app.remove(`${DIR}/${javaUrlEncode(providerUrl(ip))}`);
    const expected = ips.filter((_, i) => i % 2 === 1).sort();
    await eventually(() => expect(latest.get(SERVICE)).toEqual(expected), { timeoutMs: 10_000 });

    // A change while the watch's connection is cut is read at the reconnect (same session).
    proxy.cut();
    await app.create(`${DIR}/${javaUrlEncode(providerUrl('10.6.1.1'))}`, Buffer.from('x'), CreateMode.EPHEMERAL);
    await app.remove(`${DIR}/${javaUrlEncode(providerUrl('10.6.0.2'))}`);
    proxy.restore();
    const afterCut = [...expected.filter((ip) => ip !== '10.6.0.2'), '10.6.1.1'].sort();
    await eventually(() => expect(latest.get(SERVICE)).toEqual(afterCut), { timeoutMs: 10_000 });

    // The server restarts (SIGKILL): the sessions come back from its log, and the watch goes on.
    await zk.kill();
    await zk.start();
    await app.create(`${DIR}/${javaUrlEncode(providerUrl('10.6.2.1'))}`, Buffer.from('x'), CreateMode.EPHEMERAL);
    await eventually(() => expect(latest.get(SERVICE)).toEqual([...afterCut, '10.6.2.1'].sort()), {
      timeoutMs: 15_000,
    });
    feed.close();
    for (const ip of [...afterCut, '10.6.2.1']) {
      await app.remove(`${DIR}/${javaUrlEncode(providerUrl(ip))}`).catch(() => undefined);
    }
  });
});
