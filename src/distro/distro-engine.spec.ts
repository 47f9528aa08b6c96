import { DistroEngine } from './distro-engine';
import type { DistroEngineOptions } from './distro-engine';
import { DistroMapper } from './distro-mapper';
import { DistroMembers } from './distro-members';
import { PeerCallError } from './distro-types';
import type {
  DistroDataProcessor,
  DistroTransport,
  EncodedBatch,
  SyncBatch,
  SyncResult,
  VerifyEntry,
} from './distro-types';

interface Item {
  key: string;
  revision: number;
}

/** A data side that holds plain items; what it owns is what `owned` says. */
class FakeProcessor implements DistroDataProcessor<Item> {
  readonly type = 'Test:Item';
  readonly owned = new Map<string, Item>();
  readonly loaded: Item[] = [];
  /** What the next responsibilityChanged hands back, per member. */
  handovers = new Map<string, Item[]>();
  private listener: (key: string) => void = () => undefined;

  change(key: string, revision: number | undefined): void {
    if (revision === undefined) this.owned.delete(key);
    else this.owned.set(key, { key, revision });
    this.listener(key);
  }
  get(key: string): Item | 'deleted' | 'not-owned' {
    return this.owned.get(key) ?? 'deleted';
  }
  stamp(key: string): string | undefined {
    const item = this.owned.get(key);
    return item && String(item.revision);
  }
  ownedEntries(): VerifyEntry[] {
    return [...this.owned.values()].map((i) => ({ key: i.key, revision: i.revision }));
  }
  applySync(): SyncResult {
    return { applied: 0, rejected: 0 };
  }
  applyVerify(): string[] {
    return [];
  }
  responsibilityChanged(): Map<string, Item[]> {
    const handovers = this.handovers;
    this.handovers = new Map();
    return handovers;
  }
  snapshot(): Iterable<Item> {
    return [];
  }
  loadSnapshot(items: readonly Item[]): void {
    this.loaded.push(...items);
  }
  expireReplicas(): number {
    return 0;
  }
  onLocalChange(listener: (key: string) => void): () => void {
    this.listener = listener;
    return () => (this.listener = () => undefined);
  }
}

/** A transport whose peers are scripted per test; records every call. */
class FakeTransport implements DistroTransport<Item> {
  readonly syncs: Array<{ peer: string; batch: SyncBatch<Item>; handover: boolean }> = [];
  /** Handover calls refused (the member still loading its snapshot) before one is taken. */
  refuseHandovers = 0;
  handoverAttempts = 0;
  /** Every encoded item, in order. */
  readonly encoded: Item[] = [];
  readonly verifies: Array<{ peer: string; entries: readonly VerifyEntry[] }> = [];
  lacking = new Set<string>();
  snapshotOf: (peer: string) => Item[] | PeerCallError = () => new PeerCallError('refused', 'connect ECONNREFUSED');

  encode(item: Item): Uint8Array {
    this.encoded.push(item);
    return Buffer.from(JSON.stringify(item));
  }
  sync(peer: string, encoded: EncodedBatch, handover = false) {
    if (handover && ++this.handoverAttempts <= this.refuseHandovers) {
      return Promise.reject(new PeerCallError('peer not initialized', 'loading its snapshot'));
    }
    const upserts = encoded.upserts.map((bytes) => JSON.parse(Buffer.from(bytes).toString()) as Item);
    const batch = { upserts, deletes: encoded.deletes };
    this.syncs.push({ peer, batch, handover });
    return Promise.resolve({ applied: batch.upserts.length + batch.deletes.length, rejected: 0, bytes: 10 });
  }
  verify(peer: string, entries: readonly VerifyEntry[]) {
    this.verifies.push({ peer, entries });
    return Promise.resolve(entries.filter((e) => this.lacking.has(e.key)).map((e) => e.key));
  }
  snapshot(peer: string, onChunk: (items: Item[]) => void) {
    const answer = this.snapshotOf(peer);
    if (answer instanceof PeerCallError) return Promise.reject(answer);
    onChunk(answer);
    return Promise.resolve();
  }
  probe() {
    return Promise.resolve({ initialized: true });
  }
}

