import type { EntityManager } from 'typeorm';
import { scrubbedMessage } from '@/common/secret-scrubber';
import type { ServiceKey } from '@/registry';
import type { ServiceSnapshot, SourceRegistry, SourceWatch } from '../adapters/source-registry';
import { isRefusedByTarget } from '../adapters/target-registry';
import type { CopyOwner, ServiceCopies, TargetRegistry } from '../adapters/target-registry';
import { Backoff } from '../common/backoff';
import type { HeldLease, TaskLeaseStore } from '../leases/task-lease-store';
import { LeaseLostError } from '../leases/task-lease-store';
import { bisectRefused, isRefusedByDatabase } from './bisect';
import type { Refusal } from './bisect';
import {
  SOURCE_CLUSTER_KEY,
  ServiceSelector,
  copyId,
  copyKey,
  desiredCopies,
  diffCopies,
  serviceId,
} from './copy-plan';
import type { CopyContext, CopyRecord, TaskSelector } from './copy-plan';
import { Quarantine } from './quarantine';
import type { RefusedBy, RejectedCopy } from './quarantine';
import type { SyncLedger } from './sync-ledger';

export type RunnerStatus = 'running' | 'paused' | 'deleting';

export interface TaskDefinition {
  id: string;
  name: string;
  status: RunnerStatus;
  selector: TaskSelector;
  maxDeleteRatio: number;
  context: CopyContext;
}

export interface TaskHoldState {
  since: number;
  wouldDelete: number;
  total: number;
  expiresAt: number;
}

/** What the runner knows about its task right now (persisted to task_state by the worker). */
export interface LiveTaskState {
  sourceReachable: boolean | null;
  targetReachable: boolean | null;
  desired: number;
  applied: number;
  lastReconcileAt: number | null;
  lastChangeAt: number | null;
  lagMs: number | null;
  lastError: string | null;
  hold: TaskHoldState | null;
  /** Source instances the ledger or the target refused, oldest first (at most REJECTED_LISTED). */
  rejected: RejectedCopy[];
  rejectedCount: number;
  /** When what is failing (a start, a write, a deletion) is tried next; null when nothing is. */
  nextAttemptAt: number | null;
}

/** Rejected copies a task's state lists; `rejectedCount` counts them all. */
export const REJECTED_LISTED = 50;

/** The state of a task nobody has run yet. */
export function emptyTaskState(): LiveTaskState {
  return {
    sourceReachable: null,
    targetReachable: null,
    desired: 0,
    applied: 0,
    lastReconcileAt: null,
    lastChangeAt: null,
    lagMs: null,
    lastError: null,
    hold: null,
    rejected: [],
    rejectedCount: 0,
    nextAttemptAt: null,
  };
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
  /** Records an event inside `tx` (the deletion's last transaction, before the row goes). */
  eventIn?(tx: EntityManager, kind: string, message: string, details?: Record<string, unknown>): Promise<void>;
}

export interface RunnerDeps {
  source: SourceRegistry;
  target: TargetRegistry;
  ledger: SyncLedger;
  leases: TaskLeaseStore;
  workerId: string;
  settings: RunnerSettings;
  events: RunnerEvents;
  clock?: () => number;
  /** Jitter of the backoffs (tests pin it). */
  random?: () => number;
}

/**
 * Keeps one task's copies right while this replica holds its lease: reacts to source changes
 * (debounced per service), reconciles in full on demand, holds mass deletions, and writes the
 * ledger before adding and after removing so the ledger always covers what the target holds.
 */
