import { Injectable, Logger } from '@nestjs/common';
import type { OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';

/**
 * The one place periodic sync work is scheduled (lease rounds, full reconciles, hold expiry).
 * A job never overlaps itself; a failing run is logged and the next one still comes. Tests call
 * `runNow` instead of waiting for timers.
 */
const STOP_GRACE_MS = 3000;

@Injectable()
export class SyncScheduler implements OnApplicationShutdown {
  private readonly logger = new Logger(SyncScheduler.name);
  private readonly jobs = new Map<string, () => Promise<void>>();
  private readonly running = new Map<string, Promise<void>>();

  constructor(private readonly registry: SchedulerRegistry) {}

  every(name: string, intervalMs: number, job: () => Promise<void>): void {
    this.jobs.set(name, job);
    const timer = setInterval(() => void this.runNow(name), intervalMs);
    timer.unref();
    this.registry.addInterval(name, timer);
  }

  /** Runs a job now, or joins the run already under way. */
  runNow(name: string): Promise<void> {
    const job = this.jobs.get(name);
    if (!job) return Promise.reject(new Error(`no sync job named ${name}`));
    const current = this.running.get(name);
    if (current) return current;
    const run = job()
      .catch((err: unknown) =>
        this.logger.error({ err, job: name }, 'periodic sync job failed; it runs again next period'),
      )
      .finally(() => this.running.delete(name));
    this.running.set(name, run);
    return run;
  }

  /**
   * Stops every timer and waits for runs under way — at most `graceMs`: a run stuck on an
   * unreachable database or registry must not hold the whole shutdown past its deadline.
   */
  async stopAll(graceMs = STOP_GRACE_MS): Promise<void> {
    for (const name of this.jobs.keys()) {
      if (this.registry.doesExist('interval', name)) this.registry.deleteInterval(name);
    }
    this.jobs.clear();
    if (this.running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      Promise.all(this.running.values()).then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
    ]);
    clearTimeout(timer);
    if (!finished)
      this.logger.warn({ jobs: [...this.running.keys()], graceMs }, 'sync jobs still running at shutdown; not waiting');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stopAll();
  }
}
