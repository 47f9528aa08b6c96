import { DistroEngine } from './distro-engine';
import type { DistroCodec, DistroEngineOptions } from './distro-engine';
import { DistroMapper } from './distro-mapper';
import { DistroMembers } from './distro-members';
import { PeerCallError } from './distro-types';
import type { BucketDigests, DistroDataProcessor, DistroTransport, SyncResult, VerifyEntry } from './distro-types';

interface Item {
  key: string;
  revision: number;
  deleted?: boolean;
}

/** A data side that holds plain items in two buckets (by the key's last character); it speaks for what `owned` holds. */
class FakeProcessor implements DistroDataProcessor<Item>, DistroCodec<Item> {
  readonly type = 'Test:Item';
  readonly owned = new Map<string, Item>();
  readonly loaded: Item[] = [];
  expired = 0;
  private listener: (key: string) => void = () => undefined;

  change(key: string, revision: number, deleted = false): void {
    this.owned.set(key, deleted ? { key, revision, deleted } : { key, revision });
    this.listener(key);
  }
  encode(item: Item): Uint8Array {
    return Buffer.from(JSON.stringify(item));
  }
  decode(items: readonly Uint8Array[]): Item[] {
    return items.map((bytes) => JSON.parse(Buffer.from(bytes).toString()) as Item);
  }
  get(key: string): Item | 'unknown' | 'not-owned' {
    return this.owned.get(key) ?? 'unknown';
  }
  stamp(key: string): number | undefined {
    const item = this.owned.get(key);
    return item && item.revision * 2 + (item.deleted === true ? 1 : 0);
  }
  bucketDigests(): BucketDigests {
    const digests = [0, 0];
    for (const item of this.owned.values()) digests[bucket(item.key)] += item.revision;
    return { buckets: 2, digests };
  }
  entriesIn(_buckets: number, which: readonly number[]): Map<number, VerifyEntry[]> {
    const out = new Map<number, VerifyEntry[]>(which.map((b) => [b, []]));
    for (const item of this.owned.values()) out.get(bucket(item.key))?.push({ key: item.key, digest: item.revision });
    return out;
  }
  compareBuckets(): number[] {
    return [];
  }
  compareEntries(): { lacking: string[]; push: string[] } {
    return { lacking: [], push: [] };
  }
  applySync(): SyncResult {
    return { applied: 0 };
  }
  snapshot(): Iterable<Item> {
    return [];
  }
  loadSnapshot(items: readonly Item[]): void {
    this.loaded.push(...items);
  }
  expire(): { replicas: number; tombstones: number } {
    this.expired++;
    return { replicas: 0, tombstones: 0 };
  }
  onLocalChange(listener: (key: string) => void): () => void {
    this.listener = listener;
    return () => (this.listener = () => undefined);
  }
}

function bucket(key: string): number {
  return key.charCodeAt(key.length - 1) % 2;
}

/** A transport whose peers are scripted per test; records every call. */
class FakeTransport implements DistroTransport {
  readonly syncs: Array<{ peer: string; items: Item[] }> = [];
  /** Peers whose sync calls hang until released. */
  readonly holding = new Set<string>();
  private readonly held: Array<() => void> = [];
  readonly bucketCalls: Array<{ peer: string; digests: BucketDigests }> = [];
  readonly entryCalls: Array<{ peer: string; which: readonly number[]; entries: readonly VerifyEntry[] }> = [];
  /** Buckets each peer reports as different. */
  mismatched: number[] = [];
  lacking = new Set<string>();
  snapshotOf: (peer: string) => Item[] | PeerCallError = () => new PeerCallError('refused', 'connect ECONNREFUSED');