export class TaskRunner {
  private readonly ledger = new Map<string, Map<string, CopyRecord>>();
  private readonly pending = new Map<string, ServiceSnapshot>();
  private readonly selector: ServiceSelector;
  private readonly clock: () => number;
  private watchHandle: SourceWatch | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private firstPendingAt: number | null = null;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;
  private holdReleased = false;
  /** Retries of change flushes the target did not take: fast at first, for a blip. */
  private readonly writeBackoff: Backoff;
  private readonly deletionBackoff: Backoff;
  private readonly quarantine: Quarantine;
  /** When this holder first tried to delete the task (the wait for the target counts from there). */
  private deletingSince: number | null = null;
  private deletionRunning = false;
  private deleted = false;
  private reconciling: Promise<void> | undefined;
  /** Sequence of applied flushes, and the last one per service: a reconcile skips services written after its read. */
  private flushSeq = 0;
  private readonly flushedAt = new Map<string, number>();
  /** Copies the source last wanted per service (refused ones included), so `desired` moves by the change. */
  private readonly wantedCount = new Map<string, number>();
  readonly state: LiveTaskState = emptyTaskState();

  constructor(
    private task: TaskDefinition,
    private lease: HeldLease,
    private readonly deps: RunnerDeps,
  ) {
    this.selector = new ServiceSelector(task.selector);
    this.clock = deps.clock ?? Date.now;
    const random = deps.random ?? Math.random;
    this.writeBackoff = new Backoff(WRITE_RETRY_BASE_MS, WRITE_RETRY_MAX_MS, random);
    this.deletionBackoff = new Backoff(deps.settings.retryBaseMs, deps.settings.retryMaxMs, random);
    this.quarantine = new Quarantine(undefined, undefined, random);
  }

  get taskId(): string {
    return this.task.id;
  }

  get status(): RunnerStatus {
    return this.task.status;
  }

  private get owner(): CopyOwner {
    return { taskId: this.task.id, generation: this.lease.generation, ttlMs: this.deps.settings.copyTtlMs };
  }

  /** Loads the ledger, adopts the target's copies, starts the change feed and reconciles once. */
  async start(): Promise<void> {
    for (const copy of await this.deps.ledger.load(this.task.id)) this.remember(copy);
    this.state.applied = this.ledgerSize();
    if (this.task.status === 'deleting') return this.enqueue(() => this.runDeletion());
    // Renew at once: a new holder keeps the previous holder's copies alive with no gap.
    await this.renew();
    this.watchHandle = this.deps.source.watch(
      this.task.selector,
      (s) => this.onService(s),
      (err) => this.noteSource(false, scrubbedMessage(err)),
    );
    await this.reconcile();
  }

  /** Stops acting (lease lost or shutdown). Copies stay until their TTL so the next holder adopts them. */
  stop(): void {
    this.stopped = true;
    this.watchHandle?.close();
    clearTimeout(this.flushTimer);
  }

  /** A new renewal of the lease (same or new generation) and the task row as it is now. */
  refresh(lease: HeldLease, task: TaskDefinition): Promise<void> {
    this.lease = lease;
    const was = this.task.status;
    this.task = task;
    if (task.status === 'deleting' && (was !== 'deleting' || this.deletionDue()))
      return this.enqueue(() => this.runDeletion());
    if (task.status === 'running' && was === 'paused') return this.reconcile();
    return Promise.resolve();
  }

  /** One renewal of every copy's TTL in the target. */
  async renew(): Promise<void> {
    if (this.task.status === 'deleting') return;
    try {
      const { present } = await this.deps.target.renewCopies(this.owner);
      this.noteTarget(true);
      // The target lost the copies (restarted, or they lapsed): put back what the ledger says.
      if (!present && this.ledgerSize() > 0 && this.task.status === 'running') void this.reconcile();
    } catch (err) {
      this.noteTarget(false, scrubbedMessage(err));
    }
  }

  /** A full reconcile: every matching source service against the ledger, plus drift in the target. */
  reconcile(): Promise<void> {
    // One at a time: a resync asked for during a periodic reconcile joins it.
    this.reconciling ??= this.reconcileAll().finally(() => (this.reconciling = undefined));
    return this.reconciling;
  }

  /** Applies deletions held by protect mode now (an operator confirmed them). */
  releaseHold(): Promise<void> {
    if (!this.state.hold) return Promise.resolve();
    this.state.hold = null;
    this.holdReleased = true;
    this.deps.events.event('hold-released', 'held deletions released by an operator; applying them');
    return this.reconciling ? this.reconciling.then(() => this.reconcile()) : this.reconcile();
  }

