import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Limiter } from '@/common/bounded';
import { scrubbedMessage } from '@/common/secret-scrubber';
import { AppConfig } from '@/config';
import { AdapterFactory } from '../adapters/adapter-factory';
import type { RegistryAdapter } from '../adapters/registry-adapter';
import { UnusableAdapter } from '../adapters/unusable-adapter';
import { Backoff } from '@/common/backoff';
import { ClusterService } from '../clusters/cluster.service';
import { keepsPersistentCopies } from '../clusters/cluster-kinds';
import type { ClusterEntity, SyncTaskEntity } from '../entities';
import { LeaseKeeper } from '../leases/lease-keeper';
import type { HeldLease } from '../store/lease.repository';
import { SyncStore } from '../store/sync-store';
import { TaskRunner, emptyTaskState } from '../reconcile/task-runner';
import type { TaskDefinition } from '../reconcile/task-runner';
import { TaskEventLog } from '../tasks/task-event-log';
import { SyncScheduler } from './sync-scheduler';
import { SyncMetrics } from './sync-metrics';
import type { TaskLabels } from './sync-metrics';

interface ActiveTask {
  runner: TaskRunner;
  labels: TaskLabels;
  source: RegistryAdapter;
  target: RegistryAdapter;
  resyncSeen: number;
  releaseSeen: number;
}

/** A held task that could not start: why, and when it is tried again. */
interface FailedStart {
  error: string;
  backoff: Backoff;
  nextAttemptAt: number;
}

export const VERSION = '0.2.0';

/** Tasks started, refreshed, renewed or reconciled side by side. */
const ROUND_CONCURRENCY = 32;

/**
 * This replica's share of the sync tasks: holds leases through the LeaseKeeper, runs one
 * TaskRunner per held task, carries operator commands to them, and persists their state.
 */
