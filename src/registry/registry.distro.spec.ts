import type { ClientChangedEvent, ServiceChangedEvent } from './events';
import type { InstanceInput, ClientSyncData, PublicationData, ServiceKey, TombstoneData } from './model';
import { Registry } from './registry';
import { versionAt } from './version';

const orders: ServiceKey = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'orders' };
const payments: ServiceKey = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'payments' };
const stock: ServiceKey = { namespace: 'prod', group: 'shop', name: 'stock' };
const T0 = 1_700_000_000_000;
/** The first version a node stamps at T0; with a clock fixed at T0 its writes are V0, V0 + 1, ... */
const V0 = versionAt(T0);

/** A publication as a peer sends it: stamped with the version and writer of the write that made it. */
function pub(
  key: ServiceKey,
  ip: string,
  port = 80,
  extra: Partial<InstanceInput> = {},
  version = V0,
  writer = 'node-b',
): PublicationData {
  return {
    namespace: key.namespace,
    group: key.group,
    service: key.name,
    instance: { ip, port, ...extra },
    version,
    writer,
  };
}

function tombstone(key: ServiceKey, ip: string, port: number, version: number, writer = 'node-b'): TombstoneData {
  return {
    namespace: key.namespace,
    group: key.group,
    service: key.name,
    cluster: 'DEFAULT',
    ip,
    port,
    version,
    writer,
  };
}

/** A connection client owned by node-b, as node-b sends it. */
function syncData(
  clientId: string,
  publications: PublicationData[],
  extra: Partial<ClientSyncData> = {},
): ClientSyncData {
  const revision = Math.max(0, ...publications.map((p) => p.version ?? 0), extra.metaVersion ?? 0);
  return {
    clientId,
    kind: 'connection',
    revision,
    owner: 'node-b',
    metaVersion: revision,
    metaWriter: 'node-b',
    publications,
    ...extra,
  };
}

/** What a copy looks like after a trip over the wire (plain JSON, no shared objects). */
function wire(data: ClientSyncData | undefined): ClientSyncData {
  if (data === undefined) throw new Error('no such client');
  return JSON.parse(JSON.stringify(data)) as ClientSyncData;
}

