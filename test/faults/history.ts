import { performance } from 'node:perf_hooks';

/**
 * The recorder: every operation a writer issues, with when it was invoked and completed (ms since the
 * history began, monotonic), the node it went to, its outcome and its intended effect; and the fault
 * timeline (when each fault began and ended), which bounds how late a write that was not acknowledged
 * may still take effect.
 */

export interface InstanceKey {
  service: string;
  ip: string;
  port: number;
}

export function keyId(key: InstanceKey): string {
  return `${key.service} ${key.ip}:${key.port}`;
}

/** What an operation leaves behind: the instance with these values, or no instance. */
export type Effect = { present: true; weight: number; metadata: Record<string, string> } | { present: false };

export type OpKind = 'register' | 'update' | 'deregister';

/**
 * ok: acknowledged (HTTP 200 `ok`). rejected: a definite 4xx answer, nothing was applied (e.g. an update
 * of an instance the node does not have). failed (5xx, refused, reset) and timeout: not acknowledged,
 * it may or may not have been applied, possibly later. pending: still in flight.
 */
export type Outcome = 'ok' | 'rejected' | 'failed' | 'timeout' | 'pending';

export interface OpRecord {
  id: number;
  writer: number;
  kind: OpKind;
  key: InstanceKey;
  effect: Effect;
  /** The node (n1, …) this attempt was sent to. */
  node: string;
  /** 1 for the first attempt; a retry of the same operation on another node has attempt 2, 3, … */
  attempt: number;
  invokedAt: number;
  completedAt?: number;
  outcome: Outcome;
  /** HTTP status and body, or the error. */
  detail: string;
}

export interface FaultInterval {
  what: string;
  from: number;
  /** Undefined while the fault lasts. */
  to?: number;
}

export interface TimelineEvent {
  at: number;
  what: string;
}

export function describeEffect(effect: Effect): string {
  return effect.present ? `present w=${effect.weight} md=${JSON.stringify(effect.metadata)}` : 'absent';
}

export function seconds(ms: number | undefined): string {
  return ms === undefined ? '…' : (ms / 1000).toFixed(3);
}

export function describeOp(op: OpRecord): string {
  const what = op.kind === 'deregister' ? 'deregister' : `${op.kind} w=${op.effect.present ? op.effect.weight : '?'}`;
  const retry = op.attempt > 1 ? ` (attempt ${op.attempt})` : '';
  return `#${op.id} w${op.writer} ${what} via ${op.node}${retry}: t=${seconds(op.invokedAt)}–${seconds(op.completedAt)} s ${op.outcome.toUpperCase()}${op.outcome === 'ok' ? '' : ` (${op.detail})`}`;
}

export class History {
  private readonly origin = performance.now();
  readonly ops: OpRecord[] = [];
  readonly faults: FaultInterval[] = [];
  readonly timeline: TimelineEvent[] = [];
  private readonly byKey = new Map<string, OpRecord[]>();

  /** ms since the history began. */
  now(): number {
    return performance.now() - this.origin;
  }

  invoke(writer: number, kind: OpKind, key: InstanceKey, effect: Effect, node: string, attempt: number): OpRecord {
    const op: OpRecord = {
      id: this.ops.length + 1,
      writer,
      kind,
      key,
      effect,
      node,
      attempt,
      invokedAt: this.now(),
      outcome: 'pending',
      detail: '',
    };
    this.ops.push(op);
    const id = keyId(key);
    const list = this.byKey.get(id);
    if (list) list.push(op);
    else this.byKey.set(id, [op]);
    return op;
  }

  complete(op: OpRecord, outcome: Exclude<Outcome, 'pending'>, detail: string): void {
    op.completedAt = this.now();
    op.outcome = outcome;
    op.detail = detail;
  }

  opsOf(id: string): OpRecord[] {
    return this.byKey.get(id) ?? [];
  }

  keys(): string[] {
    return [...this.byKey.keys()];
  }

  mark(what: string): void {
    this.timeline.push({ at: this.now(), what });
  }

  /** A fault begins: writes in flight while it lasts may land when it ends. Returns its end function. */
  faultBegins(what: string): () => void {
    const interval: FaultInterval = { what, from: this.now() };
    this.faults.push(interval);
    this.mark(`${what} begins`);
    return () => {
      if (interval.to !== undefined) return;
      interval.to = this.now();
      this.mark(`${what} ends`);
    };
  }

  /**
   * The latest time an operation may still take effect. Acknowledged: when it completed. Not
   * acknowledged: its completion plus `graceMs` (a forward the node made for it may still be in flight
   * for a call timeout, and a busy node may be slow to get to it), pushed past every fault it overlaps:
   * to the fault's end plus its duration plus `graceMs`. A paused node serves a queued request when it
   * resumes; a forward stuck in a cut TCP connection arrives with the next retransmission after the cut
   * heals, and TCP's exponential backoff puts that up to about the cut's duration later (a 20 s cut:
   * up to ~20 s after the heal). Infinity while such a fault lasts, or for an operation still pending.
   */
  applyDeadline(op: OpRecord, graceMs: number): number {
    if (op.outcome === 'ok' || op.outcome === 'rejected') return op.completedAt!;
    if (op.completedAt === undefined) return Infinity;
    let deadline = op.completedAt + graceMs;
    for (let changed = true; changed;) {
      changed = false;
      for (const fault of this.faults) {
        if (fault.from > deadline || (fault.to ?? Infinity) < op.invokedAt) continue;
        const end = fault.to === undefined ? Infinity : fault.to + Math.min(fault.to - fault.from, 120000) + graceMs;
        if (end > deadline) {
          deadline = end;
          changed = true;
        }
      }
    }
    return deadline;
  }

  describeTimeline(): string {
    return this.timeline.map((e) => `t=${seconds(e.at)} s ${e.what}`).join('\n');
  }
}
