import type { ClientChangedEvent, ServiceChangedEvent } from './events';
import { EMPTY_METADATA } from './instance';
import type { ServiceKey } from './model';
import { Registry } from './registry';
import { LateWriteError, versionAt } from './version';

const orders: ServiceKey = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'orders' };
const payments: ServiceKey = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'payments' };
const stock: ServiceKey = { namespace: 'prod', group: 'shop', name: 'stock' };
/** With the clock fixed at 1000 ms, the writes of a node are stamped V, V + 1, V + 2, ... */
const V = versionAt(1_000);

function recorder(sut: Registry) {
  const services: ServiceChangedEvent[] = [];
  const clients: ClientChangedEvent[] = [];
  sut.events.on('serviceChanged', (event) => services.push(event));
  sut.events.on('clientChanged', (event) => clients.push(event));
  return { services, clients };
}

describe(Registry.name, () => {
  let sut: Registry;

  beforeEach(() => {
    sut = new Registry({ clock: () => 1_000 });
  });

  describe('registerInstance', () => {
    it('should list a registered instance with Nacos defaults', () => {
      expect(sut.registerInstance('10.0.0.1:8080#true', 'ipport', orders, { ip: '10.0.0.1', port: 8080 })).toBe(true);

      const [instance] = sut.listInstances(orders);
      expect(instance.toJSON()).toEqual({
        ip: '10.0.0.1',
        port: 8080,
        weight: 1,
        healthy: true,
        enabled: true,
        ephemeral: true,
        clusterName: 'DEFAULT',
        metadata: {},
        instanceId: '10.0.0.1#8080#DEFAULT#DEFAULT_GROUP@@orders',
      });
      expect(instance.serviceName).toBe('DEFAULT_GROUP@@orders');
      expect(JSON.parse(JSON.stringify(instance))).toEqual(instance.toJSON());
    });

    it('should update a re-registered address in place instead of adding a second instance', () => {
      sut.registerInstance('c1', 'connection', orders, { ip: '10.0.0.1', port: 8080, weight: 1 });
      sut.registerInstance('c1', 'connection', orders, { ip: '10.0.0.1', port: 8080, weight: 5, metadata: { v: '2' } });

      const instances = sut.listInstances(orders);
      expect(instances).toHaveLength(1);
      expect(instances[0]).toMatchObject({ weight: 5, metadata: { v: '2' } });
      expect(sut.counts()).toMatchObject({ instances: 1, clients: 1, services: 1 });
    });

    it('should not move the revision nor emit anything when nothing changes', () => {
      sut.registerInstance('c1', 'connection', orders, { ip: '10.0.0.1', port: 8080, metadata: { v: '1' } });
      const revision = sut.getClient('c1')?.revision;
      const serviceRevision = sut.getService(orders)?.revision;
      const events = recorder(sut);

      const changed = sut.registerInstance('c1', 'connection', orders, {
        ip: '10.0.0.1',
        port: 8080,
        metadata: { v: '1' },
      });

      expect(changed).toBe(false);
      expect(sut.getClient('c1')?.revision).toBe(revision);
      expect(sut.getService(orders)?.revision).toBe(serviceRevision);
      expect(events.services).toEqual([]);
      expect(events.clients).toEqual([]);
    });

    it('should move the client revision to the version of each change and announce it as local', () => {
      const events = recorder(sut);

      sut.registerInstance('c1', 'connection', orders, { ip: '10.0.0.1', port: 8080 });
      sut.registerInstance('c1', 'connection', payments, { ip: '10.0.0.1', port: 8080 });

      expect(sut.getClient('c1')).toMatchObject({ revision: V + 1, local: true, publicationCount: 2 });
      expect(events.clients).toEqual([
        { clientId: 'c1', revision: V, removed: false, local: true },
        { clientId: 'c1', revision: V + 1, removed: false, local: true },
      ]);
      expect(events.services.map((event) => event.key.name)).toEqual(['orders', 'payments']);
      // Each publication carries the version of the write that made it.
      expect(sut.exportClient('c1')?.publications.map((p) => [p.service, p.version, p.writer])).toEqual([
        ['orders', V, 'local'],
        ['payments', V + 1, 'local'],
      ]);
    });

    it('should announce a write that changes only the owner, as the change it is', () => {
      // registerInstance / batchRegister / replacePublications with a new `owner` and the same
      // instances: the owner and its version change (and the revision moves), but the write answers
      // false and nothing is announced, so Distro does not send the new owner.
      sut.registerInstance('c1', 'connection', orders, { ip: '10.0.0.1', port: 1 }, { owner: 'node-a' });
      const events = recorder(sut);

      const changed = sut.registerInstance(
        'c1',
        'connection',
        orders,
        { ip: '10.0.0.1', port: 1 },
        { owner: 'node-b' },
      );

      expect(sut.getClient('c1')).toMatchObject({ owner: 'node-b', revision: V + 1 });
      expect(changed).toBe(true);
      expect(events.clients).toEqual([{ clientId: 'c1', revision: V + 1, removed: false, local: true }]);
    });

    it('should take versions from the physical clock, and count on within one millisecond', () => {
      let now = 5_000;
      sut = new Registry({ clock: () => now, nodeId: 'node-a' });

      sut.registerInstance('c1', 'connection', orders, { ip: '10.0.0.1', port: 1 });
      sut.registerInstance('c1', 'connection', orders, { ip: '10.0.0.2', port: 1 });
      now = 5_007;
      sut.registerInstance('c1', 'connection', orders, { ip: '10.0.0.3', port: 1 });
      // A clock stepping back does not take versions back.
      now = 4_000;
      sut.registerInstance('c1', 'connection', orders, { ip: '10.0.0.4', port: 1 });

      expect(sut.exportClient('c1')?.publications.map((p) => p.version)).toEqual([
        versionAt(5_000),
        versionAt(5_000) + 1,
        versionAt(5_007),
        versionAt(5_007) + 1,
      ]);
    });

    it('should give every service change a higher revision than any before', () => {
      sut.registerInstance('c1', 'connection', orders, { ip: '10.0.0.1', port: 1 });
      const first = sut.getService(orders)!.revision;
      sut.registerInstance('c1', 'connection', payments, { ip: '10.0.0.1', port: 1 });
      sut.registerInstance('c1', 'connection', orders, { ip: '10.0.0.2', port: 1 });

      expect(sut.getService(payments)!.revision).toBeGreaterThan(first);
      expect(sut.getService(orders)!.revision).toBeGreaterThan(sut.getService(payments)!.revision);
    });

    it('should keep a custom instance id and derive the default one', () => {
      sut.registerInstance('c1', 'connection', orders, { ip: '10.0.0.1', port: 1, instanceId: 'my-id' });
      sut.registerInstance('c1', 'connection', orders, {
        ip: '10.0.0.2',
        port: 1,
        instanceId: '10.0.0.2#1#DEFAULT#DEFAULT_GROUP@@orders',
      });

      expect(sut.listInstances(orders).map((instance) => instance.instanceId)).toEqual([
        'my-id',
        '10.0.0.2#1#DEFAULT#DEFAULT_GROUP@@orders',
      ]);
      expect(sut.exportClient('c1')?.publications.map((pub) => pub.instance.instanceId)).toEqual(['my-id', undefined]);
    });

    it('should share one empty metadata object and keep odd metadata keys as data', () => {
      sut.registerInstance('c1', 'connection', orders, { ip: '10.0.0.1', port: 1 });
      sut.registerInstance('c1', 'connection', orders, {
        ip: '10.0.0.2',
        port: 1,
        metadata: JSON.parse('{"__proto__":"x","n":1}') as Record<string, string>,
      });

      const [plain, odd] = sut.listInstances(orders);
      expect(plain.metadata).toBe(EMPTY_METADATA);
      expect(Object.keys(odd.metadata)).toEqual(['__proto__', 'n']);
      expect(odd.metadata.n).toBe('1');
      expect(Object.isFrozen(odd.metadata)).toBe(true);
    });

    it('should hand out snapshots that a later change does not alter', () => {
      sut.registerInstance('c1', 'connection', orders, { ip: '10.0.0.1', port: 1, weight: 1 });
      const before = sut.getInstance(orders, 'DEFAULT', '10.0.0.1', 1)!;

      sut.registerInstance('c1', 'connection', orders, { ip: '10.0.0.1', port: 1, weight: 3 });

      expect(before.weight).toBe(1);
      expect(sut.getInstance(orders, 'DEFAULT', '10.0.0.1', 1)!.weight).toBe(3);
    });
  });

  describe('writeBefore', () => {
    it('should stamp a forwarded write as of the moment it began, even when the process pauses inside it', () => {
      let now = 5_000;
      sut = new Registry({ clock: () => now, nodeId: 'node-r' });

      sut.writeBefore(5_400, () => {
        sut.registerInstance('10.0.0.1:1#true', 'ipport', orders, { ip: '10.0.0.1', port: 1 });
        now = 11_000; // SIGSTOP for 6 s between the two writes of one request
        sut.registerInstance('10.0.0.1:1#true', 'ipport', payments, { ip: '10.0.0.1', port: 1 });
      });

      // Both precede what the forwarding node stamps after giving up at 5,500 (at least versionAt(5_500)).
      expect(sut.exportClient('10.0.0.1:1#true')?.publications.map((p) => p.version)).toEqual([
        versionAt(5_000) + 1,
        versionAt(5_000) + 2,
      ]);
    });

    it('should change nothing and throw LateWriteError once the clock is past the deadline', () => {
      let now = 5_000;
      sut = new Registry({ clock: () => now });
      const events = recorder(sut);
      now = 5_401;

      expect(() =>
        sut.writeBefore(5_400, () => sut.registerInstance('c1', 'ipport', orders, { ip: '10.0.0.1', port: 1 })),
      ).toThrow(LateWriteError);
      expect(sut.listInstances(orders)).toEqual([]);
      expect(events.services).toEqual([]);
      // The node's own later writes are stamped from the wall clock again.
      sut.registerInstance('c1', 'ipport', orders, { ip: '10.0.0.1', port: 1 });
      expect(sut.exportClient('c1')?.publications[0].version).toBe(versionAt(5_401) + 1);
    });
  });

  describe('deregisterInstance', () => {
    it('should remove the instance, the empty service and the ip-port client left with nothing', () => {
      sut.registerInstance('10.0.0.1:1#true', 'ipport', orders, { ip: '10.0.0.1', port: 1 });
      const events = recorder(sut);

      expect(sut.deregisterInstance('10.0.0.1:1#true', orders, 'DEFAULT', '10.0.0.1', 1)).toBe(true);

      expect(sut.listInstances(orders)).toEqual([]);
      expect(sut.getService(orders)).toBeUndefined();
      expect(sut.getClient('10.0.0.1:1#true')).toBeUndefined();
      expect(events.services).toHaveLength(1);
      expect(events.clients).toEqual([{ clientId: '10.0.0.1:1#true', revision: V + 1, removed: true, local: true }]);
      // The withdrawal is kept as a tombstone with its version.
      expect(sut.exportClient('10.0.0.1:1#true')?.tombstones).toEqual([
        {
          namespace: 'public',
          group: 'DEFAULT_GROUP',
          service: 'orders',
          cluster: 'DEFAULT',
          ip: '10.0.0.1',
          port: 1,
          version: V + 1,
          writer: 'local',
        },
      ]);
    });

    it('should keep a connection client that has no instances left', () => {
      sut.registerInstance('conn-1', 'connection', orders, { ip: '10.0.0.1', port: 1 });
      sut.deregisterInstance('conn-1', orders, 'DEFAULT', '10.0.0.1', 1);

      expect(sut.getClient('conn-1')).toMatchObject({ revision: V + 1, publicationCount: 0 });
      expect(sut.exportClient('conn-1')?.tombstones).toHaveLength(1);
    });

    it('should change nothing for an unknown instance, client or service', () => {
      sut.registerInstance('c1', 'connection', orders, { ip: '10.0.0.1', port: 1 });
      const events = recorder(sut);

      expect(sut.deregisterInstance('c1', orders, 'DEFAULT', '10.0.0.1', 2)).toBe(false);
      expect(sut.deregisterInstance('c1', orders, 'other', '10.0.0.1', 1)).toBe(false);
      expect(sut.deregisterInstance('c2', orders, 'DEFAULT', '10.0.0.1', 1)).toBe(false);
      expect(sut.deregisterInstance('c1', payments, 'DEFAULT', '10.0.0.1', 1)).toBe(false);

      expect(sut.getClient('c1')?.revision).toBe(V);
      expect(events.services).toEqual([]);
      expect(sut.exportClient('c1')?.tombstones).toBeUndefined();
    });
  });

  describe('updateInstance', () => {
    it('should change weight, enabled and metadata in place and announce it', () => {
      sut.registerInstance('c1', 'connection', orders, { ip: '10.0.0.1', port: 1 });
      const events = recorder(sut);

      const changed = sut.updateInstance('c1', orders, 'DEFAULT', '10.0.0.1', 1, {
        weight: 2,
        enabled: false,
        metadata: { zone: 'a' },
      });

      expect(changed).toBe(true);
      expect(sut.getInstance(orders, 'DEFAULT', '10.0.0.1', 1)).toMatchObject({
        weight: 2,
        enabled: false,
        healthy: true,
        metadata: { zone: 'a' },
      });
      expect(events.services).toHaveLength(1);
      expect(sut.getClient('c1')?.revision).toBe(V + 1);
      expect(sut.exportClient('c1')?.publications[0]).toMatchObject({ version: V + 1, writer: 'local' });
    });

    it('should report no change for a patch equal to the current values', () => {
      sut.registerInstance('c1', 'connection', orders, { ip: '10.0.0.1', port: 1, weight: 2, metadata: { a: 'b' } });
      const events = recorder(sut);

      expect(sut.updateInstance('c1', orders, 'DEFAULT', '10.0.0.1', 1, { weight: 2, metadata: { a: 'b' } })).toBe(
        false,
      );
      expect(sut.updateInstance('c1', orders, 'DEFAULT', '10.0.0.9', 1, { weight: 3 })).toBe(false);
      expect(events.services).toEqual([]);
      expect(sut.getClient('c1')?.revision).toBe(V);
    });
  });

  describe('batchRegister', () => {
    it("should replace the client's instances in that service only, with one event", () => {
      sut.registerInstance('c1', 'connection', orders, { ip: '10.0.0.1', port: 1 });
      sut.registerInstance('c1', 'connection', orders, { ip: '10.0.0.2', port: 1 });
      sut.registerInstance('c1', 'connection', payments, { ip: '10.0.0.1', port: 1 });
      const events = recorder(sut);

      sut.batchRegister('c1', 'connection', orders, [
        { ip: '10.0.0.2', port: 1 },
        { ip: '10.0.0.3', port: 1 },
        { ip: '10.0.0.4', port: 1 },
      ]);

      expect(sut.listInstances(orders).map((instance) => instance.ip)).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.4']);
      expect(sut.listInstances(payments)).toHaveLength(1);
      expect(events.services.map((event) => event.key.name)).toEqual(['orders']);
      expect(events.clients).toHaveLength(1);
      // One operation, one version: what it published and what it withdrew carry the same one.
      const data = sut.exportClient('c1')!;
      const inOrders = data.publications.filter((p) => p.service === 'orders');
      expect(inOrders.map((p) => [p.instance.ip, p.version]).sort()).toEqual([
        ['10.0.0.2', V + 1],
        ['10.0.0.3', V + 3],
        ['10.0.0.4', V + 3],
      ]);
      expect(data.tombstones?.map((t) => [t.ip, t.version])).toEqual([['10.0.0.1', V + 3]]);
      expect(sut.getClient('c1')?.revision).toBe(V + 3);
    });

    it('should not create a service or client for an empty batch', () => {
      expect(sut.batchRegister('c1', 'connection', orders, [])).toBe(false);

      expect(sut.getService(orders)).toBeUndefined();
      expect(sut.getClient('c1')).toBeUndefined();
    });
  });

  describe('batchDeregister', () => {
    it('should withdraw the listed instances with one event', () => {
      sut.batchRegister('c1', 'connection', orders, [
        { ip: '10.0.0.1', port: 1 },
        { ip: '10.0.0.2', port: 1 },
        { ip: '10.0.0.3', port: 1 },
      ]);
      const events = recorder(sut);

      sut.batchDeregister('c1', orders, [
        { ip: '10.0.0.1', port: 1 },
        { ip: '10.0.0.3', port: 1 },
      ]);

      expect(sut.listInstances(orders).map((instance) => instance.ip)).toEqual(['10.0.0.2']);
      expect(events.services).toHaveLength(1);
      expect(sut.exportClient('c1')?.tombstones?.map((t) => [t.ip, t.version])).toEqual([
        ['10.0.0.1', V + 1],
        ['10.0.0.3', V + 1],
      ]);
    });
  });

  describe('replacePublications', () => {
    it('should emit one event per affected service, not per instance', () => {
      const events = recorder(sut);
      const publications = [orders, payments, stock].flatMap((key) =>
        [1, 2, 3, 4].map((n) => ({
          namespace: key.namespace,
          group: key.group,
          service: key.name,
          instance: { ip: `10.0.0.${n}`, port: 80 },
        })),
      );

      sut.replacePublications('sync:task-1', 'sync', publications, { owner: 'node-a' });

      expect(events.services.map((event) => event.key.name).sort()).toEqual(['orders', 'payments', 'stock']);
      expect(events.clients).toEqual([{ clientId: 'sync:task-1', revision: V, removed: false, local: true }]);
      expect(sut.getClient('sync:task-1')).toMatchObject({ kind: 'sync', owner: 'node-a', publicationCount: 12 });
    });

    it('should touch only the services whose content changed', () => {
      const pub = (key: ServiceKey, ip: string) => ({
        namespace: key.namespace,
        group: key.group,
        service: key.name,
        instance: { ip, port: 80 },
      });
      sut.replacePublications('sync:t', 'sync', [pub(orders, '10.0.0.1'), pub(payments, '10.0.0.1')]);
      const events = recorder(sut);

      sut.replacePublications('sync:t', 'sync', [pub(orders, '10.0.0.1'), pub(stock, '10.0.0.1')]);

      expect(events.services.map((event) => event.key.name).sort()).toEqual(['payments', 'stock']);
      expect(sut.getService(payments)).toBeUndefined();
      expect(sut.counts()).toMatchObject({ instances: 2, services: 2 });
    });

    it('should handle a client with many instances in one service', () => {
      const many = Array.from({ length: 50 }, (_, n) => ({
        namespace: 'public',
        group: 'DEFAULT_GROUP',
        service: 'orders',
        instance: { ip: '10.0.0.1', port: 1000 + n },
      }));
      sut.replacePublications('sync:t', 'sync', many);
      sut.replacePublications('sync:t', 'sync', many.slice(10, 40));

      expect(sut.listInstances(orders).map((instance) => instance.port)).toEqual(
        Array.from({ length: 30 }, (_, n) => 1010 + n),
      );
      expect(sut.deregisterInstance('sync:t', orders, 'DEFAULT', '10.0.0.1', 1020)).toBe(true);
      expect(sut.getClient('sync:t')?.publicationCount).toBe(29);
    });
  });

  describe('removeClient', () => {
    it('should remove all instances of the client and announce each affected service once', () => {
      sut.batchRegister('conn', 'connection', orders, [
        { ip: '10.0.0.1', port: 1 },
        { ip: '10.0.0.2', port: 1 },
      ]);
      sut.registerInstance('conn', 'connection', stock, { ip: '10.0.0.1', port: 1 });
      sut.registerInstance('other', 'connection', orders, { ip: '10.0.0.9', port: 1 });
      const events = recorder(sut);

      expect(sut.removeClient('conn')).toBe(true);

      expect(sut.listInstances(orders).map((instance) => instance.ip)).toEqual(['10.0.0.9']);
      expect(sut.getService(stock)).toBeUndefined();
      expect(events.services.map((event) => event.key.name).sort()).toEqual(['orders', 'stock']);
      expect(events.clients).toEqual([{ clientId: 'conn', revision: V + 3, removed: true, local: true }]);
      expect(sut.removeClient('conn')).toBe(false);
      // What is left is the floor: everything of the client up to the removal is gone.
      expect(sut.exportClient('conn')).toMatchObject({ publications: [], floor: V + 3, floorWriter: 'local' });
    });
  });

  describe('duplicate addresses', () => {
    it('should list an address published by two clients once, showing the newest write', () => {
      sut.registerInstance('10.0.0.1:1#true', 'ipport', orders, { ip: '10.0.0.1', port: 1, weight: 1 });
      sut.registerInstance('grpc-1', 'connection', orders, { ip: '10.0.0.1', port: 1, weight: 2 });

      expect(sut.listInstances(orders).map((instance) => instance.weight)).toEqual([2]);

      sut.updateInstance('10.0.0.1:1#true', orders, 'DEFAULT', '10.0.0.1', 1, { weight: 3 });
      expect(sut.getInstance(orders, 'DEFAULT', '10.0.0.1', 1)?.weight).toBe(3);
      expect(sut.getService(orders)?.instanceCount).toBe(1);
      expect(sut.counts().instances).toBe(2);
    });

    it('should fall back to the remaining publication when the shown one is withdrawn', () => {
      sut.registerInstance('a', 'connection', orders, { ip: '10.0.0.1', port: 1, weight: 1 });
      sut.registerInstance('b', 'connection', orders, { ip: '10.0.0.1', port: 1, weight: 2 });

      sut.removeClient('b');

      expect(sut.listInstances(orders).map((instance) => instance.weight)).toEqual([1]);
    });

    it('should forget the address once every publishing client has withdrawn it', () => {
      for (const client of ['a', 'b', 'c']) {
        sut.registerInstance(client, 'connection', orders, { ip: '10.0.0.1', port: 1 });
      }
      sut.registerInstance('a', 'connection', orders, { ip: '10.0.0.2', port: 1 });

      for (const client of ['b', 'a', 'c']) sut.deregisterInstance(client, orders, 'DEFAULT', '10.0.0.1', 1);

      expect(sut.listInstances(orders).map((instance) => instance.ip)).toEqual(['10.0.0.2']);
      expect(sut.getInstance(orders, 'DEFAULT', '10.0.0.1', 1)).toBeUndefined();
      expect(sut.getService(orders)?.instanceCount).toBe(1);
    });

    it('should keep the same address in different clusters apart', () => {
      sut.registerInstance('a', 'connection', orders, { ip: '10.0.0.1', port: 1, clusterName: 'x' });
      sut.registerInstance('b', 'connection', orders, { ip: '10.0.0.1', port: 1, clusterName: 'y' });

      expect(sut.listInstances(orders).map((instance) => instance.clusterName)).toEqual(['x', 'y']);
    });
  });

  describe('events', () => {
    it('should keep delivering to other listeners when one throws', () => {
      const errors: unknown[] = [];
      sut = new Registry({ onListenerError: (error) => errors.push(error) });
      const seen: string[] = [];
      sut.events.on('serviceChanged', () => {
        throw new Error('listener broke');
      });
      sut.events.on('serviceChanged', (event) => seen.push(event.key.name));

      expect(sut.registerInstance('c', 'connection', orders, { ip: '10.0.0.1', port: 1 })).toBe(true);

      expect(seen).toEqual(['orders']);
      expect(errors).toEqual([new Error('listener broke')]);
      expect(sut.listInstances(orders)).toHaveLength(1);
    });

    it('should stop delivering after the listener is removed', () => {
      const seen: number[] = [];
      const off = sut.events.on('serviceChanged', (event) => seen.push(event.revision));
      sut.registerInstance('c', 'connection', orders, { ip: '10.0.0.1', port: 1 });
      off();
      sut.registerInstance('c', 'connection', orders, { ip: '10.0.0.2', port: 1 });

      expect(seen).toHaveLength(1);
    });
  });
});

