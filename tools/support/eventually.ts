import { inspect } from 'node:util';

export interface EventuallyOptions {
  /** How long to keep trying; default 10 s. */
  timeoutMs?: number;
  /** Pause between tries; default 50 ms. */
  intervalMs?: number;
  /** What is awaited, for the failure message ("the copy in region B"). */
  what?: string;
}

/**
 * The one polling helper of tests, benchmarks and tools. Calls `check` until it returns without throwing
 * a value other than `false`, and resolves with that value; a check that returns nothing (an `expect`)
 * holds as soon as it does not throw. Past `timeoutMs` it fails with what it waited for and the last
 * failure: the error `check` threw (kept as `cause`) or the fact that it returned `false`.
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 50, what = 'the condition' }: EventuallyOptions = {},
): Promise<Exclude<T, false>> {
  const started = Date.now();
  let tries = 0;
  let last: { error: unknown } | undefined;
  for (;;) {
    tries++;
    try {
      const value = await check();
      if (value !== false) return value as Exclude<T, false>;
      last = undefined;
    } catch (error) {
      last = { error };
    }
    if (Date.now() - started >= timeoutMs) {
      const why = last ? `last error: ${describe(last.error)}` : 'the check last returned false';
      throw new Error(`timed out after ${timeoutMs} ms (${tries} tries) waiting for ${what}; ${why}`, {
        cause: last?.error,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : inspect(error, { depth: 3 });
}
