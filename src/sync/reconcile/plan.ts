import type { ServiceKey } from '@/registry';
import type { ServiceSnapshot } from '../adapters/source-registry';
import type { ServiceCopies } from '../adapters/target-registry';
import { SOURCE_CLUSTER_KEY, copyId, desiredCopies, diffCopies, serviceId } from './copy-plan';
import type { CopyContext, CopyDiff, CopyRecord, ServiceSelector } from './copy-plan';

/**
 * What a task decides, as pure functions of what it read: the source's snapshots, the ledger (what
 * the task wrote into its target), the target's copies and the hold of protect mode. No I/O, no
 * timers, no clock of its own: the Reconciler reads, calls these, and writes what they say.
 */

/** The task's copies as its ledger records them, by service and by copy id: what the target holds. */
export class CopyIndex {
  private readonly byService = new Map<string, Map<string, CopyRecord>>();

  get size(): number {
    let n = 0;
    for (const m of this.byService.values()) n += m.size;
    return n;
  }

  /** The copies of one service by copy id, or undefined when the task has none there. */
  service(sid: string): ReadonlyMap<string, CopyRecord> | undefined {
    return this.byService.get(sid);
  }

  /** The services the task has copies in. */
  services(): IterableIterator<string> {
    return this.byService.keys();
  }

  /** The recorded version of a copy, if any. */
  get(c: CopyRecord): CopyRecord | undefined {
    return this.byService.get(serviceId(c))?.get(copyId(c));
  }

  copiesOf(key: ServiceKey): CopyRecord[] {
    return [...(this.byService.get(serviceIdOf(key))?.values() ?? [])];
  }

  all(): CopyRecord[] {
    return [...this.byService.values()].flatMap((m) => [...m.values()]);
  }

  remember(c: CopyRecord): void {
    const sid = serviceId(c);
    let copies = this.byService.get(sid);
    if (!copies) this.byService.set(sid, (copies = new Map<string, CopyRecord>()));
    copies.set(copyId(c), c);
  }

  forget(c: CopyRecord): void {
    const sid = serviceId(c);
    const copies = this.byService.get(sid);
    copies?.delete(copyId(c));
    if (copies?.size === 0) this.byService.delete(sid);
  }

  clear(): void {
    this.byService.clear();
  }
}

export function serviceIdOf(key: ServiceKey): string {
  return serviceId({ namespace: key.namespace, groupName: key.group, serviceName: key.name });
}

/** What a full round brings to its desired copies. */
export interface FullRound {
  /** The services to apply: every matching source service, and ledger services gone from the source (empty). */
  services: ServiceSnapshot[];
  /** Every matching source service, by id. */
  inSource: Set<string>;
  /** Source instances that are not themselves copies: the task's `desired`. */
  total: number;
}

/**
 * A full round over a source snapshot: every matching service, plus the ledger's services the
 * source no longer lists (desired empty), leaving out the services `newer` says a change has
 * written since the snapshot was read (what the change wrote is newer than the snapshot).
 */
export function planFullRound(
  snapshots: readonly ServiceSnapshot[],
  selector: ServiceSelector,
  ledger: CopyIndex,
  newer: (sid: string) => boolean,
): FullRound {
  const desired = new Map<string, ServiceSnapshot>();
  const inSource = new Set<string>();
  let total = 0;
  for (const s of snapshots) {
    if (!selector.matches(s.key)) continue;
    const sid = serviceIdOf(s.key);
    inSource.add(sid);
    total += s.instances.filter((i) => i.metadata[SOURCE_CLUSTER_KEY] === undefined).length;
    if (!newer(sid)) desired.set(sid, s);
  }
  // Services that vanished from the source are desired empty.
  for (const sid of ledger.services()) {
    const any = ledger.service(sid)?.values().next().value;
    if (any && !inSource.has(sid) && !newer(sid)) {
      desired.set(sid, {
        key: { namespace: any.namespace, group: any.groupName, name: any.serviceName },
        instances: [],
      });
    }
  }
  return { services: [...desired.values()], inSource, total };
}

/** One service's plan. */
export interface ServicePlan {
  sid: string;
  key: ServiceKey;
  /** The copies the source wants (refused ones included). */
  wanted: CopyRecord[];
  /** How many copies the ledger has there now. */
  had: number;
  /** The copies to have in the target: `wanted`, with each held copy as the ledger has it (or left out). */
  copies: CopyRecord[];
  diff: CopyDiff;
}

/**
 * One service: the copies its source instances make, where a copy the quarantine `held` (refused
 * before, unchanged, not due) stays as the ledger has it or out, against the ledger.
 */
export function planService(
  s: ServiceSnapshot,
  ledger: CopyIndex,
  ctx: CopyContext,
  held: (c: CopyRecord) => boolean,
): ServicePlan {
  const sid = serviceIdOf(s.key);
  const wanted = desiredCopies(s.key, s.instances, ctx);
  const recorded = ledger.service(sid);
  const copies = wanted.flatMap((c) => {
    if (!held(c)) return [c];
    const old = recorded?.get(copyId(c));
    return old ? [old] : [];
  });
  const have = [...(recorded?.values() ?? [])];
  return { sid, key: s.key, wanted, had: have.length, copies, diff: diffCopies(copies, have) };
}

