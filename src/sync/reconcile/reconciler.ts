import type { EntityManager } from 'typeorm';
import { scrubbedMessage } from '@/common/secret-scrubber';
import type { ServiceSnapshot } from '../adapters/source-registry';
import { isFencedOut, isRefusedByTarget } from '../adapters/target-registry';
import type { CopyOwner, ServiceCopies } from '../adapters/target-registry';
import type { HeldLease } from '../store/lease.repository';
import { LeaseLostError } from '../store/lease.repository';
import { bisectRefused, isRefusedByDatabase } from './bisect';
import type { Refusal } from './bisect';
import { ServiceSelector, copyKey } from './copy-plan';
import type { CopyRecord, TaskSelector } from './copy-plan';
import { decideHold, desiredAfter, driftedServices, planApply, planFullRound, targetWrites } from './plan';
import type { CopyIndex } from './plan';
import type { TaskHealth } from './task-health';
import type { RunnerDeps, TaskDefinition } from './task-runner';

/** What the pieces of a runner share of its task: the definition and lease as they are now, and its queue. */
export interface TaskScope {
  task(): TaskDefinition;
  lease(): HeldLease;
  /** The task's copies' owner under the lease held now. */
  owner(): CopyOwner;
  /** True once the runner stopped acting (lease lost, shutdown or deletion). */
  stopped(): boolean;
  stop(): void;
  /** The target fenced this holding out (a newer one raised the task's fence): stop and report it. */
  fencedOut(err: unknown): void;
  /** Runs `work` in the task's queue, after what is queued before it. */
  enqueue(work: () => Promise<void>): Promise<void>;
  /** Runs `work` in a transaction that commits only while this replica still holds the lease. */
  fenced<T>(work: (tx: EntityManager) => Promise<T>): Promise<T>;
}

/** What the reconciler needs of the change feed: where it is, to leave out services it wrote since a read. */
export interface FeedPosition {
  readonly pendingSince: number | null;
  readonly mark: number;
  writtenSince(sid: string, mark: number): boolean;
}

/**
 * Brings a task's target to what its source wants: plans with the pure functions of `plan.ts`
 * and writes the ledger before adding and after removing, so the ledger always covers what the
 * target holds; a copy the ledger or the target refuses is quarantined on its own; deletions over
 * the task's ratio wait in protect mode.
 */
export class Reconciler {
  private selector: ServiceSelector;
  private reconciling: Promise<void> | undefined;
  private holdReleased = false;
  /** Copies the source last wanted per service (refused ones included), so `desired` moves by the change. */
  private readonly wantedCount = new Map<string, number>();

  constructor(
    private readonly scope: TaskScope,
    private readonly deps: RunnerDeps,
    private readonly health: TaskHealth,
    private readonly copies: CopyIndex,
    private readonly feed: FeedPosition,
    private readonly clock: () => number,
  ) {
    this.selector = new ServiceSelector(scope.task().selector);
  }

  /** Whether a source service is the task's. */
  matches(s: ServiceSnapshot): boolean {
    return this.selector.matches(s.key);
  }

  /** A full reconcile: every matching source service against the ledger, plus drift in the target. */
  reconcile(): Promise<void> {
    // One at a time: a resync asked for during a periodic reconcile joins it.
    this.reconciling ??= this.reconcileAll().finally(() => (this.reconciling = undefined));
    return this.reconciling;
  }

  /** Takes a changed selector: from now on, services it does not select want no copies. */
  reselect(selector: TaskSelector): void {
    this.selector = new ServiceSelector(selector);
  }

  /** A full round that starts after the one under way, if any (it read the source with the old selector). */
  reconcileAfterCurrent(): Promise<void> {
    return this.reconciling ? this.reconciling.then(() => this.reconcile()) : this.reconcile();
  }

  /** Applies deletions held by protect mode now (an operator confirmed them). */
  releaseHold(): Promise<void> {
    if (!this.health.state.hold) return Promise.resolve();
    this.health.state.hold = null;
    this.holdReleased = true;
    this.deps.events.event('hold-released', 'held deletions released by an operator; applying them');
    return this.reconciling ? this.reconciling.then(() => this.reconcile()) : this.reconcile();
  }

