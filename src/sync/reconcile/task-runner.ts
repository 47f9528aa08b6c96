import type { EntityManager } from 'typeorm';
import { scrubbedMessage } from '@/common/secret-scrubber';
import type { ServiceSnapshot, SourceRegistry, SourceWatch } from '../adapters/source-registry';
import { isFencedOut } from '../adapters/target-registry';
import type { CopyOwner, TargetRegistry } from '../adapters/target-registry';
import type { HeldLease, LeaseRepository } from '../store/lease.repository';
import { ChangeFeed } from './change-feed';
import { isPersistentCopy } from './copy-plan';
import type { CopyContext, TaskSelector } from './copy-plan';
import { CopyIndex } from './plan';
import type { RejectedCopy } from './quarantine';
import { Reconciler } from './reconciler';
import type { TaskScope } from './reconciler';
import type { LedgerRepository } from '../store/ledger.repository';
import type { TaskRepository } from '../store/task.repository';
import { TaskDeletion } from './task-deletion';
import { TaskHealth } from './task-health';
import type { LiveTaskState } from './task-health';

export { REJECTED_LISTED, emptyTaskState } from './task-health';
export type { LiveTaskState } from './task-health';
export type { TaskHoldState } from './plan';

export type RunnerStatus = 'running' | 'paused' | 'deleting';

export interface TaskDefinition {
  id: string;
  name: string;
  status: RunnerStatus;
  selector: TaskSelector;
  maxDeleteRatio: number;
  context: CopyContext;
}

export interface RunnerSettings {
  /** Changes to one service within this window become one write. */
  debounceMs: number;
  /** Copies stay visible this long without a renewal. */
  copyTtlMs: number;
  /** How long deletions beyond maxDeleteRatio are held before the source counts as confirmed. */
  protectHoldMs: number;
  /** Services per target call, so a burst never becomes one giant request. */
  servicesPerBatch: number;
  /**
   * Fewer deletions than this in one round are never held: on a task of one or two copies any
   * single deregistration is "more than half", and holding those would only delay real changes.
   */
  protectMinDeletes: number;
  /** First wait before a failed deletion is tried again; doubles per failure up to retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
  /**
   * How long a deletion keeps trying to withdraw the copies from a target that does not answer
   * before it drops the task anyway and leaves the copies to lapse by their TTL.
   */
  deleteTargetWaitMs: number;
}

export interface RunnerEvents {
  /** An audit-worthy transition (reachability, hold, deletion). */
  event(kind: string, message: string, details?: Record<string, unknown>): void;
  /** Copies applied, for metrics: kind is add/update/remove. */
  applied?(kind: 'add' | 'update' | 'remove', count: number, lagMs: number | null): void;
  /** A read or write of the task failed (it is retried). */
  failed?(): void;
  /** A copy was refused and quarantined (called once per backoff step of that copy). */
  rejected?(copy: RejectedCopy): void;
  /** The target fenced this holding out: a newer holder of the task's lease raised its fence. */
  fenced?(reason: string): void;
  /** Records an event inside `tx` (the deletion's last transaction, before the row goes). */
  eventIn?(tx: EntityManager, kind: string, message: string, details?: Record<string, unknown>): Promise<void>;
}

export interface RunnerDeps {
  source: SourceRegistry;
  target: TargetRegistry;
  ledger: LedgerRepository;
  leases: LeaseRepository;
  tasks: Pick<TaskRepository, 'deleteDeleting'>;
  workerId: string;
  settings: RunnerSettings;
  events: RunnerEvents;
  clock?: () => number;
  /** Jitter of the backoffs (tests pin it). */
  random?: () => number;
}

/**
 * Keeps one task's copies right while this replica holds its lease, as the coordinator of three
 * pieces: the ChangeFeed (source changes, debounced per service, retried with backoff), the
 * Reconciler (what to apply, withdraw or hold, and the writes; full rounds on demand) and the
 * TaskHealth (live state, audit events, quarantine); a TaskDeletion withdraws a deleted task. All
 * writes of the task run one at a time in its queue.
 */
export class TaskRunner {
  private readonly copies = new CopyIndex();
  private readonly health: TaskHealth;
  private readonly feed: ChangeFeed;
  private readonly reconciler: Reconciler;
  private readonly deletion: TaskDeletion;
  private watchHandle: SourceWatch | undefined;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;
  private fenced = false;

  constructor(
    private task: TaskDefinition,
    private lease: HeldLease,
    private readonly deps: RunnerDeps,
  ) {
    const clock = deps.clock ?? Date.now;
    const random = deps.random ?? Math.random;
    const scope: TaskScope = {
      task: () => this.task,
      lease: () => this.lease,
      owner: () => this.owner,
      stopped: () => this.stopped,
      stop: () => this.stop(),
      fencedOut: (err) => this.fencedOut(err),
      enqueue: (work) => this.enqueue(work),
      fenced: (work) => this.deps.leases.fenced(this.lease, this.deps.workerId, work),
    };
    this.health = new TaskHealth(deps.events, clock, random);
    const apply = (batch: ServiceSnapshot[]): Promise<boolean> => this.reconciler.applyChanges(batch);
    this.feed = new ChangeFeed(scope, apply, this.health.state, deps.settings.debounceMs, clock, random);
    this.reconciler = new Reconciler(scope, deps, this.health, this.copies, this.feed, clock);
    this.deletion = new TaskDeletion(scope, deps, this.health, this.copies, clock, random);
  }

