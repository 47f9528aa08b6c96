import type { ChangeSet } from './change-set';
import type { Client } from './client';
import type { ClientTable } from './client-table';
import { EMPTY_METADATA } from './instance';
import type { InstanceRecord } from './instance';
import type { PublicationWriter } from './publications';

/** Nacos metadata keys that override the heartbeat timeouts of one instance. */
export const HEART_BEAT_TIMEOUT_KEY = 'preserved.heart.beat.timeout';
export const IP_DELETE_TIMEOUT_KEY = 'preserved.ip.delete.timeout';

export interface ExpiryTimeouts {
  /** Without a beat for longer than this, an ephemeral ip-port instance turns unhealthy. */
  unhealthyAfterMs: number;
  /** Without a beat for longer than this, it is removed. */
  deleteAfterMs: number;
}

export interface ExpiryReport {
  markedUnhealthy: number;
  removed: number;
}

/** V8 keeps integers in this range inline (Smi); other numbers cost a 16-byte box per field. */
const SMALL_INT_MIN = -0x80000000;
const SMALL_INT_MAX = 0x7fffffff;

/**
 * Times are stored relative to the first time the registry sees, as small integers, so that
 * V8 keeps them inline instead of boxing one heap number per instance and client. After
 * ~24 days of uptime they outgrow that range and are stored as plain (boxed) numbers.
 */
export class TimeBase {
  private epoch: number | undefined = undefined;

  relative(now: number): number {
    this.epoch ??= now;
    const relative = now - this.epoch;
    // `| 0` turns an integral double into a Smi; a heap number in a field would box them all.
    return relative >= SMALL_INT_MIN && relative <= SMALL_INT_MAX ? relative | 0 : relative;
  }
}

function timeout(record: InstanceRecord, key: string, fallback: number): number {
  if (record.metadata === EMPTY_METADATA) return fallback;
  const value = record.metadata[key];
  if (value === undefined) return fallback;
  const parsed = Number(value);
  return Number.isFinite(parsed) && parsed > 0 ? parsed : fallback;
}

/**
 * Heartbeats, health flips and removal of ip-port instances, plus the expiry of Distro replicas
 * and leased (sync) clients. Nothing here runs by itself: the caller passes `now` and decides
 * how often to call.
 */
export class Liveness {
  constructor(
    private readonly clients: ClientTable,
    private readonly writer: PublicationWriter,
    private readonly time: TimeBase,
    private readonly timeouts: ExpiryTimeouts,
  ) {}

  /** Records a beat for one publication; an unhealthy one becomes healthy. False if unknown. */
  beat(client: Client, record: InstanceRecord, now: number, changes: ChangeSet): void {
    record.beatAt = this.time.relative(now);
    if (record.healthy) return;
    this.writer.swap(client, record, record.patched({ healthy: true }), changes);
    this.writer.changedLocally(client, changes);
  }

  /** Flips and removes overdue ephemeral instances of the ip-port clients this node is responsible for. */
  checkExpiry(now: number, isResponsible: (clientId: string) => boolean, changes: ChangeSet): ExpiryReport {
    const at = this.time.relative(now);
    const report: ExpiryReport = { markedUnhealthy: 0, removed: 0 };
    for (const client of this.clients.ipPortClients()) {
      // The cheap staleness test comes first, so responsibility is asked only for overdue clients.
      const single = client.single();
      const records = single !== undefined ? (this.isOverdue(single, at) ? [single] : []) : client.records();
      if (records.length === 0 || !records.some((record) => this.isOverdue(record, at))) continue;
      if (!isResponsible(client.id)) continue;
      let changed = false;
      for (const record of records) {
        if (!record.ephemeral) continue;
        const idle = at - record.beatAt;
        if (idle > timeout(record, IP_DELETE_TIMEOUT_KEY, this.timeouts.deleteAfterMs)) {
          this.writer.detach(client, record, changes);
          report.removed++;
          changed = true;
        } else if (record.healthy && idle > timeout(record, HEART_BEAT_TIMEOUT_KEY, this.timeouts.unhealthyAfterMs)) {
          this.writer.swap(client, record, record.patched({ healthy: false }), changes);
          report.markedUnhealthy++;
          changed = true;
        }
      }
      if (!changed) continue;
      this.writer.changedLocally(client, changes);
      this.writer.dropIfAbandoned(client, changes);
    }
    return report;
  }

  /** Marks a replica as confirmed by its owner now. */
  renew(client: Client, now: number): void {
    client.renewedAt = this.time.relative(now);
  }

  /**
   * Removes replicas not renewed for `ttlMs`, except those the caller is now responsible for
   * (their fate is decided by heartbeats here, and nobody else renews them).
   */
  expireReplicas(
    now: number,
    ttlMs: number,
    isResponsible: ((clientId: string) => boolean) | undefined,
    changes: ChangeSet,
  ): string[] {
    const at = this.time.relative(now);
    const expired: Client[] = [];
    for (const client of this.clients.all()) {
      if (client.local || client.kind === 'ipport' || at - client.renewedAt <= ttlMs) continue;
      if (isResponsible !== undefined && isResponsible(client.id)) continue;
      expired.push(client);
    }
    for (const client of expired) this.writer.drop(client, changes);
    return expired.map((client) => client.id);
  }

  /**
   * Removes local clients whose lease expiry has passed. Replica copies carry the expiry only
   * for information: their lifetime follows Distro renewals, so a lease renewal need not be
   * replicated every few seconds.
   */
  expireLeased(now: number, changes: ChangeSet): string[] {
    const expired: string[] = [];
    for (const client of this.clients.leasedClients()) {
      const expiresAt = client.expiresAt;
      if (!client.local || expiresAt === undefined || now < expiresAt) continue;
      this.writer.drop(client, changes);
      expired.push(client.id);
    }
    return expired;
  }

  private isOverdue(record: InstanceRecord, at: number): boolean {
    if (!record.ephemeral) return false;
    const idle = at - record.beatAt;
    return (
      idle > timeout(record, IP_DELETE_TIMEOUT_KEY, this.timeouts.deleteAfterMs) ||
      (record.healthy && idle > timeout(record, HEART_BEAT_TIMEOUT_KEY, this.timeouts.unhealthyAfterMs))
    );
  }
}
