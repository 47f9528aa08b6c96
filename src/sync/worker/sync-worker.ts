import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { AppConfig } from '@/config';
import { AdapterFactory } from '../adapters/adapter-factory';
import type { RegistryAdapter } from '../adapters/registry-adapter';
import { ClusterService } from '../clusters/cluster.service';
import { ClusterEntity, SyncTaskEntity } from '../entities';
import { LeaseKeeper } from '../leases/lease-keeper';
import { TaskLeaseStore } from '../leases/task-lease-store';
import type { HeldLease } from '../leases/task-lease-store';
import { SyncLedger } from '../reconcile/sync-ledger';
import { TaskRunner, emptyTaskState } from '../reconcile/task-runner';
import type { TaskDefinition } from '../reconcile/task-runner';
import { TaskEventLog } from '../tasks/task-event-log';
import { SyncScheduler } from './sync-scheduler';
import { SyncMetrics } from './sync-metrics';
import type { TaskLabels } from './sync-metrics';
import { TaskStateWriter } from './task-state-writer';

interface ActiveTask {
  runner: TaskRunner;
  labels: TaskLabels;
  source: RegistryAdapter;
  target: RegistryAdapter;
  resyncSeen: number;
  releaseSeen: number;
}

export const VERSION = '0.1.0';

/**
 * This replica's share of the sync tasks: holds leases through the LeaseKeeper, runs one
 * TaskRunner per held task, carries operator commands to them, and persists their state.
 */
@Injectable()
export class SyncWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SyncWorker.name);
  readonly id = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly keeper: LeaseKeeper;
  private readonly store: TaskLeaseStore;
  private readonly ledger: SyncLedger;
  private readonly active = new Map<string, ActiveTask>();
  private readonly starting = new Map<string, Promise<void>>();
  /** Why a held task could not start (unreachable cluster row, unsupported kind); retried each round. */
  private readonly failedStarts = new Map<string, string>();
  private databaseDown = false;

  constructor(
    private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly clusters: ClusterService,
    private readonly adapters: AdapterFactory,
    private readonly events: TaskEventLog,
    private readonly scheduler: SyncScheduler,
    private readonly stateWriter: TaskStateWriter,
    private readonly metrics: SyncMetrics,
  ) {
    this.store = new TaskLeaseStore(db);
    this.ledger = new SyncLedger(db);
    this.keeper = new LeaseKeeper(
      this.store,
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
    await this.scheduler.stopAll();
    await Promise.allSettled(this.starting.values());
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
    await Promise.allSettled(this.starting.values());
    const held = this.keeper.leases();
    if (held.length === 0) return;
    const rows = await this.db.getRepository(SyncTaskEntity).findBy({ id: In(held.map((l) => l.taskId)) });
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const lease of held) {
      if (!this.active.has(lease.taskId) && !this.starting.has(lease.taskId)) this.onAcquired(lease);
    }
    await Promise.allSettled(this.starting.values());
    for (const lease of held) {
      const active = this.active.get(lease.taskId);
      const row = byId.get(lease.taskId);
      if (!active || !row) continue;
      const definition = await this.definition(row);
      await active.runner.refresh(lease, definition);
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
    this.metrics.leasesHeld.set({ worker: this.id }, held.length);
    for (const task of this.active.values()) this.metrics.observe(task.labels, this.id, task.runner.state);
    await this.stateWriter.write(
      this.id,
      held.flatMap((l) => {
        const active = this.active.get(l.taskId);
        if (active) return [{ lease: l, state: active.runner.state }];
        const error = this.failedStarts.get(l.taskId);
        return error ? [{ lease: l, state: { ...emptyTaskState(), lastError: error } }] : [];
      }),
    );
  }

  async reconcileAll(): Promise<void> {
    await Promise.allSettled([...this.active.values()].map((t) => t.runner.reconcile()));
  }

  private onAcquired(lease: HeldLease): void {
    const start = this.startTask(lease)
      .then(() => {
        this.failedStarts.delete(lease.taskId);
      })
      .catch((err: unknown) => {
        this.failedStarts.set(lease.taskId, (err as Error).message);
        this.logger.error(
          { err, taskId: lease.taskId },
          'could not start a task; the lease is kept and the start retried',
        );
      })
      .finally(() => this.starting.delete(lease.taskId));
    this.starting.set(lease.taskId, start);
  }

  private async startTask(lease: HeldLease): Promise<void> {
    const row = await this.db.getRepository(SyncTaskEntity).findOneBy({ id: lease.taskId });
    if (!row) return;
    const [sourceCluster, targetCluster] = await Promise.all([
      this.clusters.get(row.sourceClusterId),
      this.clusters.get(row.targetClusterId),
    ]);
    const source = this.adapters.create(sourceCluster, this.clusters.secretsOf(sourceCluster));
    const target = this.adapters.create(targetCluster, this.clusters.secretsOf(targetCluster));
    const definition = this.describe(row, sourceCluster, targetCluster);
    const labels: TaskLabels = { task: row.name, source: sourceCluster.name, target: targetCluster.name };
    const runner = new TaskRunner(definition, lease, {
      source,
      target,
      ledger: this.ledger,
      leases: this.store,
      workerId: this.id,
      settings: {
        debounceMs: this.config.sync.debounceMs,
        copyTtlMs: this.config.sync.clientTtlMs,
        protectHoldMs: this.config.sync.protectHoldMs,
        protectMinDeletes: this.config.sync.protectMinDeletes,
        servicesPerBatch: 100,
      },
      events: {
        applied: (kind, count, lagMs) => {
          if (count === 0) return;
          this.metrics.operations.inc({ ...labels, kind, result: 'ok' }, count);
          if (lagMs !== null) this.metrics.lag.observe(labels, lagMs / 1000);
        },
        failed: () => this.metrics.errors.inc(labels),
        event: (kind, message, details) =>
          void this.events
            .record({ taskId: row.id, taskName: row.name, kind, actor: this.id, message, details })
            .catch((err: unknown) => this.logger.warn({ err, taskId: row.id }, 'could not record a task event')),
      },
    });
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

  private async definition(row: SyncTaskEntity): Promise<TaskDefinition> {
    const clusters = await this.db
      .getRepository(ClusterEntity)
      .findBy({ id: In([row.sourceClusterId, row.targetClusterId]) });
    const source = clusters.find((c) => c.id === row.sourceClusterId);
    const target = clusters.find((c) => c.id === row.targetClusterId);
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
      },
    };
  }
}
