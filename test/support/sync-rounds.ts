import { SyncScheduler } from '../../src/sync/worker/sync-scheduler';
import type { TestNode } from './app';

/**
 * Runs the scheduler's `job` on an in-process node `rounds` times, each one started after the call (a run
 * already under way is awaited first): the positive proof that a task has been through lease rounds or full
 * reconciles, where a fixed wait only hopes the timers have fired.
 */
export async function runRounds(
  node: TestNode,
  job: 'sync-lease-round' | 'sync-full-reconcile',
  rounds = 2,
): Promise<void> {
  const scheduler = node.app.get(SyncScheduler);
  await scheduler.runNow(job);
  for (let round = 0; round < rounds; round++) await scheduler.runNow(job);
}
