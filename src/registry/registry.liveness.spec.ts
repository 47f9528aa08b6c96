import type { ClientChangedEvent, ServiceChangedEvent } from './events';
import { HEART_BEAT_TIMEOUT_KEY } from './liveness';
import type { ServiceKey } from './model';
import { Registry } from './registry';
import { versionAt } from './version';

const orders: ServiceKey = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'orders' };
const payments: ServiceKey = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'payments' };
const T0 = 1_700_000_000_000;
/** The clock is fixed at T0, so the writes are stamped V0, V0 + 1, ... (times of beats are passed apart). */
const V0 = versionAt(T0);
const everyone = () => true;

describe(Registry.name, () => {
  let sut: Registry;
  let serviceEvents: ServiceChangedEvent[];
  let clientEvents: ClientChangedEvent[];

  beforeEach(() => {
    sut = new Registry({ clock: () => T0, nodeId: 'node-a' });
    serviceEvents = [];
    clientEvents = [];
    sut.events.on('serviceChanged', (event) => serviceEvents.push(event));
    sut.events.on('clientChanged', (event) => clientEvents.push(event));
  });

  function registerHttp(key: ServiceKey, ip: string, port: number, now = T0): string {
    const clientId = `${ip}:${port}#true`;
    sut.registerInstance(clientId, 'ipport', key, { ip, port }, { now });
    return clientId;
  }

  const healthOf = (ip: string, port = 80) => sut.getInstance(orders, 'DEFAULT', ip, port)?.healthy;

  describe('beat', () => {
    it('should report an unknown instance so the caller can register it from the beat', () => {
      registerHttp(orders, '10.0.0.1', 80);

      expect(sut.beat('10.0.0.1:80#true', orders, 'DEFAULT', '10.0.0.1', 80, T0 + 1000)).toBe(true);
      expect(sut.beat('10.0.0.2:80#true', orders, 'DEFAULT', '10.0.0.2', 80, T0 + 1000)).toBe(false);
      expect(sut.beat('10.0.0.1:80#true', payments, 'DEFAULT', '10.0.0.1', 80, T0 + 1000)).toBe(false);
    });

    it('should not count as a change while the instance is healthy', () => {
      const id = registerHttp(orders, '10.0.0.1', 80);
      serviceEvents.length = 0;

      sut.beat(id, orders, 'DEFAULT', '10.0.0.1', 80, T0 + 5000);

      expect(serviceEvents).toEqual([]);
      expect(sut.getClient(id)?.revision).toBe(V0);
      expect(sut.exportClient(id)?.publications[0].version).toBe(V0);
    });

    it('should make an unhealthy instance healthy again, as a change', () => {
      const id = registerHttp(orders, '10.0.0.1', 80);
      sut.checkExpiry(T0 + 16_000, everyone);
      expect(healthOf('10.0.0.1')).toBe(false);
      serviceEvents.length = 0;

      sut.beat(id, orders, 'DEFAULT', '10.0.0.1', 80, T0 + 17_000);

      expect(healthOf('10.0.0.1')).toBe(true);
      expect(serviceEvents).toHaveLength(1);
      // Registration V0, the flip to unhealthy V0 + 1, the flip back V0 + 2.
      expect(sut.getClient(id)?.revision).toBe(V0 + 2);
      expect(sut.exportClient(id)?.publications[0]).toMatchObject({ version: V0 + 2, writer: 'node-a' });
    });
  });

  describe('checkExpiry', () => {
    it('should keep an instance healthy up to 15 s without a beat and flip it just after', () => {
      registerHttp(orders, '10.0.0.1', 80);

      expect(sut.checkExpiry(T0 + 15_000, everyone)).toEqual({ markedUnhealthy: 0, removed: 0 });
      expect(healthOf('10.0.0.1')).toBe(true);

      expect(sut.checkExpiry(T0 + 15_001, everyone)).toEqual({ markedUnhealthy: 1, removed: 0 });
      expect(healthOf('10.0.0.1')).toBe(false);
      expect(clientEvents.at(-1)).toEqual({
        clientId: '10.0.0.1:80#true',
        revision: V0 + 1,
        removed: false,
        local: true,
      });
    });

    it('should keep an instance up to 30 s without a beat and remove it just after', () => {
      registerHttp(orders, '10.0.0.1', 80);

      expect(sut.checkExpiry(T0 + 30_000, everyone)).toEqual({ markedUnhealthy: 1, removed: 0 });
      expect(sut.checkExpiry(T0 + 30_001, everyone)).toEqual({ markedUnhealthy: 0, removed: 1 });
      expect(sut.getService(orders)).toBeUndefined();
    });

    it('should remove an instance after 30 s without a beat, with its client', () => {
      const id = registerHttp(orders, '10.0.0.1', 80);
      registerHttp(orders, '10.0.0.2', 80, T0 + 10_000);

      expect(sut.checkExpiry(T0 + 30_001, everyone)).toEqual({ markedUnhealthy: 1, removed: 1 });

      expect(sut.listInstances(orders).map((instance) => instance.ip)).toEqual(['10.0.0.2']);
      expect(sut.getClient(id)).toBeUndefined();
      // One expiry round is one operation: the removal and the flip share its version.
      expect(clientEvents.slice(2)).toEqual([
        { clientId: id, revision: V0 + 2, removed: true, local: true },
        { clientId: '10.0.0.2:80#true', revision: V0 + 2, removed: false, local: true },
      ]);
    });

    it('should leave a tombstone for what it removes, so that no older copy brings the instance back', () => {
      const id = registerHttp(orders, '10.0.0.1', 80);
      const registered = sut.exportClient(id)!;

      sut.checkExpiry(T0 + 30_001, everyone);

      expect(sut.exportClient(id)).toEqual({
        clientId: id,
        kind: 'ipport',
        revision: V0 + 1,
        publications: [],
        tombstones: [
          {
            namespace: 'public',
            group: 'DEFAULT_GROUP',
            service: 'orders',
            cluster: 'DEFAULT',
            ip: '10.0.0.1',
            port: 80,
            version: V0 + 1,
            writer: 'node-a',
          },
        ],
      });
      expect(sut.mergeClients([registered], T0 + 30_002)).toBe(0);
      expect(sut.listInstances(orders)).toEqual([]);
    });

    it('should keep an instance that keeps beating', () => {
      const id = registerHttp(orders, '10.0.0.1', 80);
      for (let t = 5_000; t <= 60_000; t += 5_000) {
        sut.beat(id, orders, 'DEFAULT', '10.0.0.1', 80, T0 + t);
        sut.checkExpiry(T0 + t + 1, everyone);
      }

      expect(healthOf('10.0.0.1')).toBe(true);
    });

    it('should only check the clients the caller is responsible for', () => {
      registerHttp(orders, '10.0.0.1', 80);
      registerHttp(orders, '10.0.0.2', 80);
      const asked: string[] = [];

      const report = sut.checkExpiry(T0 + 40_000, (clientId) => {
        asked.push(clientId);
        return clientId.startsWith('10.0.0.1:');
      });

      expect(report).toEqual({ markedUnhealthy: 0, removed: 1 });
      expect(asked.sort()).toEqual(['10.0.0.1:80#true', '10.0.0.2:80#true']);
      expect(sut.listInstances(orders).map((instance) => instance.ip)).toEqual(['10.0.0.2']);
    });

    it('should leave connection clients, persistent instances and fresh instances alone', () => {
      sut.registerInstance('grpc-1', 'connection', orders, { ip: '10.0.0.1', port: 80 }, { now: T0 });
      sut.registerInstance(
        '10.0.0.2:80#false',
        'ipport',
        orders,
        { ip: '10.0.0.2', port: 80, ephemeral: false },
        { now: T0 },
      );
      registerHttp(orders, '10.0.0.3', 80, T0 + 50_000);
      const asked: string[] = [];

      sut.checkExpiry(T0 + 60_000, (clientId) => asked.push(clientId) > 0);

      expect(sut.listInstances(orders, { healthyOnly: true })).toHaveLength(3);
      expect(asked).toEqual([]);
    });

    it('should announce each affected service once for many expired instances', () => {
      for (let n = 1; n <= 5; n++) registerHttp(orders, `10.0.0.${n}`, 80);
      for (let n = 1; n <= 5; n++) registerHttp(payments, `10.0.0.${n}`, 81);
      serviceEvents.length = 0;

      sut.checkExpiry(T0 + 16_000, everyone);

      expect(serviceEvents.map((event) => event.key.name).sort()).toEqual(['orders', 'payments']);
    });

    it('should honour the per-instance heartbeat timeout in metadata', () => {
      sut.registerInstance(
        '10.0.0.1:80#true',
        'ipport',
        orders,
        { ip: '10.0.0.1', port: 80, metadata: { [HEART_BEAT_TIMEOUT_KEY]: '3000' } },
        { now: T0 },
      );

      sut.checkExpiry(T0 + 3_001, everyone);

      expect(healthOf('10.0.0.1')).toBe(false);
    });

    it('should use the timeouts given to the constructor', () => {
      sut = new Registry({ unhealthyAfterMs: 1_000, deleteAfterMs: 2_000 });
      registerHttp(orders, '10.0.0.1', 80);

      expect(sut.checkExpiry(T0 + 1_001, everyone).markedUnhealthy).toBe(1);
      expect(sut.checkExpiry(T0 + 2_001, everyone).removed).toBe(1);
    });
  });

  describe('restartBeatClock', () => {
    it('should judge the instances by their next beat from now on, without counting as a beat or a change', () => {
      const id = registerHttp(orders, '10.0.0.1', 80);
      sut.checkExpiry(T0 + 16_000, everyone);
      expect(healthOf('10.0.0.1')).toBe(false);
      const revision = sut.getClient(id)?.revision;
      clientEvents.length = 0;
      serviceEvents.length = 0;

      expect(sut.restartBeatClock(id, T0 + 20_000)).toBe(true);

      expect(healthOf('10.0.0.1')).toBe(false);
      expect(sut.getClient(id)?.revision).toBe(revision);
      expect([...clientEvents, ...serviceEvents]).toEqual([]);
      // Removed 30 s after the restart, not 30 s after the registration.
      expect(sut.checkExpiry(T0 + 50_000, everyone)).toEqual({ markedUnhealthy: 0, removed: 0 });
      expect(sut.checkExpiry(T0 + 50_001, everyone)).toEqual({ markedUnhealthy: 0, removed: 1 });
      expect(sut.restartBeatClock('nope', T0)).toBe(false);
    });
  });

  describe('setClientExpiry / expireClients', () => {
    const pub = {
      namespace: 'public',
      group: 'DEFAULT_GROUP',
      service: 'orders',
      instance: { ip: '10.0.0.1', port: 80 },
    };

    it('should remove a sync client once its lease expiry has passed, and keep a renewed one', () => {
      sut.replacePublications('sync:a', 'sync', [pub]);
      sut.replacePublications('sync:b', 'sync', [{ ...pub, instance: { ip: '10.0.0.2', port: 80 } }]);
      sut.setClientExpiry('sync:a', T0 + 30_000);
      sut.setClientExpiry('sync:b', T0 + 30_000);
      sut.setClientExpiry('sync:b', T0 + 60_000);

      expect(sut.expireClients(T0 + 29_999)).toEqual([]);
      expect(sut.expireClients(T0 + 30_000)).toEqual(['sync:a']);

      expect(sut.getClient('sync:a')).toBeUndefined();
      expect(sut.listInstances(orders).map((instance) => instance.ip)).toEqual(['10.0.0.2']);
      // Registrations V0 and V0 + 1; the first expiry round removed nothing and stamped nothing.
      expect(clientEvents.at(-1)).toEqual({ clientId: 'sync:a', revision: V0 + 2, removed: true, local: true });
      expect(sut.exportClient('sync:a')).toMatchObject({ floor: V0 + 2, floorWriter: 'node-a' });
    });

    it('should not expire a client whose expiry was cleared, nor an unknown one', () => {
      sut.replacePublications('sync:a', 'sync', [pub]);
      sut.setClientExpiry('sync:a', T0);
      sut.setClientExpiry('sync:a', undefined);

      expect(sut.setClientExpiry('sync:nope', T0)).toBe(false);
      expect(sut.expireClients(T0 + 100_000)).toEqual([]);
      expect(sut.getClient('sync:a')?.expiresAt).toBeUndefined();
    });

    it('should leave the expiry of replica copies to Distro renewals', () => {
      sut.mergeClients(
        [
          {
            clientId: 'sync:a',
            kind: 'sync',
            revision: V0 + 4,
            owner: 'node-b',
            publications: [{ ...pub, version: V0 + 4, writer: 'node-b' }],
            expiresAt: T0,
            metaVersion: V0 + 4,
            metaWriter: 'node-b',
          },
        ],
        T0,
      );

      expect(sut.expireClients(T0 + 1)).toEqual([]);
      expect(sut.getClient('sync:a')).toMatchObject({ expiresAt: T0, local: false });
    });
  });
});
