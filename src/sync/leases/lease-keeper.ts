import type { HeldLease, LeaseRepository } from '../store/lease.repository';
import type { TaskRepository } from '../store/task.repository';
import type { WorkerInfo, WorkerRepository } from '../store/worker.repository';
import { balanceLeases } from './lease-balancer';

/** The tables a keeper reads and writes: its heartbeat, the leases, and how many tasks there are. */
export interface LeaseKeeperStore {
  leases: LeaseRepository;
  workers: WorkerRepository;
  tasks: Pick<TaskRepository, 'count'>;
}

export interface LeaseKeeperSettings {
  /** Lease lifetime; another replica may take a task this long after its holder's last renewal. */
  ttlMs: number;
  /** A replica whose heartbeat is older than this no longer counts when tasks are shared out. */
  workerTtlMs: number;
  /**
   * Upper bound of leases claimed in one round during the first `workerTtlMs` after start, while
   * peers that started together may not have heartbeated yet; after that a round claims up to the
   * fair share at once, so a survivor takes over a dead peer's tasks in one round.
   */
  maxClaimPerRound: number;
}

export interface LeaseListener {
  /** This replica now holds the task at a new generation: start (or adopt) its work. */
  acquired(lease: HeldLease): void;
  /** This replica no longer holds the task: stop writing for it at once. */
  lost(taskId: string, reason: 'expired' | 'released'): void;
}

/**
 * One replica's view of its task leases. Each `round()` heartbeats, renews, gives back what is
 * above its fair share and claims what is below it. Driven by the sync scheduler every renewal
 * interval; tests call `round()` directly.
 */
export class LeaseKeeper {
  private readonly held = new Map<string, HeldLease>();
  private readonly startedAt = Date.now();

  constructor(
    private readonly store: LeaseKeeperStore,
    private readonly worker: WorkerInfo,
    private readonly settings: LeaseKeeperSettings,
    private readonly listener: LeaseListener,
  ) {}

  get workerId(): string {
    return this.worker.id;
  }

  /** The leases held as of the last round (what the runner may act on). */
  leases(): HeldLease[] {
    return [...this.held.values()];
  }

  lease(taskId: string): HeldLease | undefined {
    const lease = this.held.get(taskId);
    // Stop acting on a lease locally before the database would let another replica take it.
    return lease && lease.expiresAt.getTime() > Date.now() ? lease : undefined;
  }

  async round(): Promise<void> {
    await this.store.workers.heartbeat(this.worker);
    const renewed = await this.store.leases.renew(this.worker.id, this.settings.ttlMs);
    const still = new Set(renewed.map((l) => l.taskId));
    for (const taskId of [...this.held.keys()]) {
      if (!still.has(taskId)) {
        this.held.delete(taskId);
        this.listener.lost(taskId, 'expired');
      }
    }
    for (const lease of renewed) this.held.set(lease.taskId, lease);

    const [tasks, liveWorkers] = await Promise.all([
      this.store.tasks.count(),
      this.store.workers.liveCount(this.settings.workerTtlMs),
    ]);
    const warmingUp = Date.now() - this.startedAt < this.settings.workerTtlMs;
    const decision = balanceLeases(
      { tasks, liveWorkers, held: this.held.size },
      warmingUp ? this.settings.maxClaimPerRound : Number.POSITIVE_INFINITY,
    );
    if (decision.release > 0) {
      const give = [...this.held.keys()].sort().slice(-decision.release);
      await this.store.leases.release(this.worker.id, give);
      for (const taskId of give) {
        this.held.delete(taskId);
        this.listener.lost(taskId, 'released');
      }
    }
    if (decision.claim > 0) {
      for (const lease of await this.store.leases.claim(this.worker.id, this.settings.ttlMs, decision.claim)) {
        this.held.set(lease.taskId, lease);
        this.listener.acquired(lease);
      }
    }
  }

  /** Clean shutdown: hand every lease back and leave the worker list so peers take over now. */
  async retire(): Promise<void> {
    const taskIds = [...this.held.keys()];
    this.held.clear();
    for (const taskId of taskIds) this.listener.lost(taskId, 'released');
    await this.store.leases.releaseAll(this.worker.id);
    await this.store.workers.remove(this.worker.id);
  }
}
