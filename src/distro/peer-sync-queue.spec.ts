import { PeerSyncQueue } from './peer-sync-queue';

const options = { delayMs: 20, maxBatch: 3, maxInFlight: 2, minBackoffMs: 10, maxBackoffMs: 40 };

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe(PeerSyncQueue.name, () => {
  let calls: string[][];
  let sut: PeerSyncQueue;

  afterEach(() => sut.stop());

  /** A queue whose sends succeed at once, each recorded in `calls` (emptied here). */
  const recordingQueue = (overrides: Partial<typeof options> = {}): PeerSyncQueue => {
    calls = [];
    return new PeerSyncQueue(
      'b:1',
      (keys) => {
        calls.push(keys);
        return Promise.resolve();
      },
      { ...options, ...overrides },
      () => undefined,
    );
  };

  it('should coalesce repeated changes of a key within the delay into one call', async () => {
    sut = recordingQueue();

    sut.enqueue(['x']);
    sut.enqueue(['x']);
    sut.enqueue(['y', 'x']);
    await until(() => calls.length > 0);

    expect(calls).toEqual([['x', 'y']]);
    expect(sut.depth).toBe(0);
  });

  it('should split more keys than one batch into several calls', async () => {
    sut = recordingQueue();

    sut.enqueue(['a', 'b', 'c', 'd', 'e']);
    await until(() => calls.flat().length === 5);

    expect(calls).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
  });

  it('should keep two calls in flight but never the same key in both', async () => {
    calls = [];
    const release: Array<() => void> = [];
    sut = new PeerSyncQueue(
      'b:1',
      (keys) => {
        calls.push(keys);
        return new Promise<void>((resolve) => release.push(resolve));
      },
      { ...options, delayMs: 0 },
      () => undefined,
    );

    sut.enqueue(['a', 'b', 'c', 'd']);
    await until(() => calls.length === 2);
    sut.enqueue(['a']);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(calls).toEqual([['a', 'b', 'c'], ['d']]);

    release.shift()?.();
    await until(() => calls.length === 3);
    expect(calls[2]).toEqual(['a']);
    for (const done of release) done();
  });

  it('should retry failed keys with backoff until the peer takes them', async () => {
    calls = [];
    let failures = 2;
    const errors: unknown[] = [];
    sut = new PeerSyncQueue(
      'b:1',
      (keys) => {
        calls.push(keys);
        return failures-- > 0 ? Promise.reject(new Error('refused')) : Promise.resolve();
      },
      options,
      (error) => errors.push(error),
    );

    sut.enqueue(['x']);
    await until(() => calls.length === 3);

    expect(errors).toHaveLength(2);
    expect(sut.lastSuccessAt).toBeDefined();
    expect(sut.depth).toBe(0);
  });

  it('should send what waits behind the backoff at once when the peer answers again', async () => {
    calls = [];
    let failing = true;
    sut = new PeerSyncQueue(
      'b:1',
      (keys) => {
        calls.push(keys);
        return failing ? Promise.reject(new Error('refused')) : Promise.resolve();
      },
      { ...options, minBackoffMs: 60_000, maxBackoffMs: 60_000 },
      () => undefined,
    );
    sut.enqueue(['x']);
    await until(() => calls.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toHaveLength(1);

    failing = false;
    sut.resume();

    await until(() => calls.length === 2);
    expect(sut.depth).toBe(0);
  });

  it('should send a change to an idle queue at once rather than after the delay', async () => {
    sut = recordingQueue({ delayMs: 60_000 });

    sut.enqueue(['x']);
    await until(() => calls.length === 1);

    expect(calls).toEqual([['x']]);
  });

  it('should hold a key changed again soon after it was sent for the rest of the delay, and only that key', async () => {
    const sent: Array<{ keys: string[]; at: number }> = [];
    sut = new PeerSyncQueue(
      'b:1',
      (keys) => {
        sent.push({ keys, at: Date.now() });
        return Promise.resolve();
      },
      { ...options, delayMs: 150 },
      () => undefined,
    );

    sut.enqueue(['x']);
    await until(() => sent.length === 1);
    sut.enqueue(['x']);
    sut.enqueue(['x', 'y']);
    await until(() => sent.length === 2);
    expect(sent[1].keys).toEqual(['y']);
    await until(() => sent.length === 3);

    expect(sent[2].keys).toEqual(['x']);
    expect(sent[2].at - sent[0].at).toBeGreaterThanOrEqual(140);
    expect(sut.depth).toBe(0);
  });

  it('should send verify repairs at once even for a key just sent', async () => {
    sut = recordingQueue({ delayMs: 60_000 });

    sut.enqueue(['x']);
    await until(() => calls.length === 1);
    sut.enqueue(['x'], true);
    await until(() => calls.length === 2);

    expect(calls).toEqual([['x'], ['x']]);
  });

  it('should not send a verify repair of a key again while the call carrying it is in flight, but a change after it', async () => {
    calls = [];
    const release: Array<(ok: boolean) => void> = [];
    sut = new PeerSyncQueue(
      'b:1',
      (keys) => {
        calls.push(keys);
        return new Promise<void>((resolve, reject) =>
          release.push((ok) => (ok ? resolve() : reject(new Error('refused')))),
        );
      },
      { ...options, delayMs: 0, maxInFlight: 1 },
      () => undefined,
    );

    sut.enqueue(['a', 'b']);
    await until(() => calls.length === 1);
    sut.enqueue(['a', 'c'], true);
    release.shift()?.(true);
    await until(() => calls.length === 2);
    expect(calls).toEqual([['a', 'b'], ['c']]);

    sut.enqueue(['c'], true);
    sut.enqueue(['c']);
    release.shift()?.(true);
    await until(() => calls.length === 3);
    expect(calls[2]).toEqual(['c']);
    release.shift()?.(true);

    // A failed call puts its keys back: the repair skipped meanwhile is not lost.
    sut.enqueue(['d']);
    await until(() => calls.length === 4);
    sut.enqueue(['d'], true);
    release.shift()?.(false);
    await until(() => calls.length === 5, 5000);
    release.shift()?.(true);
    expect(calls.slice(3)).toEqual([['d'], ['d']]);
    await until(() => sut.depth === 0);
  });
});