describe(Registry.name, () => {
  let now: number;
  let sut: Registry;
  /** Another node of the region, writing with its own clock, whose exports are the copies sut merges. */
  let peer: Registry;
  let peerNow: number;
  let serviceEvents: ServiceChangedEvent[];
  let clientEvents: ClientChangedEvent[];

  beforeEach(() => {
    now = T0;
    peerNow = T0;
    sut = new Registry({ clock: () => now, nodeId: 'node-a' });
    peer = new Registry({ clock: () => peerNow, nodeId: 'node-b' });
    serviceEvents = [];
    clientEvents = [];
    sut.events.on('serviceChanged', (event) => serviceEvents.push(event));
    sut.events.on('clientChanged', (event) => clientEvents.push(event));
  });

  const ips = (key: ServiceKey, registry = sut) =>
    registry
      .listInstances(key)
      .map((instance) => instance.ip)
      .sort();
  const clearEvents = () => {
    serviceEvents.length = 0;
    clientEvents.length = 0;
  };

  describe('exportClient', () => {
    it('should describe the client with the version of each write, as plain JSON that survives a round trip', () => {
      sut.registerInstance('conn', 'connection', orders, { ip: '10.0.0.1', port: 80, weight: 2, metadata: { v: '1' } });
      sut.registerInstance('conn', 'connection', stock, { ip: '10.0.0.1', port: 81, clusterName: 'c', enabled: false });
      sut.registerInstance('conn', 'connection', stock, { ip: '10.0.0.2', port: 81 }, { owner: 'node-a' });

      const data = sut.exportClient('conn')!;

      expect(data).toEqual({
        clientId: 'conn',
        kind: 'connection',
        revision: V0 + 2,
        owner: 'node-a',
        // The owner was set by the third write, and carries its version.
        metaVersion: V0 + 2,
        metaWriter: 'node-a',
        publications: [
          pub(
            orders,
            '10.0.0.1',
            80,
            { weight: 2, healthy: true, enabled: true, ephemeral: true, clusterName: 'DEFAULT', metadata: { v: '1' } },
            V0,
            'node-a',
          ),
          pub(
            stock,
            '10.0.0.1',
            81,
            { weight: 1, healthy: true, enabled: false, ephemeral: true, clusterName: 'c', metadata: {} },
            V0 + 1,
            'node-a',
          ),
          pub(
            stock,
            '10.0.0.2',
            81,
            { weight: 1, healthy: true, enabled: true, ephemeral: true, clusterName: 'DEFAULT', metadata: {} },
            V0 + 2,
            'node-a',
          ),
        ],
      });

      expect(peer.mergeClients([wire(data)], T0)).toBe(1);
      expect(peer.exportClient('conn')).toEqual(data);
      expect(peer.listInstances(stock).map((instance) => instance.toJSON())).toEqual(
        sut.listInstances(stock).map((instance) => instance.toJSON()),
      );
      expect(peer.getClient('conn')).toMatchObject({ local: false, revision: V0 + 2, owner: 'node-a' });
      expect(peer.replicatedClient('conn')!.digest()).toBe(sut.replicatedClient('conn')!.digest());
    });

    it('should give equal digests to equal content, and different ones to different clients', () => {
      sut.registerInstance('c1', 'connection', orders, { ip: '10.0.0.1', port: 80 });
      peer.mergeClients([wire(sut.exportClient('c1'))]);
      // The same content under another id.
      peer.mergeClients([{ ...wire(sut.exportClient('c1')), clientId: 'c2' }]);
      const digest = (registry: Registry, id: string) => registry.replicatedClient(id)!.digest();

      expect(digest(peer, 'c1')).toBe(digest(sut, 'c1'));
      expect(digest(peer, 'c2')).not.toBe(digest(peer, 'c1'));
      sut.updateInstance('c1', orders, 'DEFAULT', '10.0.0.1', 80, { weight: 2 });
      expect(digest(sut, 'c1')).not.toBe(digest(peer, 'c1'));
    });

    it('should answer undefined for an unknown client', () => {
      expect(sut.exportClient('nope')).toBeUndefined();
      expect(sut.replicatedClient('nope')).toBeUndefined();
    });
  });

  describe('nodeId', () => {
    it("should stamp every write with the node's id, 'local' unless set", () => {
      const plain = new Registry({ clock: () => T0 });
      plain.registerInstance('c', 'connection', orders, { ip: '10.0.0.1', port: 80 });
      expect(plain.nodeId).toBe('local');
      expect(plain.exportClient('c')?.publications[0]).toMatchObject({ version: V0, writer: 'local' });

      plain.nodeId = 'node-z';
      plain.registerInstance('c', 'connection', orders, { ip: '10.0.0.2', port: 80 });

      expect(plain.exportClient('c')?.publications[1]).toMatchObject({ version: V0 + 1, writer: 'node-z' });
    });

    it('should stamp every write with a version above any it stamped or merged before', () => {
      sut.registerInstance('c', 'connection', orders, { ip: '10.0.0.1', port: 80 });
      // A peer whose clock runs a minute ahead.
      const ahead = versionAt(T0 + 60_000) + 5;
      sut.mergeClients([syncData('other', [pub(payments, '10.0.0.9', 80, {}, ahead)])]);

      sut.registerInstance('c', 'connection', orders, { ip: '10.0.0.2', port: 80 });

      expect(sut.getClient('c')?.revision).toBe(ahead + 1);
      expect(sut.versionClock.peek()).toBe(ahead + 1);
    });
  });

  describe('mergeClients', () => {
    it('should create a replica and announce it as not local, with the version of its newest write', () => {
      const data = syncData('conn', [pub(orders, '10.0.0.1', 80, {}, V0 + 7)]);

      expect(sut.mergeClients([data], T0)).toBe(1);

      expect(ips(orders)).toEqual(['10.0.0.1']);
      expect(sut.getClient('conn')).toMatchObject({
        revision: V0 + 7,
        local: false,
        owner: 'node-b',
        kind: 'connection',
      });
      expect(clientEvents).toEqual([{ clientId: 'conn', revision: V0 + 7, removed: false, local: false }]);
    });

    it('should merge several clients as one operation and announce each service once', () => {
      peer.registerInstance('c1', 'connection', orders, { ip: '10.0.0.1', port: 80 });
      peer.registerInstance('c1', 'connection', stock, { ip: '10.0.0.9', port: 80 });
      sut.mergeClients([wire(peer.exportClient('c1'))]);
      clearEvents();
      peerNow += 1000;
      peer.batchRegister('c1', 'connection', orders, [{ ip: '10.0.0.2', port: 80 }]);
      peer.deregisterInstance('c1', stock, 'DEFAULT', '10.0.0.9', 80);
      peer.batchRegister('c2', 'connection', orders, [{ ip: '10.0.0.3', port: 80 }]);
      peer.registerInstance('c2', 'connection', payments, { ip: '10.0.0.4', port: 80 });

      const changed = sut.mergeClients([wire(peer.exportClient('c1')), wire(peer.exportClient('c2'))]);

      expect(changed).toBe(2);
      expect(ips(orders)).toEqual(['10.0.0.2', '10.0.0.3']);
      expect(ips(payments)).toEqual(['10.0.0.4']);
      expect(ips(stock)).toEqual([]);
      expect(serviceEvents.map((e) => e.key.name).sort()).toEqual(['orders', 'payments', 'stock']);
      expect(clientEvents.map((e) => [e.clientId, e.revision, e.local])).toEqual([
        ['c1', peer.getClient('c1')!.revision, false],
        ['c2', peer.getClient('c2')!.revision, false],
      ]);
      expect(sut.exportClient('c1')).toEqual(peer.exportClient('c1'));
      expect(sut.exportClient('c2')).toEqual(peer.exportClient('c2'));
    });

    it('should share frozen metadata objects handed in for equal metadata', () => {
      const metadata = Object.freeze({ version: 'v1' });

      sut.mergeClients([
        syncData('c1', [pub(orders, '10.0.0.1', 80, { metadata })]),
        syncData('c2', [pub(orders, '10.0.0.2', 80, { metadata })]),
      ]);

      const [first, second] = sut.listInstances(orders).map((i) => i.metadata);
      expect(first).toEqual({ version: 'v1' });
      expect(first).toBe(second);
    });

    it('should apply newer withdrawals and publications atomically and announce only the services that changed', () => {
      peer.registerInstance('conn', 'connection', orders, { ip: '10.0.0.1', port: 80 });
      peer.registerInstance('conn', 'connection', orders, { ip: '10.0.0.2', port: 80 });
      peer.registerInstance('conn', 'connection', payments, { ip: '10.0.0.1', port: 80 });
      sut.mergeClients([wire(peer.exportClient('conn'))], T0);
      clearEvents();
      const seenByListener: string[][] = [];
      sut.events.on('serviceChanged', () => seenByListener.push([...ips(orders), ...ips(stock)]));
      peer.deregisterInstance('conn', orders, 'DEFAULT', '10.0.0.1', 80);
      peer.registerInstance('conn', 'connection', stock, { ip: '10.0.0.3', port: 80 });

      expect(sut.mergeClients([wire(peer.exportClient('conn'))], T0)).toBe(1);

      expect(ips(orders)).toEqual(['10.0.0.2']);
      expect(ips(payments)).toEqual(['10.0.0.1']);
      expect(ips(stock)).toEqual(['10.0.0.3']);
      expect(serviceEvents.map((event) => event.key.name).sort()).toEqual(['orders', 'stock']);
      // Listeners only ever see the finished state.
      expect(seenByListener).toEqual([
        ['10.0.0.2', '10.0.0.3'],
        ['10.0.0.2', '10.0.0.3'],
      ]);
      expect(sut.getClient('conn')?.revision).toBe(peer.getClient('conn')!.revision);
    });

    it('should update a changed instance in place and drop a service a tombstone emptied', () => {
      peer.registerInstance('conn', 'connection', orders, { ip: '10.0.0.1', port: 80 });
      peer.registerInstance('conn', 'connection', payments, { ip: '10.0.0.1', port: 80 });
      sut.mergeClients([wire(peer.exportClient('conn'))], T0);
      peer.updateInstance('conn', orders, 'DEFAULT', '10.0.0.1', 80, { weight: 9, healthy: false });
      peer.deregisterInstance('conn', payments, 'DEFAULT', '10.0.0.1', 80);

      sut.mergeClients([wire(peer.exportClient('conn'))], T0);

      expect(sut.getInstance(orders, 'DEFAULT', '10.0.0.1', 80)).toMatchObject({ weight: 9, healthy: false });
      expect(sut.getService(payments)).toBeUndefined();
      expect(sut.counts()).toMatchObject({ instances: 1, services: 1, clients: 1 });
    });

    it('should take a publication missing from a copy as no news, not as its withdrawal', () => {
      sut.mergeClients([syncData('conn', [pub(orders, '10.0.0.1'), pub(orders, '10.0.0.2', 80, {}, V0 + 1)])]);
      clearEvents();

      // A copy that lacks 10.0.0.1 (an older or partial one) withdraws nothing.
      expect(sut.mergeClients([syncData('conn', [pub(orders, '10.0.0.2', 80, {}, V0 + 1)])])).toBe(0);

      expect(ips(orders)).toEqual(['10.0.0.1', '10.0.0.2']);
      expect(serviceEvents).toEqual([]);
    });

    it('should change nothing and emit nothing when the same copy arrives again', () => {
      const data = syncData('conn', [pub(orders, '10.0.0.1', 80, {}, V0 + 3)]);
      sut.mergeClients([data], T0);
      const digest = sut.replicatedClient('conn')!.digest();
      clearEvents();

      expect(sut.mergeClients([data, data], T0 + 1000)).toBe(0);

      expect(serviceEvents).toEqual([]);
      expect(clientEvents).toEqual([]);
      expect(sut.replicatedClient('conn')!.digest()).toBe(digest);
    });

    it('should keep what it holds when an older copy arrives after a newer one', () => {
      sut.mergeClients([syncData('conn', [pub(orders, '10.0.0.1', 80, { weight: 5 }, V0 + 5)])], T0);
      clearEvents();

      expect(sut.mergeClients([syncData('conn', [pub(orders, '10.0.0.1', 80, { weight: 1 }, V0 + 4)])], T0)).toBe(0);

      expect(sut.getInstance(orders, 'DEFAULT', '10.0.0.1', 80)?.weight).toBe(5);
      expect(sut.exportClient('conn')?.publications[0]).toMatchObject({ version: V0 + 5, writer: 'node-b' });
      expect(serviceEvents).toEqual([]);
    });

    it('should break a tie in version by writer id, whatever the order', () => {
      const byB = syncData('conn', [pub(orders, '10.0.0.1', 80, { weight: 2 }, V0 + 1, 'node-b')]);
      const byC = syncData('conn', [pub(orders, '10.0.0.1', 80, { weight: 3 }, V0 + 1, 'node-c')]);
      const other = new Registry();

      sut.mergeClients([byB, byC]);
      other.mergeClients([byC]);
      other.mergeClients([byB]);

      expect(sut.getInstance(orders, 'DEFAULT', '10.0.0.1', 80)?.weight).toBe(3);
      expect(other.getInstance(orders, 'DEFAULT', '10.0.0.1', 80)?.weight).toBe(3);
      expect(other.exportClient('conn')).toEqual(sut.exportClient('conn'));
    });

    it('should store a newer version of identical data without announcing the service', () => {
      sut.mergeClients([syncData('conn', [pub(orders, '10.0.0.1', 80, { weight: 2 }, V0 + 1, 'node-b')])]);
      const serviceRevision = sut.getService(orders)!.revision;
      const digest = sut.replicatedClient('conn')!.digest();
      clearEvents();

      // The same data written again elsewhere (a re-registration on another node).
      const changed = sut.mergeClients([
        syncData('conn', [pub(orders, '10.0.0.1', 80, { weight: 2 }, V0 + 9, 'node-c')]),
      ]);

      expect(changed).toBe(1);
      expect(sut.exportClient('conn')?.publications[0]).toMatchObject({ version: V0 + 9, writer: 'node-c' });
      expect(sut.getClient('conn')?.revision).toBe(V0 + 9);
      expect(sut.replicatedClient('conn')!.digest()).not.toBe(digest);
      expect(serviceEvents).toEqual([]);
      expect(sut.getService(orders)!.revision).toBe(serviceRevision);
      // The client changed (its copy is re-sent and digests compared), so it is announced.
      expect(clientEvents).toEqual([{ clientId: 'conn', revision: V0 + 9, removed: false, local: false }]);
    });

    it("should merge a peer's copy into a client this node holds, keeping it local", () => {
      sut.registerInstance('10.0.0.1:80#true', 'ipport', orders, { ip: '10.0.0.1', port: 80 });
      peerNow = T0 + 1000;
      peer.registerInstance('10.0.0.1:80#true', 'ipport', orders, { ip: '10.0.0.1', port: 80, weight: 4 });

      expect(sut.mergeClients([wire(peer.exportClient('10.0.0.1:80#true'))], T0)).toBe(1);

      expect(sut.getInstance(orders, 'DEFAULT', '10.0.0.1', 80)?.weight).toBe(4);
      expect(sut.getClient('10.0.0.1:80#true')).toMatchObject({ local: true, revision: versionAt(T0 + 1000) });
    });

    it("should announce a peer's change merged into a client this node holds as not local", () => {
      // events.ts: `local` is "true when the change was made on this node (Distro replicates those),
      // false when applied from a peer". A merge into a local client announces local: true.
      sut.registerInstance('10.0.0.1:80#true', 'ipport', orders, { ip: '10.0.0.1', port: 80 });
      peerNow = T0 + 1000;
      peer.registerInstance('10.0.0.1:80#true', 'ipport', orders, { ip: '10.0.0.1', port: 80, weight: 4 });
      clearEvents();

      sut.mergeClients([wire(peer.exportClient('10.0.0.1:80#true'))], T0);

      expect(clientEvents).toEqual([
        { clientId: '10.0.0.1:80#true', revision: versionAt(T0 + 1000), removed: false, local: false },
      ]);
    });

    it('should keep the newer copy of a client that moved to another node when an older copy naming this node comes late', () => {
      // node-a ran sync task t; node-c took it over. A copy from before the move (naming node-a as
      // owner) reaching node-a after node-c's must change nothing, as it does in the other order.
      const t = (ip: string) => ({
        namespace: 'public',
        group: 'DEFAULT_GROUP',
        service: 'orders',
        instance: { ip, port: 80 },
      });
      sut.replacePublications('sync:t', 'sync', [t('10.0.0.1')], { owner: 'node-a' });
      const older = wire(sut.exportClient('sync:t'));
      const c = new Registry({ clock: () => T0 + 1000, nodeId: 'node-c' });
      c.mergeClients([older], T0);
      c.adoptClient('sync:t', 'node-c');
      c.replacePublications('sync:t', 'sync', [t('10.0.0.1'), t('10.0.0.2')], { owner: 'node-c' });
      const moved = wire(c.exportClient('sync:t'));
      sut.mergeClients([moved], T0);
      expect(sut.getClient('sync:t')).toMatchObject({ owner: 'node-c', local: false });

      sut.mergeClients([older], T0);
      // The other order, on a node-a that starts empty.
      const other = new Registry({ clock: () => T0, nodeId: 'node-a' });
      other.mergeClients([older], T0);
      other.mergeClients([moved], T0);

      expect(other.exportClient('sync:t')).toEqual(moved);
      expect(sut.exportClient('sync:t')).toEqual(moved);
      expect(ips(orders)).toEqual(['10.0.0.1', '10.0.0.2']);
    });

    it('should give a merged heartbeat clock a fresh start and stamp the expiry with a new version', () => {
      peer.registerInstance('10.0.0.1:80#true', 'ipport', orders, { ip: '10.0.0.1', port: 80 });
      sut.mergeClients([wire(peer.exportClient('10.0.0.1:80#true'))], T0);

      expect(sut.checkExpiry(T0 + 10_000, () => true)).toEqual({ markedUnhealthy: 0, removed: 0 });
      now = T0 + 15_001;
      expect(sut.checkExpiry(T0 + 15_001, () => true)).toEqual({ markedUnhealthy: 1, removed: 0 });
      expect(clientEvents.at(-1)).toMatchObject({ local: true, revision: versionAt(T0 + 15_001) });
      expect(sut.exportClient('10.0.0.1:80#true')?.publications[0]).toMatchObject({
        version: versionAt(T0 + 15_001),
        writer: 'node-a',
      });
    });
  });

  describe('tombstones', () => {
    const id = '10.0.0.1:80#true';

    it('should record a withdrawal of an ip-port instance this node does not hold, so a registration it missed stays withdrawn', () => {
      // The peer took the registration while this node was cut off from it.
      peer.registerInstance(id, 'ipport', orders, { ip: '10.0.0.1', port: 80 });
      const registered = wire(peer.exportClient(id));
      now = T0 + 5;
      clearEvents();

      expect(sut.withdrawIpPortInstance(id, orders, 'DEFAULT', '10.0.0.1', 80)).toBe(true);

      expect(sut.getClient(id)).toBeUndefined();
      expect(clientEvents).toEqual([expect.objectContaining({ clientId: id, removed: true, local: true })]);
      expect(serviceEvents).toEqual([]);
      const withdrawn = wire(sut.exportClient(id));
      expect(withdrawn.tombstones).toEqual([
        expect.objectContaining({ ip: '10.0.0.1', port: 80, cluster: 'DEFAULT', writer: 'node-a' }),
      ]);
      // The registration arrives after the partition heals: the withdrawal is newer, on both nodes.
      expect(sut.mergeClients([registered])).toBe(0);
      peer.mergeClients([withdrawn]);
      expect(ips(orders)).toEqual([]);
      expect(ips(orders, peer)).toEqual([]);
    });

    it('should withdraw a held instance as deregisterInstance does', () => {
      sut.registerInstance(id, 'ipport', orders, { ip: '10.0.0.1', port: 80 });

      expect(sut.withdrawIpPortInstance(id, orders, 'DEFAULT', '10.0.0.1', 80)).toBe(true);

      expect(ips(orders)).toEqual([]);
      expect(wire(sut.exportClient(id)).tombstones).toHaveLength(1);
    });

    it('should not bring back a withdrawn publication when an older copy arrives late, in any order', () => {
      peer.registerInstance(id, 'ipport', orders, { ip: '10.0.0.1', port: 80 });
      const registered = wire(peer.exportClient(id));
      peer.deregisterInstance(id, orders, 'DEFAULT', '10.0.0.1', 80);
      const withdrawn = wire(peer.exportClient(id));
      expect(withdrawn.publications).toEqual([]);
      expect(withdrawn.tombstones).toEqual([tombstone(orders, '10.0.0.1', 80, V0 + 1)]);

      sut.mergeClients([withdrawn]);
      expect(sut.mergeClients([registered])).toBe(0);
      const other = new Registry();
      other.mergeClients([registered]);
      other.mergeClients([withdrawn]);
      // Nor on the writer itself, which keeps its own tombstone.
      peer.mergeClients([registered]);

      for (const registry of [sut, other, peer]) {
        expect(ips(orders, registry)).toEqual([]);
        expect(registry.getClient(id)).toBeUndefined();
        expect(registry.exportClient(id)).toEqual(withdrawn);
      }
    });

    it('should let a registration newer than the tombstone bring the address back, in any order', () => {
      peer.registerInstance(id, 'ipport', orders, { ip: '10.0.0.1', port: 80 });
      peer.deregisterInstance(id, orders, 'DEFAULT', '10.0.0.1', 80);
      const withdrawn = wire(peer.exportClient(id));
      peer.registerInstance(id, 'ipport', orders, { ip: '10.0.0.1', port: 80, weight: 3 });
      const again = wire(peer.exportClient(id));
      // The newer publication replaced the tombstone.
      expect(again.tombstones).toBeUndefined();

      sut.mergeClients([withdrawn, again]);
      const other = new Registry();
      other.mergeClients([again, withdrawn]);

      for (const registry of [sut, other]) {
        expect(registry.getInstance(orders, 'DEFAULT', '10.0.0.1', 80)?.weight).toBe(3);
        expect(registry.exportClient(id)).toEqual(again);
      }
    });

    it('should withdraw a publication when a newer tombstone arrives, leaving a ghost', () => {
      sut.mergeClients([{ clientId: id, kind: 'ipport', revision: V0, publications: [pub(orders, '10.0.0.1')] }]);
      clearEvents();

      const changed = sut.mergeClients([
        {
          clientId: id,
          kind: 'ipport',
          revision: V0 + 1,
          publications: [],
          tombstones: [tombstone(orders, '10.0.0.1', 80, V0 + 1)],
        },
      ]);

      expect(changed).toBe(1);
      expect(ips(orders)).toEqual([]);
      expect(sut.getClient(id)).toBeUndefined();
      expect(sut.replicatedClient(id)).toMatchObject({ removed: true, size: 0, revision: V0 + 1 });
      expect(clientEvents).toEqual([{ clientId: id, revision: V0 + 1, removed: true, local: false }]);
    });

    it('should break a tie in version between a publication and a tombstone by writer, in any order', () => {
      const published = {
        clientId: id,
        kind: 'ipport' as const,
        revision: V0 + 4,
        publications: [pub(orders, '10.0.0.1', 80, {}, V0 + 4, 'node-b')],
      };
      const withdrawnBefore = {
        clientId: id,
        kind: 'ipport' as const,
        revision: V0 + 4,
        publications: [],
        tombstones: [tombstone(orders, '10.0.0.1', 80, V0 + 4, 'node-a')],
      };
      const withdrawnAfter = { ...withdrawnBefore, tombstones: [tombstone(orders, '10.0.0.1', 80, V0 + 4, 'node-c')] };

      for (const order of [
        [published, withdrawnBefore],
        [withdrawnBefore, published],
      ]) {
        const registry = new Registry();
        for (const data of order) registry.mergeClients([data]);
        expect(ips(orders, registry)).toEqual(['10.0.0.1']);
      }
      for (const order of [
        [published, withdrawnAfter],
        [withdrawnAfter, published],
      ]) {
        const registry = new Registry();
        for (const data of order) registry.mergeClients([data]);
        expect(ips(orders, registry)).toEqual([]);
        expect(registry.exportClient(id)?.tombstones).toEqual([tombstone(orders, '10.0.0.1', 80, V0 + 4, 'node-c')]);
      }
    });

    it('should ignore a tombstone older than the publication it names', () => {
      sut.mergeClients([
        { clientId: id, kind: 'ipport', revision: V0 + 2, publications: [pub(orders, '10.0.0.1', 80, {}, V0 + 2)] },
      ]);

      const changed = sut.mergeClients([
        {
          clientId: id,
          kind: 'ipport',
          revision: V0 + 1,
          publications: [],
          tombstones: [tombstone(orders, '10.0.0.1', 80, V0 + 1)],
        },
      ]);

      expect(changed).toBe(0);
      expect(ips(orders)).toEqual(['10.0.0.1']);
      expect(sut.exportClient(id)?.tombstones).toBeUndefined();
    });
  });

  describe('ghosts', () => {
    const id = '10.0.0.1:80#true';

    it('should hide an ip-port client left with nothing from every query, but keep it for Distro', () => {
      sut.registerInstance(id, 'ipport', orders, { ip: '10.0.0.1', port: 80 });
      sut.registerInstance('conn', 'connection', payments, { ip: '10.0.0.9', port: 80 });
      sut.deregisterInstance(id, orders, 'DEFAULT', '10.0.0.1', 80);

      expect(sut.getClient(id)).toBeUndefined();
      expect([...sut.clients()].map((client) => client.id)).toEqual(['conn']);
      expect(sut.counts()).toMatchObject({ clients: 1, instances: 1, services: 1 });
      expect(sut.listInstances(orders)).toEqual([]);
      expect(sut.getService(orders)).toBeUndefined();
      expect(sut.getPublication(id, orders, 'DEFAULT', '10.0.0.1', 80)).toBeUndefined();
      // A ghost cannot be written to as if it were there.
      expect(sut.deregisterInstance(id, orders, 'DEFAULT', '10.0.0.1', 80)).toBe(false);
      expect(sut.removeClient(id)).toBe(false);

      expect(sut.replicatedClient(id)).toMatchObject({ id, kind: 'ipport', removed: true, size: 0, revision: V0 + 2 });
      expect([...sut.replicatedClients()].map((client) => client.id).sort()).toEqual(['10.0.0.1:80#true', 'conn']);
      expect(sut.exportClient(id)).toEqual({
        clientId: id,
        kind: 'ipport',
        revision: V0 + 2,
        publications: [],
        tombstones: [tombstone(orders, '10.0.0.1', 80, V0 + 2, 'node-a')],
      });
      expect(sut.historyCounts()).toEqual({ tombstones: 1, ghosts: 1 });
    });

    it('should revive a ghost that registers again, its new publication replacing the tombstone', () => {
      sut.registerInstance(id, 'ipport', orders, { ip: '10.0.0.1', port: 80 });
      sut.registerInstance(id, 'ipport', payments, { ip: '10.0.0.1', port: 80 });
      sut.batchDeregister(id, orders, [{ ip: '10.0.0.1', port: 80 }]);
      sut.batchDeregister(id, payments, [{ ip: '10.0.0.1', port: 80 }]);
      expect(sut.getClient(id)).toBeUndefined();

      sut.registerInstance(id, 'ipport', orders, { ip: '10.0.0.1', port: 80 });

      expect(sut.getClient(id)).toMatchObject({ local: true, revision: V0 + 4, publicationCount: 1 });
      expect(sut.replicatedClient(id)?.removed).toBe(false);
      expect(sut.exportClient(id)?.tombstones).toEqual([tombstone(payments, '10.0.0.1', 80, V0 + 3, 'node-a')]);
      expect(sut.historyCounts()).toEqual({ tombstones: 1, ghosts: 0 });
    });
  });

  describe('floors', () => {
    it('should raise the floor when a client is removed, so that no older copy of it comes back', () => {
      sut.registerInstance('conn', 'connection', orders, { ip: '10.0.0.1', port: 80 });
      sut.registerInstance('conn', 'connection', orders, { ip: '10.0.0.2', port: 80 });
      const before = wire(sut.exportClient('conn'));
      sut.deregisterInstance('conn', orders, 'DEFAULT', '10.0.0.2', 80);

      expect(sut.removeClient('conn')).toBe(true);

      // The floor covers the tombstone, which goes.
      const removed = sut.exportClient('conn');
      expect(removed).toEqual({
        clientId: 'conn',
        kind: 'connection',
        revision: V0 + 3,
        publications: [],
        floor: V0 + 3,
        floorWriter: 'node-a',
      });
      expect(sut.getClient('conn')).toBeUndefined();
      expect(sut.replicatedClient('conn')).toMatchObject({ removed: true, floor: V0 + 3 });
      expect(sut.mergeClients([before])).toBe(0);
      expect(ips(orders)).toEqual([]);

      // A peer that receives the removal before the older copy ends the same.
      peer.mergeClients([wire(removed)]);
      peer.mergeClients([before]);
      expect(ips(orders, peer)).toEqual([]);
      expect(peer.getClient('conn')).toBeUndefined();
      expect(peer.exportClient('conn')).toEqual(removed);
    });

    it('should remove what a merged floor covers and keep what is newer', () => {
      sut.mergeClients([
        syncData('conn', [pub(orders, '10.0.0.1', 80, {}, V0 + 10), pub(orders, '10.0.0.2', 80, {}, V0 + 20)]),
      ]);
      clearEvents();

      const changed = sut.mergeClients([
        syncData('conn', [], { revision: V0 + 15, floor: V0 + 15, floorWriter: 'node-b', metaVersion: V0 + 10 }),
      ]);

      expect(changed).toBe(1);
      expect(ips(orders)).toEqual(['10.0.0.2']);
      expect(sut.getClient('conn')).toMatchObject({ revision: V0 + 20, publicationCount: 1 });
      expect(serviceEvents.map((event) => event.key.name)).toEqual(['orders']);
      // Older than the floor: gone; newer: in.
      sut.mergeClients([syncData('conn', [pub(orders, '10.0.0.3', 80, {}, V0 + 14)])]);
      sut.mergeClients([syncData('conn', [pub(orders, '10.0.0.4', 80, {}, V0 + 16)])]);
      expect(ips(orders)).toEqual(['10.0.0.2', '10.0.0.4']);
    });

    it('should compare a floor and a publication of the same version by writer', () => {
      const floor = syncData('conn', [], { revision: V0 + 5, floor: V0 + 5, floorWriter: 'node-b', metaVersion: V0 });

      sut.mergeClients([
        floor,
        syncData('conn', [
          pub(orders, '10.0.0.1', 80, {}, V0 + 5, 'node-a'),
          pub(orders, '10.0.0.2', 80, {}, V0 + 5, 'node-c'),
        ]),
      ]);

      expect(ips(orders)).toEqual(['10.0.0.2']);
    });

    it('should keep the floor with the greater writer when two floors tie in version, in any order', () => {
      const byB = syncData('conn', [], { revision: V0 + 5, floor: V0 + 5, floorWriter: 'node-b', metaVersion: V0 });
      const byC = syncData('conn', [], { revision: V0 + 5, floor: V0 + 5, floorWriter: 'node-c', metaVersion: V0 });
      const other = new Registry();

      sut.mergeClients([byB, byC]);
      other.mergeClients([byC]);
      other.mergeClients([byB]);

      expect(sut.exportClient('conn')).toMatchObject({ floor: V0 + 5, floorWriter: 'node-c' });
      expect(other.exportClient('conn')).toEqual(sut.exportClient('conn'));
      expect(other.replicatedClient('conn')!.digest()).toBe(sut.replicatedClient('conn')!.digest());
    });

    it('should keep the floor of a client it never had, as a ghost that stops older copies', () => {
      const removal = syncData('conn', [], { revision: V0 + 5, floor: V0 + 5, floorWriter: 'node-b', metaVersion: V0 });

      expect(sut.mergeClients([removal])).toBe(1);
      expect(sut.getClient('conn')).toBeUndefined();
      expect(sut.replicatedClient('conn')).toMatchObject({ removed: true, floor: V0 + 5 });

      const older = syncData('conn', [pub(orders, '10.0.0.1', 80, {}, V0 + 4)], { metaVersion: V0 });
      expect(sut.mergeClients([older])).toBe(0);
      expect(ips(orders)).toEqual([]);
      expect(sut.getClient('conn')).toBeUndefined();
    });
  });

  describe('purgeHistory', () => {
    it('should drop tombstones and floors older than the window, and forget ghosts left with nothing', () => {
      // Withdrawn at T0 + 1000: a ghost with a tombstone.
      sut.registerInstance('10.0.0.1:80#true', 'ipport', orders, { ip: '10.0.0.1', port: 80 });
      now = T0 + 1000;
      sut.deregisterInstance('10.0.0.1:80#true', orders, 'DEFAULT', '10.0.0.1', 80);
      // Removed at T0 + 2000: a ghost with a floor.
      sut.registerInstance('conn', 'connection', orders, { ip: '10.0.0.2', port: 80 });
      now = T0 + 2000;
      sut.removeClient('conn');
      // One of two withdrawn at T0 + 5000: a live client with a tombstone.
      sut.registerInstance('10.0.0.3:80#true', 'ipport', orders, { ip: '10.0.0.3', port: 80 });
      sut.registerInstance('10.0.0.3:80#true', 'ipport', payments, { ip: '10.0.0.3', port: 80 });
      now = T0 + 5000;
      sut.deregisterInstance('10.0.0.3:80#true', payments, 'DEFAULT', '10.0.0.3', 80);
      expect(sut.historyCounts()).toEqual({ tombstones: 3, ghosts: 2 });

      // Kept while at the edge of the window, dropped just past it.
      expect(sut.purgeHistory(T0 + 11_000, 10_000)).toBe(0);
      expect(sut.purgeHistory(T0 + 11_001, 10_000)).toBe(1);
      expect(sut.replicatedClient('10.0.0.1:80#true')).toBeUndefined();
      expect(sut.exportClient('10.0.0.1:80#true')).toBeUndefined();
      expect(sut.replicatedClient('conn')).toMatchObject({ removed: true, floor: versionAt(T0 + 2000) });

      expect(sut.purgeHistory(T0 + 12_001, 10_000)).toBe(1);
      expect(sut.replicatedClient('conn')).toBeUndefined();

      expect(sut.purgeHistory(T0 + 15_001, 10_000)).toBe(1);
      expect(sut.getClient('10.0.0.3:80#true')).toMatchObject({ publicationCount: 1 });
      expect(sut.exportClient('10.0.0.3:80#true')?.tombstones).toBeUndefined();
      expect(sut.historyCounts()).toEqual({ tombstones: 0, ghosts: 0 });
      expect(ips(orders)).toEqual(['10.0.0.3']);
    });

    it('should no longer stop an older copy once its tombstone aged out (the window bounds how late one may come)', () => {
      sut.registerInstance('10.0.0.1:80#true', 'ipport', orders, { ip: '10.0.0.1', port: 80 });
      const registered = wire(sut.exportClient('10.0.0.1:80#true'));
      sut.deregisterInstance('10.0.0.1:80#true', orders, 'DEFAULT', '10.0.0.1', 80);
      expect(sut.mergeClients([registered])).toBe(0);

      sut.purgeHistory(T0 + 60_000, 10_000);

      expect(sut.mergeClients([registered])).toBe(1);
      expect(ips(orders)).toEqual(['10.0.0.1']);
    });
  });

  describe('several clients publishing one address', () => {
    const weight = () => sut.getInstance(orders, 'DEFAULT', '10.0.0.1', 80)?.weight;

    it('should list the newest write by version then writer, not the one changed here last', () => {
      sut.registerInstance('a', 'connection', orders, { ip: '10.0.0.1', port: 80, weight: 1 });

      // Merged after, but written earlier (by a node whose clock lags).
      sut.mergeClients([syncData('b', [pub(orders, '10.0.0.1', 80, { weight: 2 }, versionAt(T0 - 5000))])]);
      expect(weight()).toBe(1);
      expect(sut.getPublication('b', orders, 'DEFAULT', '10.0.0.1', 80)?.weight).toBe(2);

      // The same version as a's: the greater writer id wins, the smaller does not.
      sut.mergeClients([syncData('c', [pub(orders, '10.0.0.1', 80, { weight: 3 }, V0, 'node-0')])]);
      expect(weight()).toBe(1);
      sut.mergeClients([syncData('d', [pub(orders, '10.0.0.1', 80, { weight: 4 }, V0, 'node-z')])]);
      expect(weight()).toBe(4);

      expect(sut.getService(orders)?.instanceCount).toBe(1);
      expect(sut.counts().instances).toBe(4);
    });

    it('should list the same winner whatever order the copies arrive in', () => {
      const copies = [
        syncData('a', [pub(orders, '10.0.0.1', 80, { weight: 1 }, V0 + 3, 'node-a')]),
        syncData('b', [pub(orders, '10.0.0.1', 80, { weight: 2 }, V0 + 7, 'node-b')]),
        syncData('c', [pub(orders, '10.0.0.1', 80, { weight: 3 }, V0 + 7, 'node-a')]),
      ];

      for (const order of [
        [0, 1, 2],
        [2, 1, 0],
        [1, 0, 2],
      ]) {
        const registry = new Registry();
        for (const i of order) registry.mergeClients([copies[i]]);
        expect(registry.getInstance(orders, 'DEFAULT', '10.0.0.1', 80)?.weight).toBe(2);
      }
    });

    it('should fall back to the next newest publication when the listed one is withdrawn', () => {
      sut.mergeClients([
        syncData('a', [pub(orders, '10.0.0.1', 80, { weight: 1 }, V0 + 3)]),
        syncData('b', [pub(orders, '10.0.0.1', 80, { weight: 2 }, V0 + 1)]),
        syncData('c', [pub(orders, '10.0.0.1', 80, { weight: 3 }, V0 + 5)]),
      ]);
      expect(weight()).toBe(3);

      sut.mergeClients([
        syncData('c', [], { tombstones: [tombstone(orders, '10.0.0.1', 80, V0 + 6)], revision: V0 + 6 }),
      ]);

      expect(weight()).toBe(1);
    });
  });

  describe('renewReplica / expireReplicas', () => {
    it('should expire replicas not renewed within the ttl and keep renewed and local ones', () => {
      sut.mergeClients([syncData('stale', [pub(orders, '10.0.0.1', 80, {}, V0 + 1)])], T0);
      sut.mergeClients([syncData('renewed', [pub(orders, '10.0.0.2')])], T0);
      sut.registerInstance('mine', 'connection', orders, { ip: '10.0.0.3', port: 80 }, { now: T0 });

      expect(sut.renewReplica('renewed', T0 + 20_000)).toBe(true);
      expect(sut.renewReplica('unknown', T0 + 20_000)).toBe(false);

      expect(sut.expireReplicas(T0 + 30_000, 30_000)).toEqual([]);
      expect(sut.expireReplicas(T0 + 30_001, 30_000)).toEqual(['stale']);
      expect(ips(orders)).toEqual(['10.0.0.2', '10.0.0.3']);
      expect(clientEvents.at(-1)).toEqual({ clientId: 'stale', revision: V0 + 1, removed: true, local: false });
      // Expiry is this node forgetting, not a removal: no floor, nothing to replicate.
      expect(sut.replicatedClient('stale')).toBeUndefined();
    });

    it('should count a merge from the peer as a renewal, even when nothing changed', () => {
      sut.mergeClients([syncData('conn', [pub(orders, '10.0.0.1')])], T0);
      expect(sut.mergeClients([syncData('conn', [pub(orders, '10.0.0.1')])], T0 + 20_000)).toBe(0);

      expect(sut.expireReplicas(T0 + 40_000, 30_000)).toEqual([]);
      expect(sut.expireReplicas(T0 + 50_001, 30_000)).toEqual(['conn']);
    });

    it('should spare replicas the caller claims', () => {
      sut.mergeClients([syncData('conn', [pub(orders, '10.0.0.1')])], T0);

      expect(sut.expireReplicas(T0 + 60_000, 30_000, () => true)).toEqual([]);
      expect(sut.expireReplicas(T0 + 60_000, 30_000, () => false)).toEqual(['conn']);
    });

    it('should never expire ip-port clients this way: they leave by tombstones', () => {
      const id = '10.0.0.1:80#true';
      sut.mergeClients([{ clientId: id, kind: 'ipport', revision: V0, publications: [pub(orders, '10.0.0.1')] }], T0);
      sut.mergeClients([syncData('sync:t', [pub(orders, '10.0.0.2')], { kind: 'sync' })], T0);

      expect(sut.expireReplicas(T0 + 600_000, 30_000, () => false)).toEqual(['sync:t']);

      expect(sut.getClient(id)).toMatchObject({ local: false });
      expect(ips(orders)).toEqual(['10.0.0.1']);
    });
  });

  describe('forgetReplica', () => {
    it('should drop a replica here without a tombstone, and refuse local or unknown clients', () => {
      sut.mergeClients([syncData('conn', [pub(orders, '10.0.0.1')])], T0);
      sut.registerInstance('mine', 'connection', orders, { ip: '10.0.0.2', port: 80 });
      clearEvents();

      expect(sut.forgetReplica('conn')).toBe(true);

      expect(sut.getClient('conn')).toBeUndefined();
      expect(sut.replicatedClient('conn')).toBeUndefined();
      expect(ips(orders)).toEqual(['10.0.0.2']);
      expect(clientEvents).toEqual([{ clientId: 'conn', revision: V0, removed: true, local: false }]);
      expect(sut.forgetReplica('conn')).toBe(false);
      expect(sut.forgetReplica('mine')).toBe(false);
      expect(sut.forgetReplica('unknown')).toBe(false);
      // Nothing stops the same copy from coming back.
      expect(sut.mergeClients([syncData('conn', [pub(orders, '10.0.0.1')])], T0)).toBe(1);
      expect(ips(orders)).toEqual(['10.0.0.1', '10.0.0.2']);
    });
  });
});

