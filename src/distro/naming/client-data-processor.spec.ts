import { Registry, ipPortClientId } from '@/registry';
import type { ClientSyncData, ServiceKey } from '@/registry';
import { DistroMapper } from '../distro-mapper';
import { ClientDataProcessor } from './client-data-processor';

const orders: ServiceKey = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'orders' };
const SELF = 'a:1';
const PEER = 'b:1';

function data(clientId: string, kind: ClientSyncData['kind'], revision: number, owner?: string): ClientSyncData {
  return {
    clientId,
    kind,
    revision,
    owner,
    publications: [
      { namespace: 'public', group: 'DEFAULT_GROUP', service: 'orders', instance: { ip: '10.0.0.9', port: 1 } },
    ],
  };
}

function ipPort(tag: string): [string, number] {
  const [ip, port] = tag.split(':');
  return [ip, Number(port)];
}

describe(ClientDataProcessor.name, () => {
  let registry: Registry;
  let mapper: DistroMapper;
  let debug: string[];
  let sut: ClientDataProcessor;
  /** An ip:port tag each member is responsible for. */
  let mine: string;
  let theirs: string;

  beforeEach(() => {
    registry = new Registry();
    mapper = new DistroMapper(SELF);
    mapper.update([SELF, PEER]);
    debug = [];
    sut = new ClientDataProcessor(registry, mapper, SELF, 1000, {
      debug: (_f, m) => debug.push(m),
      warn: () => undefined,
    });
    const tags = Array.from({ length: 20 }, (_, i) => `10.0.0.${i + 1}:80`);
    mine = tags.find((t) => mapper.responsible(t) === SELF)!;
    theirs = tags.find((t) => mapper.responsible(t) === PEER)!;
  });

  describe('applySync', () => {
    it('should apply ip-port clients the sender is responsible for and log each one', () => {
      const result = sut.applySync(PEER, { upserts: [data(`${theirs}#true`, 'ipport', 4)], deletes: [] });

      expect(result).toEqual({ applied: 1, rejected: 0 });
      expect(registry.getClient(`${theirs}#true`)).toMatchObject({ local: false, revision: 4 });
      expect(debug).toContain(`Received distro client sync data ${theirs}#true, revision=4`);
    });

    it('should skip the per-client debug lines when debug logging is off', () => {
      const quiet = new ClientDataProcessor(registry, mapper, SELF, 1000, {
        debugEnabled: false,
        debug: (_f, m) => debug.push(m),
        warn: () => undefined,
      });

      const result = quiet.applySync(PEER, { upserts: [data(`${theirs}#true`, 'ipport', 4)], deletes: [] });
      quiet.close();

      expect(result).toEqual({ applied: 1, rejected: 0 });
      expect(debug).toEqual([]);
    });

    it('should refuse clients the sender does not own and change nothing', () => {
      registry.registerInstance('conn-mine', 'connection', orders, { ip: '10.1.0.1', port: 1 }, { owner: SELF });

      const result = sut.applySync(PEER, {
        upserts: [
          data(`${mine}#true`, 'ipport', 1),
          data('conn-x', 'connection', 1, 'c:1'),
          data('conn-mine', 'connection', 9, PEER),
        ],
        deletes: ['conn-mine'],
      });

      expect(result).toEqual({ applied: 0, rejected: 4 });
      expect(registry.getClient(`${mine}#true`)).toBeUndefined();
      expect(registry.getClient('conn-mine')).toMatchObject({ local: true, revision: 1 });
      expect(sut.rejectedTotal).toBe(4);
    });
  });

  describe('applyVerify', () => {
    it('should renew matching copies and answer missing or different ones', () => {
      sut.applySync(PEER, {
        upserts: [data('conn-b', 'connection', 2, PEER), data('conn-c', 'connection', 2, PEER)],
        deletes: [],
      });

      const lacking = sut.applyVerify(PEER, [
        { key: 'conn-b', revision: 2 },
        { key: 'conn-c', revision: 3 },
        { key: 'conn-new', revision: 1 },
      ]);

      expect(lacking).toEqual(['conn-c', 'conn-new']);
    });
  });

  describe('onLocalChange', () => {
    it('should report local writes of owned clients but not data applied from peers', () => {
      const keys: string[] = [];
      sut.onLocalChange((key) => keys.push(key));
      const [ip, port] = mine.split(':');

      registry.registerInstance(ipPortClientId(ip, Number(port)), 'ipport', orders, { ip: ip, port: Number(port) });
      registry.registerInstance('conn-1', 'connection', orders, { ip: '10.1.0.2', port: 1 }, { owner: SELF });
      sut.applySync(PEER, { upserts: [data('conn-b', 'connection', 1, PEER)], deletes: [] });
      registry.removeClient('conn-1');

      expect(keys).toEqual([`${mine}#true`, 'conn-1', 'conn-1']);
    });
  });

  describe('ownedEntries', () => {
    it('should list ip-port clients hashed here and connection clients held here', () => {
      const [ip, port] = mine.split(':');
      registry.registerInstance(ipPortClientId(ip, Number(port)), 'ipport', orders, { ip: ip, port: Number(port) });
      registry.registerInstance('conn-1', 'connection', orders, { ip: '10.1.0.2', port: 1 }, { owner: SELF });
      sut.applySync(PEER, { upserts: [data(`${theirs}#true`, 'ipport', 1)], deletes: [] });

      expect(
        sut
          .ownedEntries()
          .map((e) => e.key)
          .sort(),
      ).toEqual([`${mine}#true`, 'conn-1'].sort());
      expect(sut.counts()).toEqual({ owned: 2, replicated: 1 });
    });
  });

  describe('responsibilityChanged', () => {
    let now: number;
    let timed: ClientDataProcessor;
    /** The peer's ip-port client, run here while the peer was down. */
    let clientId: string;

    beforeEach(() => {
      now = 1_000_000;
      const log = { debug: () => undefined, warn: () => undefined };
      timed = new ClientDataProcessor(registry, mapper, SELF, 1000, log, () => now);
      // The peer is down: this node runs the peer's client (a write or beat handled here).
      mapper.update([SELF]);
      timed.responsibilityChanged();
      const [ip, port] = theirs.split(':');
      clientId = ipPortClientId(ip, Number(port));
      registry.registerInstance(clientId, 'ipport', orders, { ip, port: Number(port) }, { now });
      expect(registry.getClient(clientId)?.local).toBe(true);
    });

    it('should turn an ip-port client run here into a replica once its own node is back, so a deletion refused meanwhile cannot leave it forever', () => {
      // The peer is back and responsible again; it deleted the client while this node still saw it down.
      mapper.update([SELF, PEER]);
      timed.responsibilityChanged();
      expect(registry.getClient(clientId)?.local).toBe(false);

      // Not renewed by the peer's verify: it expires like any replica.
      now += 500;
      expect(timed.expireReplicas(now)).toBe(0);
      now += 1000;
      expect(timed.expireReplicas(now)).toBe(1);
      expect(registry.getClient(clientId)).toBeUndefined();
      expect(registry.listInstances(orders)).toEqual([]);
    });

    it('should hand such a client back to its node, with what was written here', () => {
      registry.updateInstance(clientId, orders, 'DEFAULT', ...ipPort(theirs), { metadata: { version: 'new' } });

      mapper.update([SELF, PEER]);
      const handovers = timed.responsibilityChanged();

      expect([...handovers.keys()]).toEqual([PEER]);
      expect(handovers.get(PEER)).toEqual([
        expect.objectContaining({
          clientId,
          kind: 'ipport',
          publications: [
            expect.objectContaining({ instance: expect.objectContaining({ metadata: { version: 'new' } }) }),
          ],
        }),
      ]);
    });

    it('should keep such a client when the responsible node renews it', () => {
      const revision = registry.getClient(clientId)!.revision;
      mapper.update([SELF, PEER]);
      timed.responsibilityChanged();

      now += 800;
      expect(timed.applyVerify(PEER, [{ key: clientId, revision }])).toEqual([]);
      now += 800;
      expect(timed.expireReplicas(now)).toBe(0);
      expect(registry.getClient(clientId)).toMatchObject({ local: false });
    });
  });

  describe('applyHandover', () => {
    /** A copy of the ip-port client at `tag` with one instance carrying `version`. */
    const copy = (tag: string, version: string, revision = 3): ClientSyncData => {
      const [ip, port] = ipPort(tag);
      return {
        clientId: ipPortClientId(ip, port),
        kind: 'ipport',
        revision,
        publications: [
          {
            namespace: 'public',
            group: 'DEFAULT_GROUP',
            service: 'orders',
            instance: { ip, port, metadata: { version } },
          },
        ],
      };
    };
    const versionOf = (tag: string): unknown =>
      registry.listInstances(orders).find((i) => `${i.ip}:${i.port}` === tag)?.metadata.version;

    it('should take a handed-back client over its copy from a snapshot, as its own change', () => {
      // This node restarted and loaded the older copy (a replica, as every snapshot client is).
      registry.applyClientSync({ ...copy(mine, 'old', 5) });
      const changed: Array<{ clientId: string; local: boolean }> = [];
      registry.events.on('clientChanged', (e) => changed.push(e));

      const result = sut.applyHandover(PEER, [copy(mine, 'new', 4)]);

      expect(result).toEqual({ applied: 1, rejected: 0 });
      expect(versionOf(mine)).toBe('new');
      const held = registry.getClient(copy(mine, 'new').clientId)!;
      expect(held.local).toBe(true);
      expect(held.revision).toBeGreaterThan(5);
      // A local change: the engine sends it to every peer from here.
      expect(changed).toEqual([expect.objectContaining({ clientId: held.id, local: true })]);
    });

    it('should take a handed-back client it does not hold at all', () => {
      expect(sut.applyHandover(PEER, [copy(mine, 'new')])).toEqual({ applied: 1, rejected: 0 });
      expect(versionOf(mine)).toBe('new');
    });

    it('should keep its own copy when it changed the client itself since', () => {
      const [ip, port] = ipPort(mine);
      registry.registerInstance(ipPortClientId(ip, port), 'ipport', orders, {
        ip,
        port,
        metadata: { version: 'mine' },
      });

      expect(sut.applyHandover(PEER, [copy(mine, 'theirs')])).toEqual({ applied: 0, rejected: 1 });
      expect(versionOf(mine)).toBe('mine');
    });

    it('should refuse clients it is not responsible for, and any but ip-port clients', () => {
      const connection: ClientSyncData = { ...data('conn-9', 'connection', 1, PEER) };

      expect(sut.applyHandover(PEER, [copy(theirs, 'x'), connection])).toEqual({ applied: 0, rejected: 2 });
      expect(registry.getClient(copy(theirs, 'x').clientId)).toBeUndefined();
      expect(registry.getClient('conn-9')).toBeUndefined();
    });
  });
});
