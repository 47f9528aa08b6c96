import { Registry, serviceKey } from '@/registry';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { eventually } from '../../tools/support/eventually';
import { NacosClients, call, listHosts } from './support';

/** The real `nacos` npm client (v1 HTTP + UDP push), unchanged, against one standalone node. */
describe('the nacos npm client against a standalone node', () => {
  let node: TestNode;
  let sut: NacosClients;

  beforeAll(async () => {
    [node, sut] = await Promise.all([
      startTestNode({ DATA_DIR: 'memory', NACOS_UDP_PUSH_DELAY_MS: '20' }),
      Promise.resolve(NacosClients.start()),
    ]);
    await sut.create('app', node.base);
    await sut.create('dev', node.base, { namespace: 'dev' });
    await sut.create('prod', node.base, { namespace: 'prod' });
  });

  afterAll(async () => {
    sut?.stop();
    await node?.close();
  });

  it('should pass the server status check', async () => {
    expect(await sut.getServerStatus('app')).toBe('UP');
  });

  it('should register and deregister instances in several services and groups', async () => {
    await sut.registerInstance('app', 'orders', { ip: '10.0.0.1', port: 8080, metadata: { zone: 'a' } });
    await sut.registerInstance('app', 'orders', { ip: '10.0.0.2', port: 8080, weight: 3 });
    await sut.registerInstance('app', 'orders', { ip: '10.0.0.3', port: 8080 }, 'BILLING');
    await sut.registerInstance('app', 'payments', { ip: '10.0.1.1', port: 9090, clusterName: 'EAST' });

    const orders = await sut.getAllInstances('app', 'orders');
    expect(orders.map((host) => `${host.ip}:${host.port}`).sort()).toEqual(['10.0.0.1:8080', '10.0.0.2:8080']);
    expect(orders.find((host) => host.ip === '10.0.0.1')).toMatchObject({
      healthy: true,
      enabled: true,
      ephemeral: true,
      weight: 1,
      clusterName: 'DEFAULT',
      serviceName: 'DEFAULT_GROUP@@orders',
      instanceId: '10.0.0.1#8080#DEFAULT#DEFAULT_GROUP@@orders',
      metadata: { zone: 'a' },
    });
    expect(orders.find((host) => host.ip === '10.0.0.2')?.weight).toBe(3);
    expect((await sut.getAllInstances('app', 'orders', 'BILLING')).map((host) => host.ip)).toEqual(['10.0.0.3']);
    const east = await sut.getAllInstances('app', 'payments', 'DEFAULT_GROUP', 'EAST');
    expect(east.map((host) => host.clusterName)).toEqual(['EAST']);

    await sut.deregisterInstance('app', 'orders', { ip: '10.0.0.1', port: 8080 });
    expect((await listHosts(node.base, 'DEFAULT_GROUP@@orders')).map((host) => host.ip)).toEqual(['10.0.0.2']);
    await sut.deregisterInstance('app', 'orders', { ip: '10.0.0.3', port: 8080 }, 'BILLING');
    expect(await listHosts(node.base, 'BILLING@@orders')).toEqual([]);
  });

  it('should keep namespaces apart', async () => {
    await sut.registerInstance('dev', 'catalog', { ip: '10.1.0.1', port: 80 });
    await sut.registerInstance('prod', 'catalog', { ip: '10.2.0.1', port: 80 });
    expect((await sut.getAllInstances('dev', 'catalog')).map((host) => host.ip)).toEqual(['10.1.0.1']);
    expect((await sut.getAllInstances('prod', 'catalog')).map((host) => host.ip)).toEqual(['10.2.0.1']);
    expect(await sut.getAllInstances('app', 'catalog')).toEqual([]);
    const namespaces = (await call(node.base, 'GET', '/nacos/v1/console/namespaces')).json() as {
      data: Array<{ namespace: string }>;
    };
    expect(namespaces.data.map((each) => each.namespace)).toEqual(expect.arrayContaining(['', 'dev', 'prod']));
  });

  it('should select only healthy instances when asked', async () => {
    await sut.registerInstance('app', 'inventory', { ip: '10.3.0.1', port: 80 });
    await sut.registerInstance('app', 'inventory', { ip: '10.3.0.2', port: 80, healthy: false });
    const healthy = await sut.selectInstances('app', 'inventory', 'DEFAULT_GROUP', '', true);
    expect(healthy.map((host) => host.ip)).toEqual(['10.3.0.1']);
    const unhealthy = await sut.selectInstances('app', 'inventory', 'DEFAULT_GROUP', '', false);
    expect(unhealthy.map((host) => host.ip)).toEqual(['10.3.0.2']);
  });

  it('should list services by group and page', async () => {
    await sut.create('listing', node.base, { namespace: 'listing' });
    for (const name of ['a', 'b', 'c']) await sut.registerInstance('listing', name, { ip: '10.4.0.1', port: 80 });
    await sut.registerInstance('listing', 'd', { ip: '10.4.0.1', port: 80 }, 'OTHER');
    const all = await sut.serviceList('listing', 1, 10, 'DEFAULT_GROUP');
    expect(all.count).toBe(3);
    expect([...all.data].sort()).toEqual(['a', 'b', 'c']);
    const page = await sut.serviceList('listing', 2, 2, 'DEFAULT_GROUP');
    expect(page.count).toBe(3);
    expect(page.data).toHaveLength(1);
    expect(await sut.serviceList('listing', 1, 10, 'OTHER')).toEqual({ count: 1, data: ['d'] });
  });

  it('should push a change to a subscriber over UDP within a second', async () => {
    await sut.registerInstance('app', 'pushed', { ip: '10.5.0.1', port: 80 });
    await sut.create('watcher', node.base);
    await sut.subscribe('watcher', { serviceName: 'pushed' }, 'pushed');
    await eventually(() => sut.notifications.find((each) => each.tag === 'pushed') ?? false, {
      timeoutMs: 5000,
      what: 'the first listing',
    });
    // The client polls once 1 s after subscribing, then every cacheMillis (10 s): once the node has
    // seen that second poll (it refreshes the UDP subscription), only a push can deliver the change in time.
    const lastPoll = () =>
      Math.max(
        0,
        ...[
          ...node.app
            .get(Registry)
            .subscribers(serviceKey('public', 'DEFAULT_GROUP', 'pushed'))
            .values(),
        ].map((info) => (info as { lastSeen?: number }).lastSeen ?? 0),
      );
    const firstPoll = await eventually(() => lastPoll() > 0 && lastPoll(), { what: 'the UDP subscription' });
    await eventually(() => lastPoll() > firstPoll, { what: "the client's poll 1 s after subscribing" });
    const registeredAt = Date.now();
    await sut.registerInstance('app', 'pushed', { ip: '10.5.0.2', port: 80 });
    const update = await eventually(
      () =>
        sut.notifications.find((each) => each.tag === 'pushed' && each.hosts.some((host) => host.ip === '10.5.0.2')) ??
        false,
      { timeoutMs: 3000, what: 'the pushed change' },
    );
    expect(update.hosts.map((host) => host.ip).sort()).toEqual(['10.5.0.1', '10.5.0.2']);
    expect(update.at - registeredAt).toBeLessThan(1000);
  });
});
