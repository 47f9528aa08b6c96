import { eventually } from './eventually';

describe('eventually', () => {
  it('should resolve with the first value other than false', async () => {
    let calls = 0;
    const value = await eventually(() => (++calls >= 3 ? { calls } : false), { intervalMs: 1 });
    expect(value).toEqual({ calls: 3 });
  });

  it('should hold as soon as an assertion-style check stops throwing', async () => {
    let calls = 0;
    await eventually(
      () => {
        calls++;
        expect(calls).toBeGreaterThan(2);
      },
      { intervalMs: 1 },
    );
    expect(calls).toBe(3);
  });

  it('should fail with what it waited for and the last error, kept as the cause', async () => {
    const last = new Error('still 2 copies');
    const failure = await eventually(
      () => {
        throw last;
      },
      { timeoutMs: 30, intervalMs: 5, what: 'one copy' },
    ).catch((error: unknown) => error as Error);
    expect(failure.message).toMatch(
      /^timed out after 30 ms \(\d+ tries\) waiting for one copy; last error: still 2 copies$/,
    );
    expect(failure.cause).toBe(last);
  });

  it('should say when the check last returned false', async () => {
    await expect(eventually(() => false, { timeoutMs: 20, intervalMs: 5 })).rejects.toThrow(
      /waiting for the condition; the check last returned false$/,
    );
  });
});