describe('adoptClient', () => {
  it('should make a replica sync client local with the new owner and a new version, even with the same content', () => {
    const sut = new Registry({ clock: () => T0, nodeId: 'node-y' });
    sut.mergeClients(
      [syncData('sync:t', [pub(orders, '10.0.0.1', 80, {}, V0 + 5)], { kind: 'sync', owner: 'node-x' })],
      T0,
    );
    const events: ClientChangedEvent[] = [];
    sut.events.on('clientChanged', (e) => events.push(e));

    expect(sut.adoptClient('sync:t', 'node-y')).toBe(true);

    // The clock has seen V0 + 5, so the adoption is the next version.
    expect(sut.getClient('sync:t')).toMatchObject({ owner: 'node-y', local: true, revision: V0 + 6 });
    expect(events).toEqual([{ clientId: 'sync:t', revision: V0 + 6, removed: false, local: true }]);
    expect(sut.exportClient('sync:t')).toMatchObject({ owner: 'node-y', metaVersion: V0 + 6, metaWriter: 'node-y' });
    expect(sut.listInstances(orders)).toHaveLength(1);
  });

  it('should hand the new owner to a peer that still holds the older owner', () => {
    const sut = new Registry({ clock: () => T0, nodeId: 'node-y' });
    const before = syncData('sync:t', [pub(orders, '10.0.0.1', 80, {}, V0 + 5)], { kind: 'sync', owner: 'node-x' });
    sut.mergeClients([before], T0);
    sut.adoptClient('sync:t', 'node-y');
    const peer = new Registry({ clock: () => T0, nodeId: 'node-z' });

    peer.mergeClients([sut.exportClient('sync:t')!, before], T0);

    expect(peer.getClient('sync:t')).toMatchObject({ owner: 'node-y', local: false });
  });

  it('should do nothing for a client this node already owns, or an unknown one', () => {
    const sut = new Registry();
    sut.batchRegister('sync:t', 'sync', orders, [{ ip: '10.0.0.1', port: 80 }], { owner: 'node-y' });
    expect(sut.adoptClient('sync:t', 'node-y')).toBe(false);
    expect(sut.adoptClient('sync:none', 'node-y')).toBe(false);
  });
});