/** What one apply writes. */
export interface ApplyPlan {
  /** Every given service's plan, written or not. */
  services: ServicePlan[];
  adds: CopyRecord[];
  updates: CopyRecord[];
  removes: CopyRecord[];
  /** The services to write: those with a change, and the `drifted` ones even without. */
  touched: ServiceCopies[];
}

/** The plan of each given service, and what the lot changes. */
export function planApply(
  snapshots: readonly ServiceSnapshot[],
  ledger: CopyIndex,
  ctx: CopyContext,
  held: (c: CopyRecord) => boolean,
  drifted: ReadonlySet<string>,
): ApplyPlan {
  const plan: ApplyPlan = { services: [], adds: [], updates: [], removes: [], touched: [] };
  for (const s of snapshots) {
    const service = planService(s, ledger, ctx, held);
    plan.services.push(service);
    const { diff } = service;
    if (diff.add.length + diff.update.length + diff.remove.length === 0 && !drifted.has(service.sid)) continue;
    plan.adds.push(...diff.add);
    plan.updates.push(...diff.update);
    plan.removes.push(...diff.remove);
    plan.touched.push({ key: s.key, copies: service.copies, removed: diff.remove });
  }
  return plan;
}

/**
 * The task's `desired` after a plan: a full round counts every service afresh; a change moves
 * `previous` by what its services want now against what they wanted before (`wantedBefore`, or
 * the ledger's count when unknown). Never below zero.
 */
export function desiredAfter(
  previous: number,
  full: boolean,
  services: readonly ServicePlan[],
  wantedBefore: (sid: string) => number | undefined,
): number {
  let total = full ? 0 : previous;
  for (const s of services) total += full ? s.wanted.length : s.wanted.length - (wantedBefore(s.sid) ?? s.had);
  return Math.max(0, total);
}

/** A hold of protect mode: deletions beyond maxDeleteRatio, kept back until confirmed or released. */
export interface TaskHoldState {
  since: number;
  wouldDelete: number;
  total: number;
  expiresAt: number;
}

export interface HoldSettings {
  /** Fewer deletions than this in one round are never held. */
  protectMinDeletes: number;
  /** How long deletions are held before the source counts as confirmed. */
  protectHoldMs: number;
  /** The share of the task's copies one round may delete without a hold. */
  maxDeleteRatio: number;
}

export interface HoldDecision {
  /** The removals wait: services keep their old copies beside the new ones. */
  heldBack: boolean;
  /** The hold after this round. */
  hold: TaskHoldState | null;
  /** Whether an operator's release is still pending (one release lets one round of removals through). */
  released: boolean;
  /** The transition to announce, if any. */
  event?: 'hold' | 'hold-confirmed';
}

/**
 * Protect mode: whether `removals` of the task's `total` copies wait. A released hold lets one
 * round through; a hold that ran its course is confirmed; a new hold starts when a round deletes
 * at least `protectMinDeletes` and more than `maxDeleteRatio` of the copies.
 */
export function decideHold(
  removals: number,
  total: number,
  hold: TaskHoldState | null,
  released: boolean,
  now: number,
  settings: HoldSettings,
): HoldDecision {
  if (removals === 0) return { heldBack: false, hold, released };
  if (released) return { heldBack: false, hold, released: false };
  // The source kept saying so for the whole hold period: it is confirmed.
  if (hold && now >= hold.expiresAt) return { heldBack: false, hold: null, released, event: 'hold-confirmed' };
  if (hold) return { heldBack: true, hold, released };
  if (removals < settings.protectMinDeletes) return { heldBack: false, hold, released };
  if (total === 0 || removals / total <= settings.maxDeleteRatio) return { heldBack: false, hold, released };
  const started = { since: now, wouldDelete: removals, total, expiresAt: now + settings.protectHoldMs };
  return { heldBack: true, hold: started, released, event: 'hold' };
}

/** What goes to the target: while removals are held, each service keeps its ledger copies beside the new ones. */
export function targetWrites(services: ServiceCopies[], heldBack: boolean, ledger: CopyIndex): ServiceCopies[] {
  if (!heldBack) return services;
  return services.map((t) => ({ key: t.key, copies: keepHeld(t.copies, ledger.copiesOf(t.key)), removed: [] }));
}

/** The desired copies plus the ones whose removal is held back (the ledger still lists them). */
function keepHeld(desired: CopyRecord[], ledger: CopyRecord[]): CopyRecord[] {
  const ids = new Set(desired.map(copyId));
  return [...desired, ...ledger.filter((c) => !ids.has(copyId(c)))];
}

/** The services whose copies in the target differ from the ledger (changed, added or removed behind the task's back). */
export function driftedServices(ledger: CopyIndex, actual: readonly CopyRecord[]): Set<string> {
  const out = new Set<string>();
  const byService = new Map<string, CopyRecord[]>();
  for (const c of actual) {
    const list = byService.get(serviceId(c)) ?? [];
    list.push(c);
    byService.set(serviceId(c), list);
  }
  for (const sid of new Set([...byService.keys(), ...ledger.services()])) {
    const diff = diffCopies([...(ledger.service(sid)?.values() ?? [])], byService.get(sid) ?? []);
    if (diff.add.length + diff.update.length + diff.remove.length > 0) out.add(sid);
  }
  return out;
}