  /** Writes changed services (the change feed's batch); one the selector no longer selects wants no copies. */
  applyChanges(batch: ServiceSnapshot[]): Promise<boolean> {
    const selected = batch.map((s) => (this.selector.matches(s.key) ? s : { key: s.key, instances: [] }));
    return this.apply(selected, new Set(), false);
  }

  /**
   * Reads the whole source beside the change flushes (it can take seconds), then applies in the
   * queue, leaving out services a flush has written since the read began: those are newer.
   */
  private async reconcileAll(): Promise<void> {
    const { scope, health } = this;
    if (scope.stopped() || scope.task().status !== 'running') return;
    const readFrom = this.feed.mark;
    let snapshots: ServiceSnapshot[];
    try {
      snapshots = await this.deps.source.snapshot(scope.task().selector);
      health.noteSource(true);
    } catch (err) {
      // The source is down: keep every copy as it is and say so.
      health.noteSource(false, scrubbedMessage(err));
      return;
    }
    const drifted = await this.drifted();
    await scope.enqueue(async () => {
      if (scope.stopped() || scope.task().status !== 'running') return;
      const newer = (sid: string): boolean => this.feed.writtenSince(sid, readFrom);
      const round = planFullRound(snapshots, this.selector, this.copies, newer);
      const ok = await this.apply(round.services, drifted, true);
      health.quarantine.keepServices(round.inSource);
      health.publishRejected();
      health.state.desired = round.total;
      health.state.lastReconcileAt = this.clock();
      // A clean full round: whatever failed before is over.
      if (ok && health.quarantine.size === 0 && health.state.targetReachable !== false) health.state.lastError = null;
    });
  }

  /**
   * Brings the given services to their desired copies. `drifted` services are re-applied even
   * when the ledger matches (their target content drifted). A copy the ledger or the target
   * refuses is quarantined on its own and everything else is written. Returns false when the
   * target or the database could not be written at all (the caller retries).
   */
  private async apply(snapshots: ServiceSnapshot[], drifted: Set<string>, full: boolean): Promise<boolean> {
    const { health } = this;
    const now = this.clock();
    const plan = planApply(
      snapshots,
      this.copies,
      this.scope.task().context,
      (c) => health.quarantine.holds(c, now),
      drifted,
    );
    const { adds, updates, removes } = plan;
    health.state.desired = desiredAfter(health.state.desired, full, plan.services, (sid) => this.wantedCount.get(sid));
    for (const s of plan.services) {
      if (s.wanted.length > 0) this.wantedCount.set(s.sid, s.wanted.length);
      else this.wantedCount.delete(s.sid);
      health.quarantine.keepOnly(s.sid, s.wanted);
    }
    if (full && removes.length === 0 && health.state.hold) {
      // A full reconcile wants nothing removed any more: the source recovered before the hold ran
      // out, so there is nothing left to hold back (and later deletions start a hold of their own).
      health.state.hold = null;
      this.deps.events.event('hold-cleared', 'source recovered: no held deletion is wanted any more');
    }
    if (plan.touched.length === 0) return true;

    const heldBack = this.protect(removes.length, this.copies.size);
    try {
      await this.write(plan.touched, [...adds, ...updates], heldBack);
      if (!heldBack && removes.length > 0) {
        await this.scope.fenced((tx) => this.deps.ledger.remove(tx, this.scope.task().id, removes));
        for (const c of removes) this.copies.forget(c);
      }
    } catch (err) {
      if (err instanceof LeaseLostError) {
        this.scope.stop();
        return false;
      }
      if (isFencedOut(err)) {
        this.scope.fencedOut(err);
        return false;
      }
      if (err instanceof TargetWriteError) health.noteTarget(false, err.message);
      else health.noteDatabase(err);
      return false;
    } finally {
      health.publishRejected();
    }
    health.state.applied = this.copies.size;
    const since = this.feed.pendingSince;
    const lag = since === null ? health.state.lagMs : this.clock() - since;
    this.deps.events.applied?.('add', adds.length, lag);
    this.deps.events.applied?.('update', updates.length, lag);
    if (!heldBack) this.deps.events.applied?.('remove', removes.length, lag);
    return true;
  }

