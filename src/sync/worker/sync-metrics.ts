import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { Metrics } from '@/observability';
import type { LiveTaskState } from '../reconcile/task-runner';

export interface TaskLabels {
  task: string;
  source: string;
  target: string;
}

/** Per-task and per-replica sync metrics, labelled by task, source and target cluster names. */
@Injectable()
export class SyncMetrics {
  readonly lag: Histogram<'task' | 'source' | 'target'>;
  readonly operations: Counter<'task' | 'source' | 'target' | 'kind' | 'result'>;
  readonly desired: Gauge<'task' | 'source' | 'target'>;
  readonly applied: Gauge<'task' | 'source' | 'target'>;
  readonly reachable: Gauge<'task' | 'source' | 'target' | 'side'>;
  readonly heldDeletions: Gauge<'task' | 'source' | 'target'>;
  readonly errors: Counter<'task' | 'source' | 'target'>;
  readonly rejected: Gauge<'task' | 'source' | 'target'>;
  readonly rejections: Counter<'task' | 'source' | 'target' | 'refused_by'>;
  readonly leaseOwned: Gauge<'task' | 'source' | 'target' | 'worker'>;
  readonly leasesHeld: Gauge<'worker'>;

  constructor(metrics: Metrics) {
    const registers = [metrics.registry];
    const labels = ['task', 'source', 'target'] as const;
    this.lag = new Histogram({
      name: 'distro_sync_task_lag_seconds',
      help: 'Time from a source change to its copy being written into the target',
      labelNames: labels,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.operations = new Counter({
      name: 'distro_sync_task_operations_total',
      help: 'Copies added, updated or removed in targets, by result',
      labelNames: [...labels, 'kind', 'result'],
      registers,
    });
    this.desired = new Gauge({
      name: 'distro_sync_task_desired_copies',
      help: 'Copies the source says the target should hold',
      labelNames: labels,
      registers,
    });
    this.applied = new Gauge({
      name: 'distro_sync_task_applied_copies',
      help: 'Copies the ledger says the target holds',
      labelNames: labels,
      registers,
    });
    this.reachable = new Gauge({
      name: 'distro_sync_task_cluster_reachable',
      help: '1 when the task last reached its source/target, 0 when not',
      labelNames: [...labels, 'side'],
      registers,
    });
    this.heldDeletions = new Gauge({
      name: 'distro_sync_task_held_deletions',
      help: 'Deletions protect mode holds back (over maxDeleteRatio)',
      labelNames: labels,
      registers,
    });
    this.errors = new Counter({
      name: 'distro_sync_task_errors_total',
      help: 'Failed writes or reads of a task',
      labelNames: labels,
      registers,
    });
    this.rejected = new Gauge({
      name: 'distro_sync_task_rejected_copies',
      help: 'Source instances the ledger or the target refused, kept out of the task until they change',
      labelNames: labels,
      registers,
    });
    this.rejections = new Counter({
      name: 'distro_sync_task_rejections_total',
      help: 'Refusals of a copy by the ledger or the target (one per copy per backoff step)',
      labelNames: [...labels, 'refused_by'],
      registers,
    });
    this.leaseOwned = new Gauge({
      name: 'distro_sync_task_lease_owner',
      help: '1 on the replica that holds the task lease',
      labelNames: [...labels, 'worker'],
      registers,
    });
    this.leasesHeld = new Gauge({
      name: 'distro_sync_worker_leases_held',
      help: 'Task leases this replica holds',
      labelNames: ['worker'],
      registers,
    });
  }

  /** Publishes a runner's state after a round. */
  observe(labels: TaskLabels, worker: string, state: LiveTaskState): void {
    this.desired.set(labels, state.desired);
    this.applied.set(labels, state.applied);
    if (state.sourceReachable !== null)
      this.reachable.set({ ...labels, side: 'source' }, state.sourceReachable ? 1 : 0);
    if (state.targetReachable !== null)
      this.reachable.set({ ...labels, side: 'target' }, state.targetReachable ? 1 : 0);
    this.heldDeletions.set(labels, state.hold?.wouldDelete ?? 0);
    this.rejected.set(labels, state.rejectedCount);
    this.leaseOwned.set({ ...labels, worker }, 1);
  }

  /** Drops a task's series when this replica no longer holds it. */
  forget(labels: TaskLabels, worker: string): void {
    for (const g of [this.desired, this.applied, this.heldDeletions, this.rejected]) g.remove(labels);
    this.reachable.remove({ ...labels, side: 'source' });
    this.reachable.remove({ ...labels, side: 'target' });
    this.leaseOwned.remove({ ...labels, worker });
  }
}