describe('batchRegister into one service of a client that publishes into many', () => {
  it('should replace only that service, leaving its other services and other clients alone', () => {
    const sut = new Registry();
    const key = (i: number) => ({ namespace: 'public', group: 'DEFAULT_GROUP', name: `svc-${i}` });
    for (let i = 0; i < 50; i++)
      sut.batchRegister('sync:t', 'sync', key(i), [
        { ip: '10.0.0.1', port: 80 },
        { ip: '10.0.0.2', port: 80 },
      ]);
    sut.registerInstance('10.0.0.1:80#true', 'ipport', key(7), { ip: '10.0.0.1', port: 80 });

    expect(sut.batchRegister('sync:t', 'sync', key(7), [{ ip: '10.0.0.3', port: 80 }])).toBe(true);

    expect(sut.getPublication('sync:t', key(7), 'DEFAULT', '10.0.0.2', 80)).toBeUndefined();
    expect(sut.getPublication('sync:t', key(7), 'DEFAULT', '10.0.0.3', 80)).toBeDefined();
    expect(sut.getPublication('10.0.0.1:80#true', key(7), 'DEFAULT', '10.0.0.1', 80)).toBeDefined();
    expect(
      sut
        .listInstances(key(7))
        .map((i) => i.ip)
        .sort(),
    ).toEqual(['10.0.0.1', '10.0.0.3']);
    expect(sut.listInstances(key(8))).toHaveLength(2);
    expect(sut.getClient('sync:t')?.publicationCount).toBe(99);
  });
});

