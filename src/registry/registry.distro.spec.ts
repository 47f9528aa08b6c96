import type { ClientChangedEvent, ServiceChangedEvent } from './events';
import type { ClientSyncData, PublicationData, ServiceKey } from './model';
import { Registry } from './registry';

const orders: ServiceKey = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'orders' };
const payments: ServiceKey = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'payments' };
const stock: ServiceKey = { namespace: 'prod', group: 'shop', name: 'stock' };
const T0 = 1_700_000_000_000;

function pub(
  key: ServiceKey,
  ip: string,
  port = 80,
  extra: Partial<PublicationData['instance']> = {},
): PublicationData {
  return { namespace: key.namespace, group: key.group, service: key.name, instance: { ip, port, ...extra } };
}

function syncData(clientId: string, revision: number, publications: PublicationData[]): ClientSyncData {
  return { clientId, kind: 'connection', revision, owner: 'node-b', publications };
}

describe(Registry.name, () => {
  let sut: Registry;
  let serviceEvents: ServiceChangedEvent[];
  let clientEvents: ClientChangedEvent[];

  beforeEach(() => {
    sut = new Registry();
    serviceEvents = [];
    clientEvents = [];
    sut.events.on('serviceChanged', (event) => serviceEvents.push(event));
    sut.events.on('clientChanged', (event) => clientEvents.push(event));
  });

  const ips = (key: ServiceKey) => sut.listInstances(key).map((instance) => instance.ip);

  describe('exportClient', () => {
    it('should describe the client as plain JSON that survives a round trip', () => {
      sut.registerInstance('conn', 'connection', orders, { ip: '10.0.0.1', port: 80, weight: 2, metadata: { v: '1' } });
      sut.registerInstance('conn', 'connection', stock, { ip: '10.0.0.1', port: 81, clusterName: 'c', enabled: false });
      sut.registerInstance('conn', 'connection', stock, { ip: '10.0.0.2', port: 81 }, { owner: 'node-a' });

      const data = sut.exportClient('conn')!;

      expect(data).toEqual({
        clientId: 'conn',
        kind: 'connection',
        revision: 3,
        owner: 'node-a',
        publications: [
          pub(orders, '10.0.0.1', 80, {
            weight: 2,
            healthy: true,
            enabled: true,
            ephemeral: true,
            clusterName: 'DEFAULT',
            metadata: { v: '1' },
          }),
          pub(stock, '10.0.0.1', 81, {
            weight: 1,
            healthy: true,
            enabled: false,
            ephemeral: true,
            clusterName: 'c',
            metadata: {},
          }),
          pub(stock, '10.0.0.2', 81, {
            weight: 1,
            healthy: true,
            enabled: true,
            ephemeral: true,
            clusterName: 'DEFAULT',
            metadata: {},
          }),
        ],
      });

      const peer = new Registry();
      peer.applyClientSync(JSON.parse(JSON.stringify(data)) as ClientSyncData, T0);
      expect(peer.exportClient('conn')).toEqual(data);
      expect(peer.listInstances(stock).map((instance) => instance.toJSON())).toEqual(
        sut.listInstances(stock).map((instance) => instance.toJSON()),
      );
      expect(peer.getClient('conn')).toMatchObject({ local: false, revision: 3, owner: 'node-a' });
    });

    it('should answer undefined for an unknown client', () => {
      expect(sut.exportClient('nope')).toBeUndefined();
    });
  });

  describe('applyClientSyncs', () => {
    it('should replace every client as applyClientSync does and announce each service once', () => {
      sut.applyClientSync(syncData('c1', 1, [pub(orders, '10.0.0.1'), pub(stock, '10.0.0.9')]));
      serviceEvents = [];
      clientEvents = [];

      const changed = sut.applyClientSyncs([
        syncData('c1', 2, [pub(orders, '10.0.0.2')]),
        syncData('c2', 5, [pub(orders, '10.0.0.3'), pub(payments, '10.0.0.4')]),
      ]);

      expect(changed).toBe(true);
      expect(ips(orders).sort()).toEqual(['10.0.0.2', '10.0.0.3']);
      expect(ips(payments)).toEqual(['10.0.0.4']);
      expect(ips(stock)).toEqual([]);
      expect(serviceEvents.map((e) => e.key.name).sort()).toEqual(['orders', 'payments', 'stock']);
      expect(clientEvents.map((e) => [e.clientId, e.revision, e.local])).toEqual([
        ['c1', 2, false],
        ['c2', 5, false],
      ]);
    });

    it('should share frozen metadata objects handed in for equal metadata', () => {
      const metadata = Object.freeze({ version: 'v1' });

      sut.applyClientSyncs([
        syncData('c1', 1, [pub(orders, '10.0.0.1', 80, { metadata })]),
        syncData('c2', 1, [pub(orders, '10.0.0.2', 80, { metadata })]),
      ]);

      const [first, second] = sut.listInstances(orders).map((i) => i.metadata);
      expect(first).toEqual({ version: 'v1' });
      expect(first).toBe(second);
    });
  });

  describe('applyClientSync', () => {
    it('should create a replica and announce it as not local', () => {
      expect(sut.applyClientSync(syncData('conn', 7, [pub(orders, '10.0.0.1')]), T0)).toBe(true);

      expect(ips(orders)).toEqual(['10.0.0.1']);
      expect(sut.getClient('conn')).toMatchObject({ revision: 7, local: false, owner: 'node-b', kind: 'connection' });
      expect(clientEvents).toEqual([{ clientId: 'conn', revision: 7, removed: false, local: false }]);
    });

    it('should replace the publications atomically and announce only the services that changed', () => {
      sut.applyClientSync(
        syncData('conn', 1, [pub(orders, '10.0.0.1'), pub(orders, '10.0.0.2'), pub(payments, '10.0.0.1')]),
        T0,
      );
      serviceEvents.length = 0;
      const seenByListener: string[][] = [];
      sut.events.on('serviceChanged', () => seenByListener.push([...ips(orders), ...ips(stock)]));

      sut.applyClientSync(
        syncData('conn', 2, [pub(orders, '10.0.0.2'), pub(payments, '10.0.0.1'), pub(stock, '10.0.0.3')]),
        T0,
      );

      expect(ips(orders)).toEqual(['10.0.0.2']);
      expect(ips(payments)).toEqual(['10.0.0.1']);
      expect(ips(stock)).toEqual(['10.0.0.3']);
      expect(serviceEvents.map((event) => event.key.name).sort()).toEqual(['orders', 'stock']);
      // Listeners only ever see the finished state.
      expect(seenByListener).toEqual([
        ['10.0.0.2', '10.0.0.3'],
        ['10.0.0.2', '10.0.0.3'],
      ]);
      expect(sut.getClient('conn')?.revision).toBe(2);
    });

    it('should update a changed instance in place and drop an emptied service', () => {
      sut.applyClientSync(syncData('conn', 1, [pub(orders, '10.0.0.1'), pub(payments, '10.0.0.1')]), T0);

      sut.applyClientSync(syncData('conn', 2, [pub(orders, '10.0.0.1', 80, { weight: 9, healthy: false })]), T0);

      expect(sut.getInstance(orders, 'DEFAULT', '10.0.0.1', 80)).toMatchObject({ weight: 9, healthy: false });
      expect(sut.getService(payments)).toBeUndefined();
      expect(sut.counts()).toMatchObject({ instances: 1, services: 1, clients: 1 });
    });

    it('should emit nothing when the same data arrives again', () => {
      const data = syncData('conn', 3, [pub(orders, '10.0.0.1')]);
      sut.applyClientSync(data, T0);
      serviceEvents.length = 0;
      clientEvents.length = 0;

      expect(sut.applyClientSync(data, T0 + 1000)).toBe(false);

      expect(serviceEvents).toEqual([]);
      expect(clientEvents).toEqual([]);
    });

    it('should turn a local client into a replica when a peer sends it', () => {
      sut.registerInstance('10.0.0.1:80#true', 'ipport', orders, { ip: '10.0.0.1', port: 80 });

      sut.applyClientSync(
        { clientId: '10.0.0.1:80#true', kind: 'ipport', revision: 5, publications: [pub(orders, '10.0.0.1')] },
        T0,
      );

      expect(sut.getClient('10.0.0.1:80#true')).toMatchObject({ local: false, revision: 5 });
      expect(clientEvents.at(-1)).toMatchObject({ local: false, revision: 5 });
    });

    it('should give the replicated heartbeat clock a fresh start', () => {
      sut.applyClientSync(
        { clientId: '10.0.0.1:80#true', kind: 'ipport', revision: 5, publications: [pub(orders, '10.0.0.1')] },
        T0,
      );

      expect(sut.checkExpiry(T0 + 10_000, () => true)).toEqual({ markedUnhealthy: 0, removed: 0 });
      expect(sut.checkExpiry(T0 + 15_001, () => true)).toEqual({ markedUnhealthy: 1, removed: 0 });
      expect(clientEvents.at(-1)).toMatchObject({ local: true, revision: 6 });
    });
  });

  describe('applyClientRemoval', () => {
    it('should remove the replica without announcing it as local', () => {
      sut.applyClientSync(syncData('conn', 1, [pub(orders, '10.0.0.1')]), T0);

      expect(sut.applyClientRemoval('conn')).toBe(true);

      expect(sut.getClient('conn')).toBeUndefined();
      expect(ips(orders)).toEqual([]);
      expect(clientEvents.at(-1)).toEqual({ clientId: 'conn', revision: 1, removed: true, local: false });
      expect(sut.applyClientRemoval('conn')).toBe(false);
    });
  });

  describe('renewReplica / expireReplicas', () => {
    it('should expire replicas not renewed within the ttl and keep renewed and local ones', () => {
      sut.applyClientSync(syncData('stale', 1, [pub(orders, '10.0.0.1')]), T0);
      sut.applyClientSync(syncData('renewed', 1, [pub(orders, '10.0.0.2')]), T0);
      sut.registerInstance('mine', 'connection', orders, { ip: '10.0.0.3', port: 80 }, { now: T0 });

      expect(sut.renewReplica('renewed', T0 + 20_000)).toBe(true);
      expect(sut.renewReplica('unknown', T0 + 20_000)).toBe(false);

      expect(sut.expireReplicas(T0 + 30_000, 30_000)).toEqual([]);
      expect(sut.expireReplicas(T0 + 30_001, 30_000)).toEqual(['stale']);
      expect(ips(orders)).toEqual(['10.0.0.2', '10.0.0.3']);
      expect(clientEvents.at(-1)).toEqual({ clientId: 'stale', revision: 1, removed: true, local: false });
    });

    it('should count a sync from the peer as a renewal', () => {
      sut.applyClientSync(syncData('conn', 1, [pub(orders, '10.0.0.1')]), T0);
      sut.applyClientSync(syncData('conn', 1, [pub(orders, '10.0.0.1')]), T0 + 20_000);

      expect(sut.expireReplicas(T0 + 40_000, 30_000)).toEqual([]);
    });

    it('should spare replicas the caller has become responsible for', () => {
      sut.applyClientSync({ ...syncData('10.0.0.1:80#true', 1, [pub(orders, '10.0.0.1')]), kind: 'ipport' }, T0);

      expect(sut.expireReplicas(T0 + 60_000, 30_000, () => true)).toEqual([]);
      expect(sut.expireReplicas(T0 + 60_000, 30_000, () => false)).toEqual(['10.0.0.1:80#true']);
    });
  });
});

describe('adoptClient', () => {
  it('should make a replica sync client local with the new owner and a new revision, even with the same content', () => {
    const sut = new Registry();
    sut.applyClientSync(
      { clientId: 'sync:t', kind: 'sync', revision: 5, owner: 'node-x', publications: [pub(orders, '10.0.0.1')] },
      T0,
    );
    const events: ClientChangedEvent[] = [];
    sut.events.on('clientChanged', (e) => events.push(e));
    expect(sut.adoptClient('sync:t', 'node-y')).toBe(true);
    expect(sut.getClient('sync:t')).toMatchObject({ owner: 'node-y', local: true, revision: 6 });
    expect(events).toEqual([{ clientId: 'sync:t', revision: 6, removed: false, local: true }]);
    expect(sut.listInstances(orders)).toHaveLength(1);
  });

  it('should do nothing for a client this node already owns, or an unknown one', () => {
    const sut = new Registry();
    sut.batchRegister('sync:t', 'sync', orders, [{ ip: '10.0.0.1', port: 80 }], { owner: 'node-y' });
    expect(sut.adoptClient('sync:t', 'node-y')).toBe(false);
    expect(sut.adoptClient('sync:none', 'node-y')).toBe(false);
  });
});