const options: DistroEngineOptions = {
  syncDelayMs: 5,
  verifyIntervalMs: 60_000,
  probeIntervalMs: 60_000,
  bootstrapWaitMs: 60_000,
  allowFirstNode: false,
  loadRetryMs: 10,
  loadRetryMaxMs: 20,
  verifyChunk: 2,
  maxSyncBatch: 100,
  maxInFlight: 2,
  encodedCacheBytes: 1024,
};

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe(DistroEngine.name, () => {
  let processor: FakeProcessor;
  let transport: FakeTransport;
  let lines: Array<{ level: string; message: string; fields: Record<string, unknown> }>;
  let sut: DistroEngine<Item>;

  function build(overrides: Partial<DistroEngineOptions> = {}, clustered = true): DistroEngine<Item> {
    const log = (level: string) => (fields: Record<string, unknown>, message: string) =>
      lines.push({ level, message, fields });
    const members = new DistroMembers('a:1', { info: log('info') });
    members.setPeers(['b:1', 'c:1']);
    return new DistroEngine(
      members,
      new DistroMapper('a:1'),
      transport,
      processor,
      { ...options, ...overrides },
      { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
      {},
      clustered,
    );
  }

  beforeEach(() => {
    processor = new FakeProcessor();
    transport = new FakeTransport();
    lines = [];
  });

  afterEach(() => sut.stop());

  describe('sync', () => {
    it('should send each peer the current data of changed keys, coalesced, deletes included', async () => {
      sut = build({}, false);
      processor.change('x', 1);
      processor.change('x', 2);
      processor.change('y', 1);
      processor.change('y', undefined);

      await until(() => transport.syncs.length === 2);

      for (const call of transport.syncs)
        expect(call.batch).toEqual({ upserts: [{ key: 'x', revision: 2 }], deletes: ['y'] });
      expect(transport.syncs.map((c) => c.peer).sort()).toEqual(['b:1', 'c:1']);
    });

    it('should encode each change once and send the same bytes to every peer', async () => {
      sut = build({}, false);
      processor.change('x', 1);
      await until(() => transport.syncs.length === 2);

      processor.change('x', 2);
      await until(() => transport.syncs.length === 4);

      expect(transport.encoded).toEqual([
        { key: 'x', revision: 1 },
        { key: 'x', revision: 2 },
      ]);
      expect(transport.syncs.slice(2).map((c) => c.batch.upserts)).toEqual([
        [{ key: 'x', revision: 2 }],
        [{ key: 'x', revision: 2 }],
      ]);
    });
  });

  describe('handover', () => {
    it('should send what the processor hands back to the member now responsible, retrying while it refuses', async () => {
      processor.handovers = new Map([['c:1', [{ key: 'k', revision: 3 }]]]);
      transport.refuseHandovers = 2;

      sut = build({ loadRetryMs: 5 });
      await until(() => transport.syncs.some((s) => s.handover));

      expect(transport.syncs).toEqual([
        { peer: 'c:1', batch: { upserts: [{ key: 'k', revision: 3 }], deletes: [] }, handover: true },
      ]);
      expect(transport.handoverAttempts).toBe(3);
      await until(() => lines.some((l) => l.message.startsWith('Distro handover to c:1: 1 client(s) taken')));
    });

    it('should give up with a warning when the member keeps refusing, leaving its copies as they are', async () => {
      processor.handovers = new Map([['b:1', [{ key: 'k', revision: 3 }]]]);
      transport.refuseHandovers = 1000;

      sut = build({ loadRetryMs: 1 });

      await until(() => lines.some((l) => l.level === 'warn' && l.message.startsWith('Distro handover to b:1 failed')));
      expect(transport.handoverAttempts).toBe(20);
      expect(transport.syncs).toEqual([]);
    });
  });

  describe('verifyRound', () => {
    it('should send one call per chunk per peer and push what a peer lacks', async () => {
      sut = build({}, false);
      for (const key of ['k1', 'k2', 'k3']) processor.owned.set(key, { key, revision: 1 });
      transport.lacking = new Set(['k2']);

      await sut.verifyRound();
      await until(() => transport.syncs.length === 2);

      // 3 keys in chunks of 2 → 2 calls per peer.
      expect(transport.verifies).toHaveLength(4);
      expect(transport.syncs.every((c) => c.batch.upserts[0]?.key === 'k2')).toBe(true);
    });
  });

  describe('snapshot loading', () => {
    it('should stay closed, log DISTRO-INIT with the reason for each failed peer, and open after a snapshot', async () => {
      sut = build();
      let answer: Item[] | PeerCallError = new PeerCallError('unauthenticated', 'bad token');
      transport.snapshotOf = () => answer;
      sut.start();

      await until(() => lines.filter((l) => l.message.startsWith('[DISTRO-INIT]')).length >= 4);
      expect(sut.initialized()).toBe(false);
      expect(lines).toContainEqual(
        expect.objectContaining({
          level: 'error',
          message: '[DISTRO-INIT] load snapshot Test:Item from b:1 failed. reason: unauthenticated',
          fields: expect.objectContaining({ reason: 'unauthenticated' }),
        }),
      );

      answer = [{ key: 'z', revision: 3 }];
      await until(() => sut.initialized());
      expect(processor.loaded).toEqual([{ key: 'z', revision: 3 }]);
    });

    it('should open as the first node only when allowed and no peer answered within the bootstrap wait', async () => {
      sut = build({ allowFirstNode: true, bootstrapWaitMs: 50 });
      sut.start();

      await until(() => sut.initialized());

      expect(lines.some((l) => l.message.includes('opening as the first node'))).toBe(true);
    });

    it('should not open as the first node when a peer refuses our token', async () => {
      sut = build({ allowFirstNode: true, bootstrapWaitMs: 0 });
      transport.snapshotOf = () => new PeerCallError('unauthenticated', 'bad token');
      sut.start();

      await new Promise((resolve) => setTimeout(resolve, 100));

      expect(sut.initialized()).toBe(false);
      expect(sut.initState()).toContain('Distro protocol is not initialized');
    });
  });
});
