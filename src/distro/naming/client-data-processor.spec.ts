import { Registry, ipPortClientId } from '@/registry';
import type { ClientSyncData, ServiceKey } from '@/registry';
import { DistroMapper } from '../distro-mapper';
import { ClientDataProcessor, bucketCount, bucketOf } from './client-data-processor';

const orders: ServiceKey = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'orders' };
const A = 'a:1';
const B = 'b:1';
const OPTIONS = { replicaExpireMs: 1000, tombstoneTtlMs: 60_000, maxClockSkewMs: 5000 };

interface Node {
  id: string;
  registry: Registry;
  mapper: DistroMapper;
  processor: ClientDataProcessor;
  debug: string[];
  warn: string[];
}

function node(id: string, clock: () => number = Date.now): Node {
  const registry = new Registry({ nodeId: id, clock });
  const mapper = new DistroMapper(id);
  mapper.update([A, B]);
  const debug: string[] = [];
  const warn: string[] = [];
  const processor = new ClientDataProcessor(
    registry,
    mapper,
    id,
    OPTIONS,
    { debug: (_f, m) => debug.push(m), warn: (_f, m) => warn.push(m) },
    clock,
  );
  return { id, registry, mapper, processor, debug, warn };
}

/** Everything `from` speaks for, merged into `to`, as a sync call would carry it. */
function syncAll(from: Node, to: Node): void {
  const items: ClientSyncData[] = [];
  for (const client of from.registry.replicatedClients()) {
    const item = from.processor.get(client.id);
    if (typeof item === 'object') items.push(item);
  }
  to.processor.applySync(from.id, to.processor.decode(items.map((i) => from.processor.encode(i))));
}

/** One verify round from `from` to `to`, both steps, with the pushes either way applied. */
function verify(from: Node, to: Node): { mismatched: number[]; lacking: string[]; push: string[] } {
  const digests = from.processor.bucketDigests();
  const mismatched = to.processor.compareBuckets(from.id, digests);
  if (mismatched.length === 0) return { mismatched, lacking: [], push: [] };
  const entries = [...from.processor.entriesIn(digests.buckets, mismatched).values()].flat();
  const { lacking, push } = to.processor.compareEntries(from.id, digests.buckets, mismatched, entries);
  const send = (a: Node, b: Node, keys: string[]) => {
    const items = keys.map((k) => a.processor.get(k)).filter((i): i is ClientSyncData => typeof i === 'object');
    b.processor.applySync(a.id, items);
  };
  send(from, to, lacking);
  send(to, from, push);
  return { mismatched, lacking, push };
}

/** The listed instances, in address order (listing order follows each node's own insertions). */
function content(n: Node): string {
  return JSON.stringify(
    n.registry
      .listInstances(orders)
      .map((i) => i.toJSON())
      .sort((x, y) => `${x.ip}:${x.port}`.localeCompare(`${y.ip}:${y.port}`)),
  );
}

