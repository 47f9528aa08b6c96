import type { ServiceKey } from './model';
import { Registry } from './registry';

const key = (name: string, group = 'DEFAULT_GROUP', namespace = 'public'): ServiceKey => ({ namespace, group, name });
const orders = key('orders');

describe(Registry.name, () => {
  let sut: Registry;

  beforeEach(() => {
    sut = new Registry({ clock: () => 0 });
  });

  describe('listInstances', () => {
    beforeEach(() => {
      sut.registerInstance('c', 'connection', orders, { ip: '10.0.0.1', port: 1, clusterName: 'a' });
      sut.registerInstance('c', 'connection', orders, { ip: '10.0.0.2', port: 1, clusterName: 'a', healthy: false });
      sut.registerInstance('c', 'connection', orders, { ip: '10.0.0.3', port: 1, clusterName: 'b', enabled: false });
      sut.registerInstance('c', 'connection', orders, { ip: '10.0.0.4', port: 1 });
    });

    const ips = (options: Parameters<Registry['listInstances']>[1]) =>
      sut.listInstances(orders, options).map((instance) => instance.ip);

    it('should list every instance of every cluster by default', () => {
      expect(ips({})).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']);
    });

    it('should keep only the requested clusters, ignoring unknown ones and repeats', () => {
      expect(ips({ clusters: ['a'] })).toEqual(['10.0.0.1', '10.0.0.2']);
      expect(ips({ clusters: ['b', 'DEFAULT', 'nope', 'b'] })).toEqual(['10.0.0.3', '10.0.0.4']);
      expect(ips({ clusters: [] })).toHaveLength(4);
    });

    it('should drop unhealthy instances with healthyOnly and disabled ones with enabledOnly', () => {
      expect(ips({ healthyOnly: true })).toEqual(['10.0.0.1', '10.0.0.3', '10.0.0.4']);
      expect(ips({ enabledOnly: true })).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.4']);
      expect(ips({ healthyOnly: true, enabledOnly: true, clusters: ['a'] })).toEqual(['10.0.0.1']);
    });

    it('should answer an empty list for an unknown service', () => {
      expect(sut.listInstances(key('nope'))).toEqual([]);
    });
  });

  describe('getPublication', () => {
    it("should give one client's own publication even when another client's is listed", () => {
      sut.registerInstance('a', 'connection', orders, { ip: '10.0.0.1', port: 1, weight: 1 });
      sut.registerInstance('b', 'connection', orders, { ip: '10.0.0.1', port: 1, weight: 2 });

      expect(sut.getPublication('a', orders, 'DEFAULT', '10.0.0.1', 1)?.weight).toBe(1);
      expect(sut.getInstance(orders, 'DEFAULT', '10.0.0.1', 1)?.weight).toBe(2);
      expect(sut.getPublication('c', orders, 'DEFAULT', '10.0.0.1', 1)).toBeUndefined();
      expect(sut.getPublication('a', orders, 'DEFAULT', '10.0.0.1', 2)).toBeUndefined();
    });
  });

  describe('getService', () => {
    it('should give clusters, merged instance count and revision', () => {
      sut.registerInstance('c', 'connection', orders, { ip: '10.0.0.1', port: 1, clusterName: 'a' });
      sut.registerInstance('d', 'connection', orders, { ip: '10.0.0.1', port: 1, clusterName: 'a' });
      sut.registerInstance('c', 'connection', orders, { ip: '10.0.0.2', port: 1, clusterName: 'b' });

      expect(sut.getService(orders)).toEqual({
        namespace: 'public',
        group: 'DEFAULT_GROUP',
        name: 'orders',
        groupedName: 'DEFAULT_GROUP@@orders',
        clusters: ['a', 'b'],
        instanceCount: 2,
        revision: 3,
      });
    });

    it('should forget a cluster once its last instance goes', () => {
      sut.registerInstance('c', 'connection', orders, { ip: '10.0.0.1', port: 1, clusterName: 'a' });
      sut.registerInstance('c', 'connection', orders, { ip: '10.0.0.2', port: 1, clusterName: 'b' });
      sut.deregisterInstance('c', orders, 'a', '10.0.0.1', 1);

      expect(sut.getService(orders)?.clusters).toEqual(['b']);
    });
  });

  describe('listServices', () => {
    beforeEach(() => {
      for (let n = 1; n <= 5; n++) sut.registerInstance('c', 'connection', key(`s${n}`), { ip: '10.0.0.1', port: 1 });
      for (let n = 1; n <= 3; n++)
        sut.registerInstance('c', 'connection', key(`t${n}`, 'g2'), { ip: '10.0.0.1', port: 1 });
      sut.registerInstance('c', 'connection', key('x', 'DEFAULT_GROUP', 'other'), { ip: '10.0.0.1', port: 1 });
    });

    it('should page ungrouped names within a group', () => {
      expect(sut.listServices('public', { group: 'DEFAULT_GROUP', pageNo: 1, pageSize: 2 })).toEqual({
        count: 5,
        names: ['s1', 's2'],
      });
      expect(sut.listServices('public', { group: 'DEFAULT_GROUP', pageNo: 3, pageSize: 2 })).toEqual({
        count: 5,
        names: ['s5'],
      });
      expect(sut.listServices('public', { group: 'DEFAULT_GROUP', pageNo: 4, pageSize: 2 }).names).toEqual([]);
      expect(sut.listServices('public', { group: 'nope', pageNo: 1, pageSize: 10 })).toEqual({ count: 0, names: [] });
    });

    it('should page grouped names across groups when no group is given', () => {
      expect(sut.listServices('public', { pageNo: 1, pageSize: 100 })).toEqual({
        count: 8,
        names: [
          'DEFAULT_GROUP@@s1',
          'DEFAULT_GROUP@@s2',
          'DEFAULT_GROUP@@s3',
          'DEFAULT_GROUP@@s4',
          'DEFAULT_GROUP@@s5',
          'g2@@t1',
          'g2@@t2',
          'g2@@t3',
        ],
      });
      expect(sut.listServices('public', { pageNo: 2, pageSize: 3 }).names).toEqual([
        'DEFAULT_GROUP@@s4',
        'DEFAULT_GROUP@@s5',
        'g2@@t1',
      ]);
      expect(sut.listServices('public', { pageNo: 3, pageSize: 3 }).names).toEqual(['g2@@t2', 'g2@@t3']);
    });

    it('should keep every remaining service reachable after removals', () => {
      sut.deregisterInstance('c', key('s2'), 'DEFAULT', '10.0.0.1', 1);
      sut.deregisterInstance('c', key('s4'), 'DEFAULT', '10.0.0.1', 1);

      const page = sut.listServices('public', { group: 'DEFAULT_GROUP', pageNo: 1, pageSize: 10 });
      expect(page.count).toBe(3);
      expect([...page.names].sort()).toEqual(['s1', 's3', 's5']);
    });

    it('should treat odd paging values without throwing', () => {
      expect(sut.listServices('public', { pageNo: 0, pageSize: 2 }).names).toHaveLength(2);
      expect(sut.listServices('public', { pageNo: -3, pageSize: -1 })).toEqual({ count: 8, names: [] });
      expect(sut.listServices('public', { pageNo: Number.NaN, pageSize: 1 }).names).toEqual(['DEFAULT_GROUP@@s1']);
    });
  });

  describe('listServicesMatching', () => {
    beforeEach(() => {
      const names = [key('order-api'), key('order-db'), key('pay', 'g2'), key('order-api', 'DEFAULT_GROUP', 'dev')];
      for (const each of names) sut.registerInstance('c', 'connection', each, { ip: '10.0.0.1', port: 1 });
    });

    const match = (namespace: string, group: string, service: string) =>
      sut.listServicesMatching(namespace, group, service).map((each) => `${each.namespace}/${each.group}/${each.name}`);

    it('should match everything with stars', () => {
      expect(match('*', '*', '*').sort()).toEqual([
        'dev/DEFAULT_GROUP/order-api',
        'public/DEFAULT_GROUP/order-api',
        'public/DEFAULT_GROUP/order-db',
        'public/g2/pay',
      ]);
    });

    it('should match exact names and partial wildcards', () => {
      expect(match('public', 'DEFAULT_GROUP', 'order-*')).toEqual([
        'public/DEFAULT_GROUP/order-api',
        'public/DEFAULT_GROUP/order-db',
      ]);
      expect(match('*', '*', '*-api').sort()).toEqual([
        'dev/DEFAULT_GROUP/order-api',
        'public/DEFAULT_GROUP/order-api',
      ]);
      expect(match('public', 'g*', 'pay')).toEqual(['public/g2/pay']);
      expect(match('public', 'DEFAULT_GROUP', 'order')).toEqual([]);
    });

    it('should take regex characters in patterns literally', () => {
      sut.registerInstance('c', 'connection', key('a.b(c)'), { ip: '10.0.0.1', port: 1 });

      expect(match('public', '*', 'a.b(*')).toEqual(['public/DEFAULT_GROUP/a.b(c)']);
      expect(match('public', '*', 'a?b*')).toEqual([]);
    });
  });

  describe('namespaces', () => {
    it('should always include public and add namespaces named by writes and reads', () => {
      expect(sut.namespaces()).toEqual(['public']);

      sut.registerInstance('c', 'connection', key('s', 'g', 'prod'), { ip: '10.0.0.1', port: 1 });
      sut.listInstances(key('s', 'g', 'dev'));
      sut.listServices('staging', { pageNo: 1, pageSize: 10 });

      expect(sut.namespaces()).toEqual(['public', 'prod', 'dev', 'staging']);
    });

    it('should keep a namespace after its last service is gone', () => {
      sut.registerInstance('c', 'connection', key('s', 'g', 'prod'), { ip: '10.0.0.1', port: 1 });
      sut.removeClient('c');

      expect(sut.namespaces()).toContain('prod');
    });
  });

  describe('clients / getClient / counts', () => {
    it('should describe every client and count services, instances and clients', () => {
      sut.registerInstance('10.0.0.1:1#true', 'ipport', orders, { ip: '10.0.0.1', port: 1 });
      sut.registerInstance('conn', 'connection', key('pay'), { ip: '10.0.0.2', port: 1 }, { owner: 'node-a' });
      sut.registerInstance('conn', 'connection', orders, { ip: '10.0.0.2', port: 1 });

      // A revision is the version of the client's last write, from one clock for the whole node: with the
      // clock at 0 only its counter moves, so the three writes are 1, 2 and 3.
      expect([...sut.clients()].map((client) => [client.id, client.kind, client.revision, client.owner])).toEqual([
        ['10.0.0.1:1#true', 'ipport', 1, undefined],
        ['conn', 'connection', 3, 'node-a'],
      ]);
      expect(sut.getClient('nope')).toBeUndefined();
      expect(sut.counts()).toEqual({ namespaces: 1, services: 2, instances: 3, clients: 2 });
    });

    it('should move a client to its new kind when a write names another kind', () => {
      sut.registerInstance('x', 'connection', orders, { ip: '10.0.0.1', port: 1 });
      sut.registerInstance('x', 'ipport', orders, { ip: '10.0.0.2', port: 1 });

      expect(sut.getClient('x')?.kind).toBe('ipport');
      expect(sut.checkExpiry(60_000, () => true).removed).toBe(2);
    });
  });

  describe('subscribe', () => {
    const subscriberIds = (service: ServiceKey) => [...sut.subscribers(service).keys()];

    it('should record subscribers per service with their info', () => {
      expect(sut.subscribe(orders, 'conn-1', { push: 'grpc' })).toBe(true);
      expect(sut.subscribe(orders, 'conn-1', { push: 'grpc2' })).toBe(false);
      sut.subscribe(orders, '10.0.0.9:5353', { udp: true });

      expect([...sut.subscribers(orders)]).toEqual([
        ['conn-1', { push: 'grpc2' }],
        ['10.0.0.9:5353', { udp: true }],
      ]);
      expect(subscriberIds(key('pay'))).toEqual([]);
    });

    it('should unsubscribe one service and forget a subscriber everywhere', () => {
      sut.subscribe(orders, 'conn-1', null);
      sut.subscribe(key('pay'), 'conn-1', null);
      sut.subscribe(key('stock', 'g', 'prod'), 'conn-1', null);
      sut.subscribe(orders, 'conn-2', null);

      expect(sut.unsubscribe(key('pay'), 'conn-1')).toBe(true);
      expect(sut.unsubscribe(key('pay'), 'conn-1')).toBe(false);
      expect(sut.removeSubscriberEverywhere('conn-1')).toEqual([orders, key('stock', 'g', 'prod')]);

      expect(subscriberIds(orders)).toEqual(['conn-2']);
      expect(subscriberIds(key('stock', 'g', 'prod'))).toEqual([]);
      expect(sut.removeSubscriberEverywhere('conn-1')).toEqual([]);
    });

    it('should keep subscriptions while the service comes and goes', () => {
      sut.subscribe(orders, 'conn-1', null);
      sut.registerInstance('c', 'connection', orders, { ip: '10.0.0.1', port: 1 });
      sut.removeClient('c');

      expect(subscriberIds(orders)).toEqual(['conn-1']);
    });
  });

  describe('serviceEphemeral', () => {
    it('should tell the kind of a service from its instances, undefined when it holds none', () => {
      expect(sut.serviceEphemeral(orders)).toBeUndefined();
      sut.registerInstance('10.0.0.1:80#false', 'ipport', orders, { ip: '10.0.0.1', port: 80, ephemeral: false });
      expect(sut.serviceEphemeral(orders)).toBe(false);
      sut.registerInstance('c', 'connection', key('stock'), { ip: '10.0.0.2', port: 1, clusterName: 'b' });
      expect(sut.serviceEphemeral(key('stock'))).toBe(true);
      sut.removeClient('10.0.0.1:80#false');
      expect(sut.serviceEphemeral(orders)).toBeUndefined();
    });
  });

  describe('publishers', () => {
    it('should list every publication of a service with its client, shadowed ones included', () => {
      sut.registerInstance('a', 'connection', orders, { ip: '10.0.0.1', port: 1 });
      sut.registerInstance('b', 'connection', orders, { ip: '10.0.0.1', port: 1, weight: 2 });
      sut.registerInstance('b', 'connection', orders, { ip: '10.0.0.2', port: 1, clusterName: 'x' });
      const seen = sut
        .publishers(orders)
        .map(({ clientId, instance }) => `${clientId} ${instance.ip} ${instance.clusterName} ${instance.weight}`)
        .sort();
      expect(seen).toEqual(['a 10.0.0.1 DEFAULT 1', 'b 10.0.0.1 DEFAULT 2', 'b 10.0.0.2 x 1']);
      expect(sut.publishers(key('none'))).toEqual([]);
    });
  });

  describe('subscriptionsOf and subscriptionCount', () => {
    it('should list the services one subscriber watches and count every subscription', () => {
      sut.subscribe(orders, 's1', {});
      sut.subscribe(key('stock', 'G', 'ns'), 's1', {});
      sut.subscribe(orders, 's2', {});
      expect(sut.subscriptionsOf('s1')).toEqual([orders, key('stock', 'G', 'ns')]);
      expect(sut.subscriptionsOf('nobody')).toEqual([]);
      expect(sut.subscriptionCount()).toBe(3);
      sut.unsubscribe(orders, 's1');
      expect(sut.subscriptionsOf('s1')).toEqual([key('stock', 'G', 'ns')]);
      expect(sut.subscriptionCount()).toBe(2);
    });
  });
});
