/**
 * At most `max` of the given jobs run at once; the rest wait their turn in arrival order. For work
 * that arrives in bursts (thousands of task leases taken in one round) and must not stampede a
 * shared pool or a remote registry.
 */
export class Limiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly max: number) {
    if (!(max >= 1)) throw new Error(`a limiter needs max >= 1, got ${max}`);
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await job();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  /** Jobs running plus jobs waiting. */
  get pending(): number {
    return this.running + this.waiting.length;
  }
}

/**
 * Runs `work` over `items` with at most `limit` calls in flight, to the end even when some fail;
 * returns the failures. Registries reached one call per instance (Nacos HTTP v1) must never see a
 * burst become thousands of simultaneous requests.
 */
export async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<unknown[]> {
  const failures: unknown[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++];
      try {
        await work(item);
      } catch (err) {
        failures.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return failures;
}

/** One error for a batch of failed calls: the first reason and how many failed. */
export function batchError(what: string, failures: readonly unknown[], total: number): Error {
  const first = failures[0];
  const reason = first instanceof Error ? first.message : String(first);
  return new Error(`${failures.length} of ${total} ${what} failed; first: ${reason}`, { cause: first });
}
