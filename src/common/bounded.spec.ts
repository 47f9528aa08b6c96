import { Limiter, batchError, forEachBounded } from './bounded';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('Limiter', () => {
  it('runs at most max jobs at once, the rest in arrival order', async () => {
    const limiter = new Limiter(2);
    const gates = [deferred(), deferred(), deferred(), deferred()];
    const started: number[] = [];
    const done = gates.map((g, i) =>
      limiter.run(async () => {
        started.push(i);
        await g.promise;
        return i;
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);
    expect(limiter.pending).toBe(4);
    gates[1].resolve();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    gates[0].resolve();
    gates[2].resolve();
    gates[3].resolve();
    await expect(Promise.all(done)).resolves.toEqual([0, 1, 2, 3]);
    expect(limiter.pending).toBe(0);
  });

  it('frees the slot of a job that fails', async () => {
    const limiter = new Limiter(1);
    await expect(limiter.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limiter.run(() => Promise.resolve('next'))).resolves.toBe('next');
  });

  it('refuses a limit below one', () => {
    expect(() => new Limiter(0)).toThrow('max >= 1');
  });
});

describe('forEachBounded', () => {
  it('keeps at most `limit` calls in flight, runs every item even after failures, and returns the failures', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    const failures = await forEachBounded([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      seen.push(n);
      if (n % 3 === 0) throw new Error(`bad ${n}`);
    });
    expect(peak).toBe(3);
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(failures.map((e) => (e as Error).message).sort()).toEqual(['bad 3', 'bad 6']);
  });

  it('does nothing for no items', async () => {
    await expect(forEachBounded([], 4, () => Promise.reject(new Error('never')))).resolves.toEqual([]);
  });
});

describe('batchError', () => {
  it('names how many of how many failed and the first reason, keeping it as the cause', () => {
    const first = new Error('refused');
    const err = batchError('beats', [first, new Error('timeout')], 10);
    expect(err.message).toBe('2 of 10 beats failed; first: refused');
    expect(err.cause).toBe(first);
  });
});