@Injectable()
export class SyncWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SyncWorker.name);
  readonly id = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly keeper: LeaseKeeper;
  private readonly active = new Map<string, ActiveTask>();
  private readonly starting = new Map<string, Promise<void>>();
  /** Thousands of leases can arrive in one round; their starts (ledger load, snapshot, watch) queue here. */
  private readonly starts = new Limiter(ROUND_CONCURRENCY);
  private stopping = false;
  /** Per-task work of a round and of the full reconcile, so thousands of tasks do not stampede a source. */
  private readonly perTask = new Limiter(ROUND_CONCURRENCY);
  /**
   * Held tasks that could not start (a credential grpc-js refuses, a cluster row unreadable, the
   * database down): each is tried again at its own backoff step, not at every round, so a bad
   * cluster under many tasks costs one log line per task per step, not one per task per round.
   */
  private readonly failedStarts = new Map<string, FailedStart>();
  private databaseDown = false;

  constructor(
    private readonly store: SyncStore,
    private readonly config: AppConfig,
    private readonly clusters: ClusterService,
    private readonly adapters: AdapterFactory,
    private readonly events: TaskEventLog,
    private readonly scheduler: SyncScheduler,
    private readonly metrics: SyncMetrics,
  ) {
    this.keeper = new LeaseKeeper(
      store,
      { id: this.id, hostname: hostname(), pid: process.pid, version: VERSION, address: null },
      { ttlMs: config.sync.leaseTtlMs, workerTtlMs: config.sync.leaseTtlMs, maxClaimPerRound: 100 },
      {
        acquired: (lease) => this.onAcquired(lease),
        lost: (taskId, reason) => this.onLost(taskId, reason),
      },
    );
  }

  onApplicationBootstrap(): void {
    this.scheduler.every('sync-lease-round', this.config.sync.leaseRenewMs, () => this.round());
    this.scheduler.every('sync-full-reconcile', this.config.sync.fullReconcileMs, () => this.reconcileAll());
    void this.scheduler.runNow('sync-lease-round');
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    // Stop every runner first, so nothing waits on a round or a start to notice the shutdown.
    for (const task of this.active.values()) task.runner.stop();
    await this.scheduler.stopAll();
    await Promise.race([
      Promise.allSettled(this.starting.values()),
      new Promise((resolve) => setTimeout(resolve, 2000).unref()),
    ]);
    for (const task of this.active.values()) await this.closeTask(task);
    this.active.clear();
    // Hand leases back so peers take over at once; copies stay visible until their TTL.
    await this.keeper.retire().catch((err: unknown) => this.logger.warn({ err }, 'could not hand leases back'));
  }

  /** The tasks this replica runs now (for status and tests). */
  heldTaskIds(): string[] {
    return [...this.active.keys()];
  }

  runner(taskId: string): TaskRunner | undefined {
    return this.active.get(taskId)?.runner;
  }

  /** One lease round: heartbeat, renew, rebalance, claim; then bring every held task up to date. */
  async round(): Promise<void> {
    try {
      await this.keeper.round();
      if (this.databaseDown) this.logger.log('database reachable again: leases renewed');
      this.databaseDown = false;
    } catch (err) {
      if (!this.databaseDown)
        this.logger.warn({ err }, 'cannot reach the database: copies are kept alive, leases are retried');
      this.databaseDown = true;
      // Keep the copies of the tasks this replica runs visible: nobody can take the leases while
      // the database is down, and a renewal only extends what is already there.
      await Promise.allSettled([...this.active.values()].map((t) => t.runner.renew()));
      throw err;
    }
    const held = this.keeper.leases();
    if (held.length === 0) return;
    const rows = await this.store.tasks.findByIds(held.map((l) => l.taskId));
    const byId = new Map(rows.map((r) => [r.id, r]));
    // Starts run in the background (queued, bounded): a round that waited for thousands of them
    // would renew its leases too late. A task still starting is refreshed by the next round.
    const now = Date.now();
    for (const lease of held) {
      if (this.active.has(lease.taskId) || this.starting.has(lease.taskId)) continue;
      if ((this.failedStarts.get(lease.taskId)?.nextAttemptAt ?? 0) > now) continue;
      this.onAcquired(lease);
    }
    // One query for the clusters of every held task, and the per-task work side by side (renewing a
    // remote target is one call per task): a replica holding thousands of tasks finishes its round
    // well inside the lease TTL.
    const clusters = await this.clustersOf(rows);
    const refreshes = await Promise.allSettled(
      held.map((lease) => this.perTask.run(() => this.refreshTask(lease, byId.get(lease.taskId), clusters))),
    );
    const failed = refreshes.filter((r) => r.status === 'rejected');
    if (failed.length > 0)
      this.logger.warn(
        { err: failed[0].reason as unknown, failed: failed.length, held: held.length },
        'some held tasks could not be refreshed this round; retried next round',
      );
    this.metrics.leasesHeld.set({ worker: this.id }, held.length);
    for (const task of this.active.values()) this.metrics.observe(task.labels, this.id, task.runner.state);
    await this.store.states.write(
      this.id,
      held.flatMap((l) => {
        const active = this.active.get(l.taskId);
        if (active) return [{ lease: l, state: active.runner.state }];
        const failed = this.failedStarts.get(l.taskId);
        if (!failed) return [];
        return [
          { lease: l, state: { ...emptyTaskState(), lastError: failed.error, nextAttemptAt: failed.nextAttemptAt } },
        ];
      }),
    );
  }

  /** The periodic full reconcile, a bounded number of tasks at a time so thousands of tasks do not stampede the source. */
  async reconcileAll(): Promise<void> {
    await Promise.allSettled([...this.active.values()].map((t) => this.perTask.run(() => t.runner.reconcile())));
  }

  /** Carries the task row as it is now (status, operator commands) to its runner and renews its copies. */
  private async refreshTask(
    lease: HeldLease,
    row: SyncTaskEntity | undefined,
    clusters: Map<string, ClusterEntity>,
  ): Promise<void> {
    const active = this.active.get(lease.taskId);
    if (!active || !row) return;
    await active.runner.refresh(lease, this.definitionOf(row, clusters));
    await active.runner.renew();
    const resync = row.resyncRequestedAt?.getTime() ?? 0;
    if (resync > active.resyncSeen) {
      active.resyncSeen = resync;
      void active.runner.reconcile();
    }
    const release = row.holdReleaseRequestedAt?.getTime() ?? 0;
    if (release > active.releaseSeen) {
      active.releaseSeen = release;
      void active.runner.releaseHold();
    }
  }

  private onAcquired(lease: HeldLease): void {
    const start = this.starts
      .run(() => this.startTask(lease))
      .then(() => {
        this.failedStarts.delete(lease.taskId);
      })
      .catch((err: unknown) => {
        const failed = this.failedStarts.get(lease.taskId) ?? {
          error: '',
          backoff: new Backoff(this.config.sync.retryBaseMs, this.config.sync.retryMaxMs),
          nextAttemptAt: 0,
        };
        failed.error = scrubbedMessage(err);
        failed.nextAttemptAt = Date.now() + failed.backoff.fail();
        this.failedStarts.set(lease.taskId, failed);
        const retryAt = new Date(failed.nextAttemptAt).toISOString();
        this.logger.error(
          { err, taskId: lease.taskId, attempt: failed.backoff.attempts, nextAttemptAt: retryAt },
          `could not start task ${lease.taskId} (attempt ${failed.backoff.attempts}); the lease is kept and the start retried at ${retryAt}`,
        );
      })
      .finally(() => this.starting.delete(lease.taskId));
    this.starting.set(lease.taskId, start);
  }

  /** Whether this replica still holds the task at the generation it was started for. */
  private stillHeld(lease: HeldLease): boolean {
    return this.keeper.lease(lease.taskId)?.generation === lease.generation;
  }

  private async startTask(lease: HeldLease): Promise<void> {
    // A start that waited its turn may find the lease gone; starting then would write unfenced.
    if (this.stopping || !this.stillHeld(lease)) return;
    const row = await this.store.tasks.findOne(lease.taskId);
    if (!row) return;
    const [sourceCluster, targetCluster] = await Promise.all([
      this.clusters.get(row.sourceClusterId),
      this.clusters.get(row.targetClusterId),
    ]);
    // A deleting task needs no source, and a target it cannot even connect to (a credential
    // grpc-js refuses) is one that does not answer: the deletion waits for it, then lets go.
    const connect = (cluster: ClusterEntity): RegistryAdapter => {
      try {
        return this.adapters.create(cluster, this.clusters.secretsOf(cluster));
      } catch (err) {
        if (row.status !== 'deleting') throw err;
        return new UnusableAdapter(`cluster ${cluster.name}: ${scrubbedMessage(err)}`);
      }
    };
    const source = connect(sourceCluster);
    let target: RegistryAdapter;
    try {
      target = connect(targetCluster);
    } catch (err) {
      await source.close().catch(() => undefined);
      throw err;
    }
    const definition = this.describe(row, sourceCluster, targetCluster);
    const labels: TaskLabels = { task: row.name, source: sourceCluster.name, target: targetCluster.name };
    // A PATCH may rename the task while it runs: its events carry the name it has when they happen.
    const nameNow = (): string => this.active.get(row.id)?.runner.name ?? row.name;
    const runner = new TaskRunner(definition, lease, {
      source,
      target,
      ledger: this.store.ledger,
      leases: this.store.leases,
      tasks: this.store.tasks,
      workerId: this.id,
      settings: {
        debounceMs: this.config.sync.debounceMs,
        copyTtlMs: this.config.sync.clientTtlMs,
        protectHoldMs: this.config.sync.protectHoldMs,
        protectMinDeletes: this.config.sync.protectMinDeletes,
        servicesPerBatch: 100,
        retryBaseMs: this.config.sync.retryBaseMs,
        retryMaxMs: this.config.sync.retryMaxMs,
        deleteTargetWaitMs: this.config.sync.deleteTargetWaitMs,
      },
      events: {
        applied: (kind, count, lagMs) => {
          if (count === 0) return;
          this.metrics.operations.inc({ ...labels, kind, result: 'ok' }, count);
          if (lagMs !== null) this.metrics.lag.observe(labels, lagMs / 1000);
        },
        failed: () => this.metrics.errors.inc(labels),
        fenced: (reason) =>
          this.logger.warn(
            { taskId: row.id, generation: lease.generation, reason },
            `task ${row.name}: fenced out of its target by a newer holder; stopped writing`,
          ),
        rejected: (copy) => {
          this.metrics.rejections.inc({ ...labels, refused_by: copy.refusedBy });
          this.logger.warn(
            {
              taskId: row.id,
              service: `${copy.namespace}/${copy.groupName}@@${copy.serviceName}`,
              address: `${copy.ip}:${copy.port}`,
              refusedBy: copy.refusedBy,
              reason: copy.reason,
              attempt: copy.attempts,
              retryAt: new Date(copy.retryAt).toISOString(),
            },
            `task ${row.name}: ${copy.refusedBy} refused ${copy.namespace}/${copy.groupName}@@${copy.serviceName} ${copy.ip}:${copy.port}; the copy is kept out, every other one flows`,
          );
        },
        event: (kind, message, details) =>
          void this.events
            .record({ taskId: row.id, taskName: nameNow(), kind, actor: this.id, message, details })
            .catch((err: unknown) => this.logger.warn({ err, taskId: row.id }, 'could not record a task event')),
        eventIn: (tx, kind, message, details) =>
          this.events.record({ taskId: row.id, taskName: nameNow(), kind, actor: this.id, message, details }, tx),
      },
    });
    if (!this.stillHeld(lease)) {
      await Promise.allSettled([source.close(), target.close()]);
      return;
    }
    this.active.set(row.id, {
      runner,
      labels,
      source,
      target,
      resyncSeen: row.resyncRequestedAt?.getTime() ?? 0,
      releaseSeen: row.holdReleaseRequestedAt?.getTime() ?? 0,
    });
    this.logger.log({ taskId: row.id, generation: lease.generation }, `took task ${row.name}`);
    await this.events.record({
      taskId: row.id,
      taskName: row.name,
      kind: 'lease-acquired',
      actor: this.id,
      message: `held at generation ${lease.generation}`,
    });
    await runner.start();
  }

  private onLost(taskId: string, reason: string): void {
    this.failedStarts.delete(taskId);
    const task = this.active.get(taskId);
    if (!task) return;
    this.active.delete(taskId);
    this.logger.log({ taskId, reason }, 'gave up a task lease');
    void this.closeTask(task);
  }

  private async closeTask(task: ActiveTask): Promise<void> {
    task.runner.stop();
    this.metrics.forget(task.labels, this.id);
    await Promise.allSettled([task.source.close(), task.target.close()]);
  }

  private async clustersOf(rows: SyncTaskEntity[]): Promise<Map<string, ClusterEntity>> {
    const ids = [...new Set(rows.flatMap((r) => [r.sourceClusterId, r.targetClusterId]))];
    const clusters = ids.length > 0 ? await this.store.clusters.findByIds(ids) : [];
    return new Map(clusters.map((c) => [c.id, c]));
  }

  private definitionOf(row: SyncTaskEntity, clusters: Map<string, ClusterEntity>): TaskDefinition {
    const source = clusters.get(row.sourceClusterId);
    const target = clusters.get(row.targetClusterId);
    if (!source || !target) throw new Error(`clusters of task ${row.id} are gone`);
    return this.describe(row, source, target);
  }

  private describe(row: SyncTaskEntity, source: ClusterEntity, target: ClusterEntity): TaskDefinition {
    return {
      id: row.id,
      name: row.name,
      status: row.status,
      selector: {
        namespace: row.namespace,
        groupName: row.groupName,
        serviceName: row.serviceName,
        exclude: row.exclude,
      },
      maxDeleteRatio: row.maxDeleteRatio,
      context: {
        taskId: row.id,
        sourceClusterId: source.id,
        sourceClusterName: source.name,
        targetClusterId: target.id,
        persistentCopies: keepsPersistentCopies(target.kind),
      },
    };
  }
}
