/**
 * Exponential backoff with jitter and a cap, for whatever a task retries (a start, a deletion, a
 * write, a quarantined copy). Jitter spreads the retries of many tasks failing for one reason (a
 * cluster's credential rejected, its target down) so they do not come back in lockstep.
 */
export class Backoff {
  private failures = 0;

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Failures since the last success. */
  get attempts(): number {
    return this.failures;
  }

  /** Records a failure; returns the wait before the next try: base·2ⁿ capped, minus up to half of it at random. */
  fail(): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    return Math.round(ceiling * (1 - 0.5 * this.random()));
  }

  reset(): void {
    this.failures = 0;
  }
}