  get taskId(): string {
    return this.task.id;
  }

  get status(): RunnerStatus {
    return this.task.status;
  }

  /** What the runner knows about its task right now (persisted to task_state by the worker). */
  get state(): LiveTaskState {
    return this.health.state;
  }

  private get owner(): CopyOwner {
    return { taskId: this.task.id, generation: this.lease.generation, ttlMs: this.deps.settings.copyTtlMs };
  }

  /** Loads the ledger, adopts the target's copies, starts the change feed and reconciles once. */
  async start(): Promise<void> {
    for (const copy of await this.deps.ledger.load(this.task.id)) this.copies.remember(copy);
    this.health.state.applied = this.copies.size;
    if (this.task.status === 'deleting') return this.enqueue(() => this.deletion.run());
    // Renew at once: a new holder keeps the previous holder's copies alive with no gap.
    await this.renew();
    this.watchHandle = this.watchSource();
    await this.reconcile();
  }

  /** Stops acting (lease lost or shutdown). Copies stay until their TTL so the next holder adopts them. */
  stop(): void {
    this.stopped = true;
    this.watchHandle?.close();
    this.feed.stop();
  }

  get name(): string {
    return this.task.name;
  }

  /**
   * A new renewal of the lease (same or new generation) and the task row as it is now. A changed
   * selector (PATCH) moves the task to its new desired set: the watch follows the new selector and
   * a full round withdraws what is no longer selected (under protect mode), leaving the rest as is.
   */
  refresh(lease: HeldLease, task: TaskDefinition): Promise<void> {
    this.lease = lease;
    const was = this.task.status;
    const reselected = !sameSelector(this.task.selector, task.selector);
    this.task = task;
    if (task.status === 'deleting' && (was !== 'deleting' || this.deletion.due()))
      return this.enqueue(() => this.deletion.run());
    if (reselected) {
      this.reconciler.reselect(task.selector);
      if (this.watchHandle) {
        this.watchHandle.close();
        this.watchHandle = this.watchSource();
      }
      if (task.status === 'running') return this.reconciler.reconcileAfterCurrent();
    }
    if (task.status === 'running' && was === 'paused') return this.reconcile();
    return Promise.resolve();
  }

  /** One renewal of every copy's TTL in the target. */
  async renew(): Promise<void> {
    if (this.task.status === 'deleting' || this.fenced) return;
    try {
      const { present } = await this.deps.target.renewCopies(this.owner);
      this.health.noteTarget(true);
      // The target lost the copies (restarted, or they lapsed): put back what the ledger says.
      // `present` speaks of the leased (ephemeral) copies: persistent ones never lapse.
      const leased = this.copies.all().some((c) => !isPersistentCopy(c));
      if (!present && leased && this.task.status === 'running') void this.reconcile();
    } catch (err) {
      if (isFencedOut(err)) this.fencedOut(err);
      else this.health.noteTarget(false, scrubbedMessage(err));
    }
  }

  /** A full reconcile: every matching source service against the ledger, plus drift in the target. */
  reconcile(): Promise<void> {
    return this.reconciler.reconcile();
  }

  /** Applies deletions held by protect mode now (an operator confirmed them). */
  releaseHold(): Promise<void> {
    return this.reconciler.releaseHold();
  }

  private watchSource(): SourceWatch {
    return this.deps.source.watch(
      this.task.selector,
      (s) => this.onService(s),
      (err) => this.health.noteSource(false, scrubbedMessage(err)),
    );
  }

  /**
   * A target that fences by the lease generation refused this holding: a newer holder of the lease
   * has the task, and this replica has not noticed yet (its next lease round will). Stop writing
   * now, once, and say so.
   */
  private fencedOut(err: unknown): void {
    if (this.fenced) return;
    this.fenced = true;
    this.stop();
    const reason = scrubbedMessage(err);
    this.health.state.lastError = reason;
    this.deps.events.event('lease-fenced', `${reason}; this holder stopped writing`, {
      generation: this.lease.generation,
    });
    this.deps.events.fenced?.(reason);
  }

  private onService(s: ServiceSnapshot): void {
    if (this.stopped || !this.reconciler.matches(s)) return;
    this.feed.add(s);
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.chain.then(work, work);
    this.chain = next.catch(() => undefined);
    return next;
  }
}

function sameSelector(a: TaskSelector, b: TaskSelector): boolean {
  return (
    a.namespace === b.namespace &&
    a.groupName === b.groupName &&
    a.serviceName === b.serviceName &&
    a.exclude.length === b.exclude.length &&
    a.exclude.every((p, i) => p === b.exclude[i])
  );
}
