import { SchedulerRegistry } from '@nestjs/schedule';
import { SyncScheduler } from './sync-scheduler';

describe(SyncScheduler.name, () => {
  it('should never run a job twice at once: runNow joins the run under way', async () => {
    const sut = new SyncScheduler(new SchedulerRegistry());
    let runs = 0;
    let finish!: () => void;
    sut.every('job', 60_000, () => {
      runs++;
      return new Promise<void>((resolve) => (finish = resolve));
    });
    const first = sut.runNow('job');
    const second = sut.runNow('job');
    expect(runs).toBe(1);
    finish();
    await Promise.all([first, second]);
    await sut.stopAll();
  });

  it('should keep scheduling after a failing run', async () => {
    const sut = new SyncScheduler(new SchedulerRegistry());
    let runs = 0;
    sut.every('flaky', 60_000, () => (++runs === 1 ? Promise.reject(new Error('boom')) : Promise.resolve()));
    await sut.runNow('flaky');
    await sut.runNow('flaky');
    expect(runs).toBe(2);
    await sut.stopAll();
  });

  it('should stop waiting for a stuck run after the grace period, so shutdown keeps its deadline', async () => {
    const sut = new SyncScheduler(new SchedulerRegistry());
    sut.every('stuck', 60_000, () => new Promise<void>(() => undefined));
    void sut.runNow('stuck');
    const started = Date.now();
    await sut.stopAll(100);
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(sut.runNow('stuck')).rejects.toThrow('no sync job named stuck');
  });
});