  /**
   * Reads the whole source beside the change flushes (it can take seconds), then applies in the
   * queue, leaving out services a flush has written since the read began: those are newer.
   */
  private async reconcileAll(): Promise<void> {
    if (this.stopped || this.task.status !== 'running') return;
    const readFrom = this.flushSeq;
    let snapshots: ServiceSnapshot[];
    try {
      snapshots = await this.deps.source.snapshot(this.task.selector);
      this.noteSource(true);
    } catch (err) {
      // The source is down: keep every copy as it is and say so.
      this.noteSource(false, scrubbedMessage(err));
      return;
    }
    const drifted = await this.driftedServices();
    await this.enqueue(async () => {
      if (this.stopped || this.task.status !== 'running') return;
      const newer = (sid: string): boolean => (this.flushedAt.get(sid) ?? 0) > readFrom;
      const desired = new Map<string, ServiceSnapshot>();
      const inSource = new Set<string>();
      let total = 0;
      for (const s of snapshots) {
        if (!this.selector.matches(s.key)) continue;
        const sid = serviceId(keyOf(s.key));
        inSource.add(sid);
        total += s.instances.filter((i) => i.metadata[SOURCE_CLUSTER_KEY] === undefined).length;
        if (!newer(sid)) desired.set(sid, s);
      }
      // Services that vanished from the source are desired empty.
      for (const [sid, copies] of this.ledger) {
        const any = copies.values().next().value;
        if (any && !inSource.has(sid) && !newer(sid)) {
          desired.set(sid, {
            key: { namespace: any.namespace, group: any.groupName, name: any.serviceName },
            instances: [],
          });
        }
      }
      const ok = await this.apply([...desired.values()], drifted, true);
      this.quarantine.keepServices(inSource);
      this.publishRejected();
      this.state.desired = total;
      this.state.lastReconcileAt = this.clock();
      // A clean full round: whatever failed before is over.
      if (ok && this.quarantine.size === 0 && this.state.targetReachable !== false) this.state.lastError = null;
    });
  }