  /**
   * Writes the new and changed copies (`changes`) into the ledger, then the touched services into
   * the target (keeping held copies when `heldBack`), and puts the ledger back for what the
   * target refused.
   */
  private async write(touched: ServiceCopies[], changes: CopyRecord[], heldBack: boolean): Promise<void> {
    const written = await this.writeLedger(changes);
    const previous = new Map<string, CopyRecord>();
    for (const c of written) {
      const old = this.copies.get(c);
      if (old) previous.set(copyKey(c), old);
      this.copies.remember(c);
    }
    // Copies the ledger refused stay as the ledger has them; the rest goes to the target.
    const ledgerView = (c: CopyRecord): CopyRecord[] => {
      const held = this.copies.get(c);
      return held ? [held] : [];
    };
    const services = touched.map((t) => ({ ...t, copies: t.copies.flatMap((c) => ledgerView(c)) }));
    // While deletions are held, services keep their old copies beside the new ones.
    const writes = targetWrites(services, heldBack, this.copies);
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
    this.health.noteTarget(true);
    await this.undoLedger(
      refusedByTarget.map((r) => r.item),
      previous,
    );
    for (const r of refusedByTarget) this.health.reject(r.item, 'target', r.reason);
    const refused = new Set(refusedByTarget.map((r) => copyKey(r.item)));
    for (const c of written) if (!refused.has(copyKey(c))) this.health.quarantine.accept(c);
  }

  /**
   * Records copies in the ledger, one statement for the lot; a statement Postgres refuses for its
   * content is split until the refused copies are found, which are quarantined. Returns the copies written.
   */
  private async writeLedger(copies: CopyRecord[]): Promise<CopyRecord[]> {
    const [task, lease] = [this.scope.task(), this.scope.lease()];
    const refused = await bisectRefused(
      copies,
      (batch) => this.scope.fenced((tx) => this.deps.ledger.upsert(tx, task.id, lease.generation, batch)),
      isRefusedByDatabase,
    );
    if (refused.length === 0) return copies;
    for (const r of refused) this.health.reject(r.item, 'ledger', r.reason);
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
      this.deps.target.applyCopies(this.scope.owner(), [...batch]);
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
    const [task, lease] = [this.scope.task(), this.scope.lease()];
    await this.scope.fenced(async (tx) => {
      await this.deps.ledger.upsert(tx, task.id, lease.generation, restore);
      await this.deps.ledger.remove(tx, task.id, drop);
    });
    for (const c of restore) this.copies.remember(c);
    for (const c of drop) this.copies.forget(c);
  }

  /** True when these removals must wait (protect mode); manages the hold's start and expiry. */
  private protect(removals: number, total: number): boolean {
    const { state } = this.health;
    const decision = decideHold(removals, total, state.hold, this.holdReleased, this.clock(), {
      protectMinDeletes: this.deps.settings.protectMinDeletes,
      protectHoldMs: this.deps.settings.protectHoldMs,
      maxDeleteRatio: this.scope.task().maxDeleteRatio,
    });
    state.hold = decision.hold;
    this.holdReleased = decision.released;
    if (decision.event === 'hold-confirmed') {
      this.deps.events.event(
        'hold-confirmed',
        `source confirmed ${removals} deletions over the hold period; applying them`,
      );
    } else if (decision.event === 'hold') {
      this.deps.events.event(
        'hold',
        `holding ${removals} of ${total} copies back from deletion (over maxDeleteRatio)`,
        {
          wouldDelete: removals,
          total,
        },
      );
    }
    return decision.heldBack;
  }

  /** The services whose target content differs from the ledger; none when the target cannot be read. */
  private async drifted(): Promise<Set<string>> {
    let actual: CopyRecord[];
    try {
      actual = await this.deps.target.listCopies(this.scope.owner());
    } catch {
      return new Set();
    }
    return driftedServices(this.copies, actual);
  }
}

/** A failed write into the target (as opposed to the ledger), so reachability is reported right. */
class TargetWriteError extends Error {
  constructor(cause: unknown) {
    super(scrubbedMessage(cause), { cause });
    this.name = 'TargetWriteError';
  }
}