describe(ClientDataProcessor.name, () => {
  let a: Node;
  let b: Node;

  beforeEach(() => {
    a = node(A);
    b = node(B);
  });

  afterEach(() => {
    a.processor.close();
    b.processor.close();
  });

  describe('applySync', () => {
    it('should merge a copy from any member and log each client', () => {
      a.registry.registerInstance(ipPortClientId('10.0.0.1', 80), 'ipport', orders, { ip: '10.0.0.1', port: 80 });

      syncAll(a, b);

      const copy = b.registry.getClient(ipPortClientId('10.0.0.1', 80));
      expect(copy).toMatchObject({
        local: false,
        revision: a.registry.getClient(ipPortClientId('10.0.0.1', 80))!.revision,
      });
      expect(content(b)).toBe(content(a));
      expect(b.debug.some((m) => m.startsWith(`Received distro client sync data 10.0.0.1:80#true, revision=`))).toBe(
        true,
      );
    });

    it('should skip the per-client debug lines when debug logging is off', () => {
      const quiet = new ClientDataProcessor(new Registry({ nodeId: B }), b.mapper, B, OPTIONS, {
        debugEnabled: false,
        debug: () => {
          throw new Error('debug line built');
        },
        warn: () => undefined,
      });
      a.registry.registerInstance('10.0.0.1:80#true', 'ipport', orders, { ip: '10.0.0.1', port: 80 });
      const item = a.processor.get('10.0.0.1:80#true') as ClientSyncData;

      expect(quiet.applySync(A, [item])).toEqual({ applied: 1 });
      quiet.close();
    });

    it('should keep a newer write over an older copy, and a deregistration over the registration it withdrew', () => {
      const id = ipPortClientId('10.0.0.1', 80);
      a.registry.registerInstance(id, 'ipport', orders, { ip: '10.0.0.1', port: 80, metadata: { v: '1' } });
      const old = a.processor.get(id) as ClientSyncData;
      syncAll(a, b);
      b.registry.updateInstance(id, orders, 'DEFAULT', '10.0.0.1', 80, { metadata: { v: '2' } });
      a.processor.applySync(B, [b.processor.get(id) as ClientSyncData]);
      b.registry.deregisterInstance(id, orders, 'DEFAULT', '10.0.0.1', 80);

      // The old registration arrives late at b: it stays withdrawn.
      expect(b.processor.applySync(A, [old])).toEqual({ applied: 0 });
      expect(b.registry.listInstances(orders)).toEqual([]);
      // a takes the withdrawal (carried by b's ghost of the client).
      a.processor.applySync(B, [b.processor.get(id) as ClientSyncData]);
      expect(a.registry.listInstances(orders)).toEqual([]);
    });

    it('should leave out only the records that break the text rule, count and warn, and apply the rest (issue 16)', () => {
      // A peer of an older version may hold what the edges now refuse; its registry accepts anything.
      const mixed = ipPortClientId('10.0.0.1', 80);
      a.registry.registerInstance(mixed, 'ipport', orders, { ip: '10.0.0.1', port: 80, metadata: { ok: 'a\nb' } });
      a.registry.registerInstance(mixed, 'ipport', orders, { ip: '10.0.0.1', port: 80, clusterName: 'C\u0085' });
      a.registry.registerInstance(mixed, 'ipport', orders, {
        ip: '10.0.0.1',
        port: 80,
        clusterName: 'NUL',
        metadata: { k: 'a\u0000b' },
      });
      const badName = ipPortClientId('10.0.0.2', 80);
      a.registry.registerInstance(badName, 'ipport', { ...orders, name: 'orders\u0001' }, { ip: '10.0.0.2', port: 80 });
      const good = ipPortClientId('10.0.0.3', 80);
      a.registry.registerInstance(good, 'ipport', orders, { ip: '10.0.0.3', port: 80 });
      const badId = 'conn\u0007-1';
      a.registry.registerInstance(badId, 'connection', orders, { ip: '10.0.0.4', port: 80 }, { owner: A });

      syncAll(a, b);

      const held = b.registry
        .listInstances(orders)
        .map((i) => `${i.ip}:${i.port} ${i.clusterName} ${JSON.stringify(i.metadata)}`)
        .sort();
      expect(held).toEqual(['10.0.0.1:80 DEFAULT {"ok":"a\\nb"}', '10.0.0.3:80 DEFAULT {}']);
      expect(b.registry.getClient(badName)).toBeUndefined();
      expect(b.registry.getClient(badId)).toBeUndefined();
      expect(b.processor.rejectedRecords).toBe(4);
      expect(b.warn).toEqual(
        expect.arrayContaining([
          'Distro left out publication "public/DEFAULT_GROUP/orders 10.0.0.1:80" of client "10.0.0.1:80#true" from a:1: it breaks the text rule (clusterName: must not contain control characters)',
          'Distro left out client "conn\\u0007-1" from a:1: it breaks the text rule (clientId: must not contain control characters)',
        ]),
      );
      // One line per client a minute: the second publication of 10.0.0.1:80 left out is counted, not logged again.
      expect(b.warn.filter((m) => m.includes('"10.0.0.1:80#true"'))).toHaveLength(1);

      // A snapshot is held to the same rule.
      const c = node('c:1');
      c.processor.loadSnapshot(c.processor.decode([...a.processor.snapshot()].map((i) => a.processor.encode(i))));
      expect(
        c.registry
          .listInstances(orders)
          .map((i) => `${i.ip}:${i.port}`)
          .sort(),
      ).toEqual(['10.0.0.1:80', '10.0.0.3:80']);
      c.processor.close();
    });

    it('should warn once when a peer writes versions far ahead of this node clock', () => {
      const later = node(B, () => Date.now() + 60_000);
      later.registry.registerInstance('10.0.0.1:80#true', 'ipport', orders, { ip: '10.0.0.1', port: 80 });
      syncAll(later, a);
      later.registry.registerInstance('10.0.0.2:80#true', 'ipport', orders, { ip: '10.0.0.2', port: 80 });
      syncAll(later, a);

      expect(a.warn.filter((m) => m.includes('ahead of this node'))).toHaveLength(1);
      later.processor.close();
    });

    it("should not take a copy of a connection client naming this node as owner that it does not run (an earlier run's)", () => {
      const stale: ClientSyncData = {
        clientId: 'conn-old',
        kind: 'connection',
        revision: 2048,
        owner: A,
        metaVersion: 2048,
        metaWriter: A,
        publications: [
          {
            namespace: 'public',
            group: 'DEFAULT_GROUP',
            service: 'orders',
            instance: { ip: '10.0.0.9', port: 1 },
            version: 2048,
            writer: A,
          },
        ],
      };

      expect(a.processor.applySync(B, [stale])).toEqual({ applied: 0 });
      expect(a.registry.getClient('conn-old')).toBeUndefined();
    });
  });

  describe('get', () => {
    it('should speak for every ip-port client and only for the connection clients this node owns', () => {
      a.registry.registerInstance('10.0.0.1:80#true', 'ipport', orders, { ip: '10.0.0.1', port: 80 });
      a.registry.registerInstance('conn-a', 'connection', orders, { ip: '10.0.0.2', port: 1 }, { owner: A });
      syncAll(a, b);

      expect(b.processor.get('10.0.0.1:80#true')).toMatchObject({ clientId: '10.0.0.1:80#true' });
      expect(b.processor.get('conn-a')).toBe('not-owned');
      expect(a.processor.get('conn-a')).toMatchObject({ clientId: 'conn-a', owner: A });
      expect(a.processor.get('nobody')).toBe('unknown');
    });

    it('should send a deregistered ip-port client as its tombstone', () => {
      a.registry.registerInstance('10.0.0.1:80#true', 'ipport', orders, { ip: '10.0.0.1', port: 80 });
      a.registry.deregisterInstance('10.0.0.1:80#true', orders, 'DEFAULT', '10.0.0.1', 80);

      const item = a.processor.get('10.0.0.1:80#true') as ClientSyncData;
      expect(item.publications).toEqual([]);
      expect(item.tombstones).toEqual([expect.objectContaining({ ip: '10.0.0.1', port: 80, writer: A })]);
    });
  });

  describe('stamp', () => {
    it('should change whenever what get returns changes: a local write, a merged copy, tombstones purged', () => {
      const payments: ServiceKey = { ...orders, name: 'payments' };
      const id = '10.0.0.1:80#true';
      a.registry.registerInstance(id, 'ipport', orders, { ip: '10.0.0.1', port: 80 });
      a.registry.registerInstance(id, 'ipport', payments, { ip: '10.0.0.1', port: 80 });
      const first = a.processor.stamp(id);
      expect(a.processor.stamp(id)).toBe(first);

      a.registry.deregisterInstance(id, orders, 'DEFAULT', '10.0.0.1', 80);
      const deregistered = a.processor.stamp(id);
      expect(deregistered).not.toBe(first);

      syncAll(a, b);
      b.registry.updateInstance(id, payments, 'DEFAULT', '10.0.0.1', 80, { weight: 3 });
      syncAll(b, a);
      const merged = a.processor.stamp(id);
      expect(merged).not.toBe(deregistered);

      // Purging the tombstone changes the client without an event: the stamp must move all the same.
      expect(a.processor.expire(Date.now() + OPTIONS.tombstoneTtlMs + 1000).tombstones).toBe(1);
      expect((a.processor.get(id) as ClientSyncData).tombstones).toBeUndefined();
      expect(a.processor.stamp(id)).not.toBe(merged);
    });

    it('should be undefined for a client this node does not speak for', () => {
      a.registry.registerInstance('conn-a', 'connection', orders, { ip: '10.0.0.2', port: 1 }, { owner: A });
      syncAll(a, b);

      expect(b.processor.stamp('conn-a')).toBeUndefined();
      expect(b.processor.stamp('nobody')).toBeUndefined();
    });
  });

  describe('verify', () => {
    it('should find nothing to do in one call when both hold the same', () => {
      for (let i = 1; i <= 40; i++) {
        a.registry.registerInstance(ipPortClientId(`10.0.1.${i}`, 80), 'ipport', orders, {
          ip: `10.0.1.${i}`,
          port: 80,
        });
      }
      syncAll(a, b);

      expect(verify(a, b).mismatched).toEqual([]);
      expect(verify(b, a).mismatched).toEqual([]);
    });

    it('should repair both sides in one round when each holds writes the other missed', () => {
      for (let i = 1; i <= 40; i++) {
        a.registry.registerInstance(ipPortClientId(`10.0.1.${i}`, 80), 'ipport', orders, {
          ip: `10.0.1.${i}`,
          port: 80,
        });
      }
      syncAll(a, b);
      // A partition: each side writes alone.
      a.registry.registerInstance(ipPortClientId('10.0.2.1', 80), 'ipport', orders, { ip: '10.0.2.1', port: 80 });
      a.registry.deregisterInstance(ipPortClientId('10.0.1.1', 80), orders, 'DEFAULT', '10.0.1.1', 80);
      b.registry.registerInstance(ipPortClientId('10.0.3.1', 80), 'ipport', orders, { ip: '10.0.3.1', port: 80 });
      b.registry.updateInstance(ipPortClientId('10.0.1.2', 80), orders, 'DEFAULT', '10.0.1.2', 80, { weight: 7 });

      const round = verify(a, b);

      expect(round.mismatched.length).toBeGreaterThan(0);
      expect(content(a)).toBe(content(b));
      const ips = b.registry.listInstances(orders).map((i) => `${i.ip}:${i.weight}`);
      expect(ips).toEqual(expect.arrayContaining(['10.0.2.1:1', '10.0.3.1:1', '10.0.1.2:7']));
      expect(ips.some((x) => x.startsWith('10.0.1.1:'))).toBe(false);
      expect(verify(a, b).mismatched).toEqual([]);
    });

    it("should forget a connection replica its owner's listing leaves out, and renew those it keeps", () => {
      a.registry.registerInstance('conn-1', 'connection', orders, { ip: '10.0.0.1', port: 1 }, { owner: A });
      a.registry.registerInstance('conn-2', 'connection', orders, { ip: '10.0.0.2', port: 1 }, { owner: A });
      syncAll(a, b);
      // a lost conn-2 (it restarted, say) without b hearing of it.
      const restarted = node(A);
      restarted.registry.registerInstance('conn-1', 'connection', orders, { ip: '10.0.0.1', port: 1 }, { owner: A });
      syncAll(restarted, b);

      verify(restarted, b);

      expect(b.registry.getClient('conn-2')).toBeUndefined();
      expect(b.registry.getClient('conn-1')).toBeDefined();
      restarted.processor.close();
    });

    it('should forget connection replicas their owner stopped confirming, never ip-port ones', () => {
      a.registry.registerInstance('conn-1', 'connection', orders, { ip: '10.0.0.1', port: 1 }, { owner: A });
      a.registry.registerInstance('10.0.0.2:80#true', 'ipport', orders, { ip: '10.0.0.2', port: 80 });
      syncAll(a, b);

      const gone = b.processor.expire(Date.now() + OPTIONS.replicaExpireMs + 1000);

      expect(gone.replicas).toBe(1);
      expect(b.registry.getClient('conn-1')).toBeUndefined();
      expect(b.registry.getClient('10.0.0.2:80#true')).toBeDefined();
    });

    it('should drop tombstones past their window', () => {
      a.registry.registerInstance('10.0.0.2:80#true', 'ipport', orders, { ip: '10.0.0.2', port: 80 });
      a.registry.deregisterInstance('10.0.0.2:80#true', orders, 'DEFAULT', '10.0.0.2', 80);
      expect(a.processor.counts()).toMatchObject({ tombstones: 1, removedClients: 1 });

      expect(a.processor.expire(Date.now() + OPTIONS.tombstoneTtlMs + 1000).tombstones).toBe(1);
      expect(a.processor.counts()).toMatchObject({ tombstones: 0, removedClients: 0 });
      expect(a.processor.get('10.0.0.2:80#true')).toBe('unknown');
    });
  });

  describe('buckets', () => {
    it('should size buckets by clients and spread ids over them', () => {
      expect(bucketCount(0)).toBe(16);
      expect(bucketCount(10_200)).toBe(2048);
      expect(bucketCount(10_000_000)).toBe(4096);
      const used = new Set(Array.from({ length: 200 }, (_, i) => bucketOf(`10.0.${i}.1:80#true`, 16)));
      expect(used.size).toBe(16);
    });

    it('should compute the digests again after any change, and reuse them while nothing changed', () => {
      // A second processor over the same registry, asked once per step, computes them afresh each time.
      const fresh = () => {
        const other = new ClientDataProcessor(a.registry, a.mapper, A, OPTIONS, { debug() {}, warn() {} });
        const digests = other.bucketDigests();
        other.close();
        return digests;
      };
      const id = ipPortClientId('10.0.0.1', 80);
      const steps: Array<() => void> = [
        () => a.registry.registerInstance(id, 'ipport', orders, { ip: '10.0.0.1', port: 80 }),
        () => a.registry.registerInstance(id, 'ipport', orders, { ip: '10.0.0.2', port: 80 }),
        () => a.registry.deregisterInstance(id, orders, 'DEFAULT', '10.0.0.1', 80),
        () => a.registry.replacePublications('conn-1', 'connection', [], { owner: A }),
        () => a.registry.removeClient(id),
        () => a.processor.expire(Date.now() + 2 * OPTIONS.tombstoneTtlMs),
      ];
      const seen = [a.processor.bucketDigests()];
      for (const step of steps) {
        step();
        const digests = a.processor.bucketDigests();
        expect(digests).toEqual(fresh());
        const walks = jest.spyOn(a.registry, 'replicatedClients');
        expect(a.processor.bucketDigests()).toEqual(digests);
        expect(walks).not.toHaveBeenCalled();
        walks.mockRestore();
        seen.push(digests);
      }

      // Every step changed the digests, except the connection that publishes nothing; the purge past the
      // window left nothing, as at the start.
      const distinct = seen.map((d) => d.digests.join(','));
      expect(new Set(distinct).size).toBe(5);
      expect(distinct[4]).toBe(distinct[3]);
      expect(distinct[6]).toBe(distinct[0]);
      // Callers get their own copy.
      a.processor.bucketDigests().digests.fill(0);
      expect(a.processor.bucketDigests()).toEqual(fresh());
    });
  });

  describe('onLocalChange', () => {
    it('should report local writes of clients it speaks for, not data merged from peers', () => {
      const seen: string[] = [];
      a.processor.onLocalChange((key) => seen.push(key));
      b.registry.registerInstance('10.0.0.5:80#true', 'ipport', orders, { ip: '10.0.0.5', port: 80 });
      syncAll(b, a);
      a.registry.registerInstance('10.0.0.6:80#true', 'ipport', orders, { ip: '10.0.0.6', port: 80 });
      a.registry.registerInstance('conn-a', 'connection', orders, { ip: '10.0.0.7', port: 1 }, { owner: A });

      expect(seen).toEqual(['10.0.0.6:80#true', 'conn-a']);
    });
  });

  describe('responsibilityChanged', () => {
    it('should restart the heartbeat clock of ip-port clients it has just become responsible for, keeping their health', () => {
      const tags = Array.from({ length: 20 }, (_, i) => `10.0.0.${i + 1}:80`);
      const theirs = tags.find((t) => a.mapper.responsible(t) === B)!;
      const [ip, port] = theirs.split(':');
      a.processor.responsibilityChanged();
      b.registry.registerInstance(`${theirs}#true`, 'ipport', orders, { ip, port: Number(port), healthy: false });
      syncAll(b, a);
      const restart = jest.spyOn(a.registry, 'restartBeatClock');

      a.mapper.update([A]);
      a.processor.responsibilityChanged();

      expect(restart).toHaveBeenCalledWith(`${theirs}#true`, expect.any(Number));
      expect(a.registry.getInstance(orders, 'DEFAULT', ip, Number(port))?.healthy).toBe(false);
    });
  });
});
