import { Backoff } from '@/common/backoff';
import { copyId, copyKey, sameCopy, serviceId } from './copy-plan';
import type { CopyRecord } from './copy-plan';

/** Who refused a copy: the task's own ledger (Postgres) or the target registry. */
export type RefusedBy = 'ledger' | 'target';

/** A source instance that the ledger or the target refused, kept out of the task on its own. */
export interface RejectedCopy extends Pick<
  CopyRecord,
  'namespace' | 'groupName' | 'serviceName' | 'clusterName' | 'ip' | 'port'
> {
  refusedBy: RefusedBy;
  reason: string;
  /** When it was first refused, as it is now. */
  since: number;
  /** Refusals at backoff steps (a retry because the source changed it does not count). */
  attempts: number;
  /** When it is tried again even if the source does not change it. */
  retryAt: number;
}

interface Entry {
  copy: CopyRecord;
  rejected: RejectedCopy;
  backoff: Backoff;
}

/**
 * Content is refused for what it is (a NUL in metadata, a value too long for a column): retrying
 * it unchanged cannot help, so a refused copy waits long between tries, and a change in the
 * source tries it at once.
 */
export const QUARANTINE_RETRY_BASE_MS = 60_000;
export const QUARANTINE_RETRY_MAX_MS = 30 * 60_000;

/**
 * The copies a task keeps out because the ledger or the target refused them, so one bad instance
 * never stops the others: each is retried when its source instance changes, or at its next
 * backoff step, and forgotten when it is written or its source instance is gone.
 */
export class Quarantine {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly baseMs = QUARANTINE_RETRY_BASE_MS,
    private readonly maxMs = QUARANTINE_RETRY_MAX_MS,
    private readonly random: () => number = Math.random,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** True when `want` stays out of this write: refused before exactly as it is now, and not due for a retry. */
  holds(want: CopyRecord, now: number): boolean {
    const entry = this.entries.get(copyKey(want));
    if (!entry) return false;
    return sameCopy(entry.copy, want) && now < entry.rejected.retryAt;
  }

  /**
   * Records a refusal. Returns the entry when this refusal is a new backoff step (first refusal or
   * a retry that was due) — the caller announces those — and undefined for a retry the source
   * asked for early by changing the instance, so a flapping instance cannot flood the log.
   */
  reject(copy: CopyRecord, refusedBy: RefusedBy, reason: string, now: number): RejectedCopy | undefined {
    const key = copyKey(copy);
    const entry = this.entries.get(key);
    if (entry && now < entry.rejected.retryAt) {
      if (!sameCopy(entry.copy, copy)) entry.rejected.since = now;
      entry.copy = copy;
      Object.assign(entry.rejected, { refusedBy, reason });
      return undefined;
    }
    const backoff = entry?.backoff ?? new Backoff(this.baseMs, this.maxMs, this.random);
    const rejected: RejectedCopy = {
      namespace: copy.namespace,
      groupName: copy.groupName,
      serviceName: copy.serviceName,
      clusterName: copy.clusterName,
      ip: copy.ip,
      port: copy.port,
      refusedBy,
      reason,
      since: entry && sameCopy(entry.copy, copy) ? entry.rejected.since : now,
      attempts: backoff.attempts + 1,
      retryAt: now + backoff.fail(),
    };
    this.entries.set(key, { copy, rejected, backoff });
    return rejected;
  }

  /** The copy was written: it is no longer rejected. */
  accept(copy: CopyRecord): boolean {
    return this.entries.delete(copyKey(copy));
  }

  /** Forgets the rejected copies of one service that its source no longer has. */
  keepOnly(service: string, wanted: readonly CopyRecord[]): void {
    const ids = new Set(wanted.map(copyId));
    for (const [key, entry] of this.entries) {
      if (serviceId(entry.copy) === service && !ids.has(copyId(entry.copy))) this.entries.delete(key);
    }
  }

  /** Forgets the rejected copies of services the source no longer has at all. */
  keepServices(services: ReadonlySet<string>): void {
    for (const [key, entry] of this.entries) if (!services.has(serviceId(entry.copy))) this.entries.delete(key);
  }

  /** The first `limit` rejected copies, oldest first. */
  list(limit: number): RejectedCopy[] {
    return [...this.entries.values()]
      .map((e) => ({ ...e.rejected }))
      .sort((a, b) => a.since - b.since)
      .slice(0, limit);
  }
}
