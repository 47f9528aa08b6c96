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