describe('a client with many publications', () => {
  const key: ServiceKey = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'wide' };
  const ips = Array.from({ length: 20 }, (_, i) => `10.0.1.${i}`);
  const publicationIps = (sut: Registry, clientId: string): string[] =>
    (sut.exportClient(clientId)?.publications ?? []).map((p) => p.instance.ip).sort();

  it('should keep every publication findable as others are withdrawn, updated and re-added', () => {
    const sut = new Registry();
    for (const ip of ips) sut.registerInstance('conn-1', 'connection', key, { ip, port: 80 });

    // Withdraw from the middle, the front and the end (the last publication moves into the freed slot).
    for (const ip of [ips[7], ips[0], ips[19]]) sut.deregisterInstance('conn-1', key, '', ip, 80);
    // Update one in place, then re-add a withdrawn one.
    sut.updateInstance('conn-1', key, '', ips[12], 80, { weight: 3 });
    sut.registerInstance('conn-1', 'connection', key, { ip: ips[7], port: 80 });

    const expected = ips.filter((ip) => ip !== ips[0] && ip !== ips[19]).sort();
    expect(publicationIps(sut, 'conn-1')).toEqual(expected);
    for (const ip of expected) expect(sut.getPublication('conn-1', key, 'DEFAULT', ip, 80)?.ip).toBe(ip);
    expect(sut.getPublication('conn-1', key, 'DEFAULT', ips[12], 80)?.weight).toBe(3);
    expect(sut.getPublication('conn-1', key, 'DEFAULT', ips[0], 80)).toBeUndefined();
    expect(sut.counts().instances).toBe(expected.length);

    // Down to one, then none: the client stays (a connection client), its service goes.
    sut.batchRegister('conn-1', 'connection', key, [{ ip: ips[3], port: 80 }]);
    expect(publicationIps(sut, 'conn-1')).toEqual([ips[3]]);
    sut.deregisterInstance('conn-1', key, '', ips[3], 80);
    expect(sut.getClient('conn-1')?.publicationCount).toBe(0);
    expect(sut.getService(key)).toBeUndefined();
  });

  it("should find each client's own publication of an address that several large clients share", () => {
    const sut = new Registry({ clock: () => 1_000 });
    for (const clientId of ['conn-a', 'conn-b']) {
      sut.batchRegister(
        clientId,
        'connection',
        key,
        ips.map((ip) => ({ ip, port: 80, metadata: { by: clientId } })),
      );
    }

    expect(sut.getPublication('conn-a', key, 'DEFAULT', ips[5], 80)?.metadata).toEqual({ by: 'conn-a' });
    expect(sut.getPublication('conn-b', key, 'DEFAULT', ips[5], 80)?.metadata).toEqual({ by: 'conn-b' });
    expect(sut.listInstances(key)).toHaveLength(ips.length);

    // Withdrawing b's batch leaves a's publications listed, and a peer's copy that withdraws some of a's
    // (newer tombstones) withdraws only those, while restamping the rest (same data, newer version).
    sut.batchRegister('conn-b', 'connection', key, []);
    const later = V + 100;
    const changed = sut.mergeClients([
      {
        clientId: 'conn-a',
        kind: 'connection',
        revision: later,
        publications: ips.slice(0, 10).map((ip) => ({
          namespace: key.namespace,
          group: key.group,
          service: key.name,
          instance: { ip, port: 80, metadata: { by: 'conn-a' } },
          version: later,
          writer: 'peer',
        })),
        tombstones: ips.slice(10).map((ip) => ({
          namespace: key.namespace,
          group: key.group,
          service: key.name,
          cluster: 'DEFAULT',
          ip,
          port: 80,
          version: later,
          writer: 'peer',
        })),
      },
    ]);
    expect(changed).toBe(1);
    expect(
      sut
        .listInstances(key)
        .map((i) => i.ip)
        .sort(),
    ).toEqual(ips.slice(0, 10).sort());
    expect(sut.getPublication('conn-b', key, 'DEFAULT', ips[5], 80)).toBeUndefined();
    expect(sut.getClient('conn-a')).toMatchObject({ publicationCount: 10, revision: later });
    expect(sut.exportClient('conn-a')?.publications.every((p) => p.version === later && p.writer === 'peer')).toBe(
      true,
    );
    expect(sut.counts().instances).toBe(10);
  });
});