  sync(peer: string, items: readonly Uint8Array[]): Promise<SyncResult & { bytes: number }> {
    const decoded = items.map((bytes) => JSON.parse(Buffer.from(bytes).toString()) as Item);
    const done = () => {
      this.syncs.push({ peer, items: decoded });
      return { applied: decoded.length, bytes: 10 };
    };
    if (!this.holding.has(peer)) return Promise.resolve(done());
    return new Promise((resolve) => this.held.push(() => resolve(done())));
  }
  release(): void {
    for (const go of this.held.splice(0)) go();
  }
  verifyBuckets(peer: string, digests: BucketDigests): Promise<number[]> {
    this.bucketCalls.push({ peer, digests });
    return Promise.resolve(this.mismatched);
  }
  verifyEntries(peer: string, _buckets: number, which: readonly number[], entries: readonly VerifyEntry[]) {
    this.entryCalls.push({ peer, which, entries });
    return Promise.resolve(entries.filter((e) => this.lacking.has(e.key)).map((e) => e.key));
  }
  snapshot(peer: string, _type: string, onChunk: (items: Buffer[]) => void) {
    const answer = this.snapshotOf(peer);
    if (answer instanceof PeerCallError) return Promise.reject(answer);
    onChunk(answer.map((item) => Buffer.from(JSON.stringify(item))));
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
    it('should send each peer the current state of changed keys, coalesced, removals as state', async () => {
      sut = build({}, false);
      processor.change('x', 1);
      processor.change('x', 2);
      processor.change('y', 1);
      processor.change('y', 2, true);

      await until(() => transport.syncs.length === 2);

      for (const call of transport.syncs)
        expect(call.items).toEqual([
          { key: 'x', revision: 2 },
          { key: 'y', revision: 2, deleted: true },
        ]);
      expect(transport.syncs.map((c) => c.peer).sort()).toEqual(['b:1', 'c:1']);
    });

    it('should encode each change once and send the same bytes to every peer', async () => {
      sut = build({}, false);
      const encode = jest.spyOn(processor, 'encode');
      processor.change('x', 1);
      await until(() => transport.syncs.length === 2);

      processor.change('x', 2);
      await until(() => transport.syncs.length === 4);

      expect(encode.mock.calls.map(([item]) => item)).toEqual([
        { key: 'x', revision: 1 },
        { key: 'x', revision: 2 },
      ]);
      expect(transport.syncs.slice(2).map((c) => c.items)).toEqual([
        [{ key: 'x', revision: 2 }],
        [{ key: 'x', revision: 2 }],
      ]);
    });

    it('should skip keys it holds nothing of', async () => {
      sut = build({}, false);
      processor.change('x', 1);
      processor.owned.delete('x');
      processor.change('z', 1);

      await until(() => transport.syncs.length === 2);

      expect(transport.syncs.every((c) => c.items.length === 1 && c.items[0].key === 'z')).toBe(true);
    });
  });

  describe('replicated', () => {
    it('should resolve true once one peer has taken the change, while another still holds its call', async () => {
      sut = build({}, false);
      transport.holding.add('c:1');
      processor.change('x', 1);

      const taken = await sut.replicated('x', 5000);

      expect(taken).toBe(true);
      expect(transport.syncs.map((c) => c.peer)).toEqual(['b:1']);
      transport.release();
    });

    it('should resolve false after the deadline when no peer takes the change', async () => {
      sut = build({}, false);
      transport.holding.add('b:1');
      transport.holding.add('c:1');
      processor.change('x', 1);

      const started = Date.now();
      expect(await sut.replicated('x', 50)).toBe(false);
      expect(Date.now() - started).toBeGreaterThanOrEqual(45);
      transport.release();
    });

    it('should resolve at once when nothing is pending for the key', async () => {
      sut = build({}, false);
      processor.change('x', 1);
      await until(() => transport.syncs.length === 2);

      expect(await sut.replicated('x', 5000)).toBe(true);
      expect(await sut.replicated('never-changed', 5000)).toBe(true);
    });

    it('should wait for the newest change, not an older one already taken', async () => {
      sut = build({}, false);
      processor.change('x', 1);
      await until(() => transport.syncs.length === 2);
      transport.holding.add('b:1');
      transport.holding.add('c:1');
      processor.change('x', 2);

      let settled = false;
      const waiting = sut.replicated('x', 5000).then((ok) => (settled = ok));
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(settled).toBe(false);

      transport.release();
      await waiting;
      expect(settled).toBe(true);
    });
  });

  describe('verifyRound', () => {
    it('should send one bucket call per peer and nothing more when every bucket matches', async () => {
      sut = build({}, false);
      for (const key of ['k1', 'k2', 'k3']) processor.owned.set(key, { key, revision: 1 });

      await sut.verifyRound();

      expect(transport.bucketCalls.map((c) => c.peer).sort()).toEqual(['b:1', 'c:1']);
      expect(transport.entryCalls).toEqual([]);
      expect(processor.expired).toBe(1);
    });

    it('should list the mismatched buckets whole, chunked, and push what the peer lacks', async () => {
      sut = build({ verifyChunk: 2 }, false);
      for (const key of ['k1', 'k2', 'k3', 'k4', 'k5']) processor.owned.set(key, { key, revision: 1 });
      transport.mismatched = [0, 1];
      transport.lacking = new Set(['k2']);

      await sut.verifyRound();
      await until(() => transport.syncs.length === 2);

      // Bucket 1 holds k1, k3, k5 (3 entries, over the chunk of 2, sent whole); bucket 0 holds k2, k4.
      const toB = transport.entryCalls.filter((c) => c.peer === 'b:1');
      expect(toB.map((c) => c.which)).toEqual([[0], [1]]);
      expect(toB.map((c) => c.entries.map((e) => e.key))).toEqual([
        ['k2', 'k4'],
        ['k1', 'k3', 'k5'],
      ]);
      expect(transport.syncs.every((c) => c.items[0]?.key === 'k2')).toBe(true);
    });

    it('should verify a peer as soon as it comes back UP', async () => {
      sut = build({}, false);
      processor.owned.set('k1', { key: 'k1', revision: 1 });
      for (let i = 0; i < 3; i++) sut.members.recordFailure('b:1', 'refused');
      expect(sut.members.get('b:1')?.state).toBe('DOWN');

      sut.members.recordSuccess('b:1');

      await until(() => transport.bucketCalls.some((c) => c.peer === 'b:1'));
      expect(transport.bucketCalls.map((c) => c.peer)).toEqual(['b:1']);
    });
  });

  describe('push', () => {
    it('should send a peer the keys it asked for at once', async () => {
      sut = build({}, false);
      processor.owned.set('k9', { key: 'k9', revision: 4 });

      sut.push('c:1', ['k9']);

      await until(() => transport.syncs.length === 1);
      expect(transport.syncs[0]).toEqual({ peer: 'c:1', items: [{ key: 'k9', revision: 4 }] });
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
      // Opening runs a verify round at once.
      await until(() => transport.bucketCalls.length === 2);
    });

    it('should count a peer speaking another protocol version as absent for the first-node rule', async () => {
      sut = build({ allowFirstNode: true, bootstrapWaitMs: 50 });
      transport.snapshotOf = () => new PeerCallError('incompatible', 'the peer does not serve distro.v2.DistroPeer');
      sut.start();

      await until(() => sut.initialized());

      expect(lines.some((l) => l.message.includes('reason: incompatible'))).toBe(true);
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