  private onService(s: ServiceSnapshot): void {
    if (this.stopped || !this.selector.matches(s.key)) return;
    this.state.lastChangeAt = this.clock();
    this.firstPendingAt ??= this.clock();
    this.pending.set(serviceId(keyOf(s.key)), s);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      void this.enqueue(() => this.flush());
    }, this.deps.settings.debounceMs);
  }

  private async flush(): Promise<void> {
    if (this.stopped || this.pending.size === 0) return;
    if (this.task.status !== 'running') {
      this.pending.clear();
      return;
    }
    const batch = [...this.pending.values()];
    this.pending.clear();
    const startedAt = this.firstPendingAt;
    this.firstPendingAt = null;
    const ok = await this.apply(batch, new Set(), false);
    if (ok) {
      for (const each of batch) this.flushedAt.set(serviceId(keyOf(each.key)), ++this.flushSeq);
      this.writeBackoff.reset();
      this.state.nextAttemptAt = null;
      if (startedAt !== null) this.state.lagMs = this.clock() - startedAt;
      return;
    }
    // Keep the changes (newer ones win) and try again with backoff: nothing is dropped.
    for (const s of batch) if (!this.pending.has(serviceId(keyOf(s.key)))) this.pending.set(serviceId(keyOf(s.key)), s);
    this.firstPendingAt ??= startedAt;
    if (this.stopped) return;
    const delay = this.writeBackoff.fail();
    this.state.nextAttemptAt = this.clock() + delay;
    clearTimeout(this.flushTimer);
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      void this.enqueue(() => this.flush());
    }, delay);
  }

  /**
   * Brings the given services to their desired copies. `drifted` services are re-applied even
   * when the ledger matches (their target content drifted). A copy the ledger or the target
   * refuses is quarantined on its own and everything else is written. Returns false when the
   * target or the database could not be written at all (the caller retries).
   */
  private async apply(snapshots: ServiceSnapshot[], drifted: Set<string>, full: boolean): Promise<boolean> {
    const now = this.clock();
    const adds: CopyRecord[] = [];
    const updates: CopyRecord[] = [];
    const removes: CopyRecord[] = [];
    const touched: ServiceCopies[] = [];
    let desiredTotal = full ? 0 : this.state.desired;
    for (const s of snapshots) {
      const sid = serviceId(keyOf(s.key));
      const wanted = desiredCopies(s.key, s.instances, this.task.context);
      const ledger = this.ledger.get(sid);
      const have = [...(ledger?.values() ?? [])];
      if (full) desiredTotal += wanted.length;
      else desiredTotal += wanted.length - (this.wantedCount.get(sid) ?? have.length);
      if (wanted.length > 0) this.wantedCount.set(sid, wanted.length);
      else this.wantedCount.delete(sid);
      this.quarantine.keepOnly(sid, wanted);
      // A copy refused before, unchanged and not due for a retry, stays as the ledger has it (or out).
      const want = wanted.flatMap((c) => {
        if (!this.quarantine.holds(c, now)) return [c];
        const held = ledger?.get(copyId(c));
        return held ? [held] : [];
      });
      const diff = diffCopies(want, have);
      if (diff.add.length + diff.update.length + diff.remove.length === 0 && !drifted.has(sid)) continue;
      adds.push(...diff.add);
      updates.push(...diff.update);
      removes.push(...diff.remove);
      touched.push({ key: s.key, copies: want, removed: diff.remove });
    }
    this.state.desired = Math.max(0, desiredTotal);
    if (full && removes.length === 0 && this.state.hold) {
      // A full reconcile wants nothing removed any more: the source recovered before the hold ran
      // out, so there is nothing left to hold back (and later deletions start a hold of their own).
      this.state.hold = null;
      this.deps.events.event('hold-cleared', 'source recovered: no held deletion is wanted any more');
    }
    if (touched.length === 0) return true;

    const total = this.ledgerSize();
    const heldBack = this.protect(removes.length, total);
    try {
      const written = await this.writeLedger([...adds, ...updates]);
      const previous = new Map<string, CopyRecord>();
      for (const c of written) {
        const old = this.ledger.get(serviceId(c))?.get(copyId(c));
        if (old) previous.set(copyKey(c), old);
        this.remember(c);
      }
      // Copies the ledger refused stay as the ledger has them; the rest goes to the target.
      const ledgerView = (c: CopyRecord): CopyRecord[] => {
        const held = this.ledger.get(serviceId(c))?.get(copyId(c));
        return held ? [held] : [];
      };
      const services = touched.map((t) => ({ ...t, copies: t.copies.flatMap((c) => ledgerView(c)) }));
      // While deletions are held, services keep their old copies beside the new ones.
      const writes = heldBack
        ? services.map((t) => ({ key: t.key, copies: keepHeld(t.copies, this.ledgerCopies(t.key)), removed: [] }))
        : services;
      const changed = new Set(written.map(copyKey));
      const fallback = (c: CopyRecord): CopyRecord[] => {
        const old = previous.get(copyKey(c));
        return old ? [old] : [];
      };
      const refusedByTarget: Array<Refusal<CopyRecord>> = [];
      for (let i = 0; i < writes.length; i += this.deps.settings.servicesPerBatch) {
        const batch = writes.slice(i, i + this.deps.settings.servicesPerBatch);
        refusedByTarget.push(...(await this.writeTarget(batch, changed, fallback)));
      }
      this.noteTarget(true);
      await this.undoLedger(
        refusedByTarget.map((r) => r.item),
        previous,
      );
      for (const r of refusedByTarget) this.reject(r.item, 'target', r.reason);
      const refused = new Set(refusedByTarget.map((r) => copyKey(r.item)));
      for (const c of written) if (!refused.has(copyKey(c))) this.quarantine.accept(c);
      if (!heldBack && removes.length > 0) {
        await this.fenced((tx) => this.deps.ledger.remove(tx, this.task.id, removes));
        for (const c of removes) this.forget(c);
      }
    } catch (err) {
      if (err instanceof LeaseLostError) {
        this.stop();
        return false;
      }
      if (err instanceof TargetWriteError) this.noteTarget(false, err.message);
      else this.noteDatabase(err);
      return false;
    } finally {
      this.publishRejected();
    }
    this.state.applied = this.ledgerSize();
    const lag = this.firstPendingAt === null ? this.state.lagMs : this.clock() - this.firstPendingAt;
    this.deps.events.applied?.('add', adds.length, lag);
    this.deps.events.applied?.('update', updates.length, lag);
    if (!heldBack) this.deps.events.applied?.('remove', removes.length, lag);
    return true;
  }

  /**
   * Records copies in the ledger, one statement for the lot; a statement Postgres refuses for its
   * content is split until the refused copies are found, which are quarantined. Returns the copies written.
   */
  private async writeLedger(copies: CopyRecord[]): Promise<CopyRecord[]> {
    const refused = await bisectRefused(
      copies,
      (batch) => this.fenced((tx) => this.deps.ledger.upsert(tx, this.task.id, this.lease.generation, batch)),
      isRefusedByDatabase,
    );
    if (refused.length === 0) return copies;
    for (const r of refused) this.reject(r.item, 'ledger', r.reason);
    const out = new Set(refused.map((r) => copyKey(r.item)));
    return copies.filter((c) => !out.has(copyKey(c)));
  }

  /**
   * Writes services into the target. When the target refuses a batch for its content, the batch
   * is split down to single services, and within a refused service the copies written now
   * (`changed`) are split down to the ones refused; those are written as before (`fallback`: the
   * version the target held, or none). Returns the refused copies.
   */
  private async writeTarget(
    services: ServiceCopies[],
    changed: ReadonlySet<string>,
    fallback: (c: CopyRecord) => CopyRecord[],
  ): Promise<Array<Refusal<CopyRecord>>> {
    const write = (batch: readonly ServiceCopies[]): Promise<void> =>
      this.deps.target.applyCopies(this.owner, [...batch]);
    try {
      const out: Array<Refusal<CopyRecord>> = [];
      for (const { item: service, reason } of await bisectRefused(services, write, isRefusedByTarget)) {
        const suspects = service.copies.filter((c) => changed.has(copyKey(c)));
        // Nothing new in it: the target refuses what it took before, so no one copy is to blame.
        if (suspects.length === 0) throw new Error(reason);
        const known = service.copies.filter((c) => !changed.has(copyKey(c)));
        const refused = await bisectRefused(
          suspects,
          (some) => write([{ ...service, copies: [...known, ...some] }]),
          isRefusedByTarget,
        );
        const bad = new Set(refused.map((r) => copyKey(r.item)));
        await write([{ ...service, copies: service.copies.flatMap((c) => (bad.has(copyKey(c)) ? fallback(c) : [c])) }]);
        out.push(...refused);
      }
      return out;
    } catch (err) {
      throw new TargetWriteError(err);
    }
  }

  /** Puts the ledger back to what the target holds for copies the target refused. */
  private async undoLedger(refused: CopyRecord[], previous: ReadonlyMap<string, CopyRecord>): Promise<void> {
    if (refused.length === 0) return;
    const restore = refused.flatMap((c) => previous.get(copyKey(c)) ?? []);
    const drop = refused.filter((c) => !previous.has(copyKey(c)));
    await this.fenced(async (tx) => {
      await this.deps.ledger.upsert(tx, this.task.id, this.lease.generation, restore);
      await this.deps.ledger.remove(tx, this.task.id, drop);
    });
    for (const c of restore) this.remember(c);
    for (const c of drop) this.forget(c);
  }

  /** Quarantines a refused copy; announces it (event, log, metric) once per backoff step. */
  private reject(copy: CopyRecord, refusedBy: RefusedBy, reason: string): void {
    const what = `${serviceId(copy)} ${copy.ip}:${copy.port} (cluster ${copy.clusterName})`;
    this.state.lastError = `${refusedBy} refused ${what}: ${reason}`;
    const step = this.quarantine.reject(copy, refusedBy, reason, this.clock());
    if (!step) return;
    this.deps.events.event(
      'copy-rejected',
      `${refusedBy} refused ${what}: ${reason}; kept out until it changes in the source or is retried at ${new Date(step.retryAt).toISOString()}`,
      {
        service: serviceId(copy),
        address: `${copy.ip}:${copy.port}`,
        clusterName: copy.clusterName,
        refusedBy,
        reason,
        attempts: step.attempts,
        retryAt: new Date(step.retryAt).toISOString(),
      },
    );
    this.deps.events.rejected?.(step);
  }

  private publishRejected(): void {
    this.state.rejected = this.quarantine.list(REJECTED_LISTED);
    this.state.rejectedCount = this.quarantine.size;
  }

  /** True when these removals must wait (protect mode); manages the hold's start and expiry. */
  private protect(removals: number, total: number): boolean {
    if (removals === 0) return false;
    const now = this.clock();
    if (this.holdReleased) {
      this.holdReleased = false;
      return false;
    }
    const hold = this.state.hold;
    if (hold && now >= hold.expiresAt) {
      // The source kept saying so for the whole hold period: it is confirmed.
      this.state.hold = null;
      this.deps.events.event(
        'hold-confirmed',
        `source confirmed ${removals} deletions over the hold period; applying them`,
      );
      return false;
    }
    if (hold) return true;
    if (removals < this.deps.settings.protectMinDeletes) return false;
    if (total === 0 || removals / total <= this.task.maxDeleteRatio) return false;
    this.state.hold = { since: now, wouldDelete: removals, total, expiresAt: now + this.deps.settings.protectHoldMs };
    this.deps.events.event('hold', `holding ${removals} of ${total} copies back from deletion (over maxDeleteRatio)`, {
      wouldDelete: removals,
      total,
    });
    return true;
  }

  private async driftedServices(): Promise<Set<string>> {
    const out = new Set<string>();
    let actual: CopyRecord[];
    try {
      actual = await this.deps.target.listCopies(this.owner);
    } catch {
      return out;
    }
    const byService = new Map<string, CopyRecord[]>();
    for (const c of actual) {
      const list = byService.get(serviceId(c)) ?? [];
      list.push(c);
      byService.set(serviceId(c), list);
    }
    for (const sid of new Set([...byService.keys(), ...this.ledger.keys()])) {
      const diff = diffCopies([...(this.ledger.get(sid)?.values() ?? [])], byService.get(sid) ?? []);
      if (diff.add.length + diff.update.length + diff.remove.length > 0) out.add(sid);
    }
    return out;
  }

  private deletionDue(): boolean {
    return (
      !this.deleted &&
      !this.deletionRunning &&
      this.state.nextAttemptAt !== null &&
      this.clock() >= this.state.nextAttemptAt
    );
  }

  /**
   * Withdraws the task's copies, empties the ledger and drops the row. A target that does not
   * answer is tried again with backoff; after `deleteTargetWaitMs` the task is dropped anyway and
   * its copies lapse by their TTL (nothing renews them once the deletion began).
   */
  private async runDeletion(): Promise<void> {
    if (this.deleted) return;
    this.stop();
    this.deletionRunning = true;
    const now = this.clock();
    this.deletingSince ??= now;
    let unreachable: string | undefined;
    try {
      await this.deps.target.withdrawCopies(this.owner);
      this.noteTarget(true);
    } catch (err) {
      unreachable = scrubbedMessage(err);
      this.noteTarget(false, unreachable);
    }
    const waited = now - this.deletingSince;
    if (unreachable !== undefined && waited < this.deps.settings.deleteTargetWaitMs) {
      this.state.nextAttemptAt = now + this.deletionBackoff.fail();
      this.deletionRunning = false;
      return;
    }
    const all = [...this.ledger.values()].flatMap((m) => [...m.values()]);
    const [kind, message, details] =
      unreachable === undefined
        ? ([
            'deleted',
            `withdrew ${all.length} copies and removed the task`,
            { copies: all.length, withdrawn: true },
          ] as const)
        : ([
            'deleted',
            `target did not take the withdrawal for ${Math.round(waited / 1000)} s (${unreachable}): removed the task; its ${all.length} copies lapse by their TTL`,
            { copies: all.length, withdrawn: false, reason: unreachable },
          ] as const);
    try {
      await this.fenced(async (tx) => {
        await this.deps.ledger.remove(tx, this.task.id, all);
        if (this.deps.events.eventIn) await this.deps.events.eventIn(tx, kind, message, { ...details });
        await tx.query(`DELETE FROM sync_task WHERE id = $1 AND status = 'deleting'`, [this.task.id]);
      });
      this.ledger.clear();
      this.deleted = true;
      this.state.nextAttemptAt = null;
      if (!this.deps.events.eventIn) this.deps.events.event(kind, message, { ...details });
    } catch (err) {
      if (err instanceof LeaseLostError) return;
      this.noteDatabase(err);
      this.state.nextAttemptAt = now + this.deletionBackoff.fail();
    } finally {
      this.deletionRunning = false;
    }
  }

  private fenced<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.deps.leases.fenced(this.lease, this.deps.workerId, work);
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.chain.then(work, work);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private noteSource(reachable: boolean, error?: string): void {
    if (!reachable) this.deps.events.failed?.();
    if (this.state.sourceReachable !== reachable) {
      this.deps.events.event(
        reachable ? 'source-reachable' : 'source-unreachable',
        reachable ? 'source reachable' : `source unreachable: ${error}; copies kept`,
      );
    }
    this.state.sourceReachable = reachable;
    if (error) this.state.lastError = error;
  }

  /** Ledger or lease store unreachable: the change is retried; the copies in the target stay. */
  private noteDatabase(err: unknown): void {
    this.deps.events.failed?.();
    this.state.lastError = `database: ${scrubbedMessage(err)}`;
  }

  private noteTarget(reachable: boolean, error?: string): void {
    if (!reachable) this.deps.events.failed?.();
    if (this.state.targetReachable !== reachable) {
      this.deps.events.event(
        reachable ? 'target-reachable' : 'target-unreachable',
        reachable ? 'target reachable' : `target unreachable: ${error}`,
      );
    }
    this.state.targetReachable = reachable;
    if (error) this.state.lastError = error;
  }

  private remember(c: CopyRecord): void {
    const sid = serviceId(c);
    let copies = this.ledger.get(sid);
    if (!copies) this.ledger.set(sid, (copies = new Map<string, CopyRecord>()));
    copies.set(copyId(c), c);
  }

  private forget(c: CopyRecord): void {
    const sid = serviceId(c);
    const copies = this.ledger.get(sid);
    copies?.delete(copyId(c));
    if (copies?.size === 0) this.ledger.delete(sid);
  }

  private ledgerCopies(key: ServiceKey): CopyRecord[] {
    return [...(this.ledger.get(serviceId(keyOf(key)))?.values() ?? [])];
  }

  private ledgerSize(): number {
    let n = 0;
    for (const m of this.ledger.values()) n += m.size;
    return n;
  }
}

/** A target that did not take a change is tried again soon (a blip), then at most every 5 s. */
const WRITE_RETRY_BASE_MS = 200;
const WRITE_RETRY_MAX_MS = 5000;

/** A failed write into the target (as opposed to the ledger), so reachability is reported right. */
class TargetWriteError extends Error {
  constructor(cause: unknown) {
    super(scrubbedMessage(cause), { cause });
    this.name = 'TargetWriteError';
  }
}

/** The desired copies plus the ones whose removal is held back (the ledger still lists them). */
function keepHeld(desired: CopyRecord[], ledger: CopyRecord[]): CopyRecord[] {
  const ids = new Set(desired.map(copyId));
  return [...desired, ...ledger.filter((c) => !ids.has(copyId(c)))];
}

function keyOf(key: ServiceKey): { namespace: string; groupName: string; serviceName: string } {
  return { namespace: key.namespace, groupName: key.group, serviceName: key.name };
}
