import { bisectRefused, isRefusedByDatabase } from './bisect';

class Refused extends Error {}

describe(bisectRefused.name, () => {
  const writer = (bad: Set<number>) => {
    const calls: number[][] = [];
    const written: number[] = [];
    const write = (batch: readonly number[]): Promise<void> => {
      calls.push([...batch]);
      const culprit = batch.find((n) => bad.has(n));
      if (culprit !== undefined) return Promise.reject(new Refused(`no ${culprit}`));
      written.push(...batch);
      return Promise.resolve();
    };
    return { calls, written, write };
  };

  it('should write a clean batch in one call', async () => {
    const w = writer(new Set());
    await expect(bisectRefused([1, 2, 3], w.write, (e) => e instanceof Refused)).resolves.toEqual([]);
    expect(w.calls).toEqual([[1, 2, 3]]);
  });

  it('should find each culprit and write everything else', async () => {
    const w = writer(new Set([7, 60]));
    const items = Array.from({ length: 100 }, (_, i) => i);
    const refused = await bisectRefused(items, w.write, (e) => e instanceof Refused);
    expect(refused).toEqual([
      { item: 7, reason: 'no 7' },
      { item: 60, reason: 'no 60' },
    ]);
    expect(w.written.sort((a, b) => a - b)).toEqual(items.filter((n) => n !== 7 && n !== 60));
    expect(w.calls.length).toBeLessThanOrEqual(2 * 2 * Math.ceil(Math.log2(100)) + 1);
  });

  it('should let a failure that is not a refusal through at once', async () => {
    const write = jest.fn(() => Promise.reject(new Error('connection refused')));
    await expect(bisectRefused([1, 2], write, (e) => e instanceof Refused)).rejects.toThrow('connection refused');
    expect(write).toHaveBeenCalledTimes(1);
  });
});

describe(isRefusedByDatabase.name, () => {
  it('should take data exceptions and CHECK / NOT NULL violations as refusals of the row', () => {
    for (const code of ['22P05', '22021', '22001', '23514', '23502'])
      expect(isRefusedByDatabase(Object.assign(new Error(code), { code }))).toBe(true);
  });

  it('should not take connection failures, lost leases or serialization failures as refusals', () => {
    for (const code of ['08006', '57P01', '40001', '23505', undefined])
      expect(isRefusedByDatabase(Object.assign(new Error('x'), { code }))).toBe(false);
    expect(isRefusedByDatabase(new Error('lease lost'))).toBe(false);
  });
});