describe('a host publishing several ports of one service', () => {
  const key: ServiceKey = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'ports' };
  const ports = (sut: Registry): number[] =>
    sut
      .listInstances(key)
      .map((i) => i.port)
      .sort((a, b) => a - b);

  it('should list, count and find every port, with duplicates per address across clients', () => {
    const sut = new Registry();
    sut.batchRegister('conn-a', 'connection', key, [
      { ip: '10.0.0.9', port: 80, weight: 1 },
      { ip: '10.0.0.9', port: 81, weight: 1 },
      { ip: '10.0.0.9', port: 82, weight: 1 },
    ]);
    sut.registerInstance('conn-b', 'connection', key, { ip: '10.0.0.9', port: 81, weight: 5 });

    expect(ports(sut)).toEqual([80, 81, 82]);
    expect(sut.getService(key)?.instanceCount).toBe(3);
    // The address two clients publish shows the most recent publication; each client still finds its own.
    expect(sut.getInstance(key, '', '10.0.0.9', 81)?.weight).toBe(5);
    expect(sut.getPublication('conn-a', key, 'DEFAULT', '10.0.0.9', 81)?.weight).toBe(1);
    expect(sut.getInstance(key, '', '10.0.0.9', 83)).toBeUndefined();

    // Withdrawing b's copy shows a's again; withdrawing ports leaves the others.
    sut.removeClient('conn-b');
    expect(sut.getInstance(key, '', '10.0.0.9', 81)?.weight).toBe(1);
    sut.batchDeregister('conn-a', key, [
      { clusterName: '', ip: '10.0.0.9', port: 80 },
      { clusterName: '', ip: '10.0.0.9', port: 82 },
    ]);
    expect(ports(sut)).toEqual([81]);
    expect(sut.getService(key)?.instanceCount).toBe(1);

    // A port added again after the host folded back to one address.
    sut.registerInstance('conn-a', 'connection', key, { ip: '10.0.0.9', port: 90 });
    sut.updateInstance('conn-a', key, '', '10.0.0.9', 90, { weight: 7 });
    expect(ports(sut)).toEqual([81, 90]);
    expect(sut.getInstance(key, '', '10.0.0.9', 90)?.weight).toBe(7);
    expect(sut.getService(key)?.instanceCount).toBe(2);
  });

  it('should handle thousands of ports on one host', () => {
    const sut = new Registry();
    const many = Array.from({ length: 5000 }, (_, n) => ({ ip: '10.0.0.1', port: 10_000 + n }));
    sut.batchRegister('conn-a', 'connection', key, many);
    sut.batchRegister('conn-a', 'connection', key, many.slice(0, 2500));

    expect(sut.getService(key)?.instanceCount).toBe(2500);
    expect(ports(sut)).toEqual(many.slice(0, 2500).map((m) => m.port));
    expect(sut.getInstance(key, '', '10.0.0.1', 12_499)).toBeDefined();
    expect(sut.getInstance(key, '', '10.0.0.1', 12_500)).toBeUndefined();
  });
});
