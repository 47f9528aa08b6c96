import { DEFAULT_CLUSTER } from '@/registry';
import type { ClientInfo, ClientKind, ClientSyncData, Registry } from '@/registry';
import type { DistroMapper } from '../distro-mapper';
import { ipPortTagOf } from '../distro-mapper';
import { CLIENT_DATA_TYPE } from '../distro-types';
import type { DistroDataProcessor, SyncBatch, SyncResult, VerifyEntry } from '../distro-types';

export interface ProcessorLog {
  /** False when debug lines are dropped anyway, so the per-client ones are not built. */
  debugEnabled?: boolean;
  debug(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/**
 * Distro's data side for `Nacos:Naming:v2:ClientData`, backed by the Registry. This node sends the
 * clients it is responsible for (ip-port clients by hash) or holds (connection and sync clients),
 * and accepts from a peer only the clients that peer is responsible for or holds.
 */
export class ClientDataProcessor implements DistroDataProcessor<ClientSyncData> {
  readonly type = CLIENT_DATA_TYPE;
  /** Clients refused because the sender was not responsible for them. */
  rejectedTotal = 0;
  private applying = false;
  private readonly kinds = new Map<string, ClientKind>();
  /** Client → sequence number of its last change (any change, applied or local), for `stamp`. */
  private readonly changes = new Map<string, number>();
  private changeSequence = 0;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly registry: Registry,
    private readonly mapper: DistroMapper,
    private readonly self: string,
    private readonly expireMs: number,
    private readonly log: ProcessorLog,
    private readonly clock: () => number = Date.now,
    /** Told about clients refused because the sender was not responsible for them (metrics). */
    private readonly onRejected: (from: string, count: number) => void = () => undefined,
  ) {
    this.unsubscribe = registry.events.on('clientChanged', (event) => {
      if (event.removed) this.changes.delete(event.clientId);
      else this.changes.set(event.clientId, ++this.changeSequence);
    });
  }

  /** Stops following registry changes. */
  close(): void {
    this.unsubscribe();
  }

  /** True when this node runs the client: responsible for its ip:port, or holding its connection/lease. */
  isResponsible(clientId: string): boolean {
    const info = this.registry.getClient(clientId);
    if (info) return this.owns(info);
    const tag = ipPortTagOf(clientId);
    return tag !== undefined && this.mapper.isSelfResponsible(tag);
  }

  get(key: string): ClientSyncData | 'deleted' | 'not-owned' {
    const info = this.registry.getClient(key);
    if (!info) return 'deleted';
    if (!this.owns(info)) return 'not-owned';
    const data = this.registry.exportClient(key);
    if (!data) return 'deleted';
    if (data.kind !== 'ipport' && data.owner === undefined) data.owner = this.self;
    return data;
  }

  /**
   * Changes without an event (a lease expiry, an owner filled in) are part of the stamp too, so
   * equal stamps always mean equal data.
   */
  stamp(key: string): string | undefined {
    const info = this.registry.getClient(key);
    if (!info || !this.owns(info)) return undefined;
    return `${this.changes.get(key) ?? 0}:${info.revision}:${info.owner ?? ''}:${info.expiresAt ?? ''}`;
  }

  ownedEntries(): VerifyEntry[] {
    const out: VerifyEntry[] = [];
    for (const info of this.registry.clients())
      if (this.owns(info)) out.push({ key: info.id, revision: info.revision });
    return out;
  }

  applySync(from: string, batch: SyncBatch<ClientSyncData>): SyncResult {
    let applied = 0;
    let rejected = 0;
    const now = this.clock();
    this.applying = true;
    try {
      const trusted: ClientSyncData[] = [];
      for (const data of batch.upserts) {
        if (!this.trusts(from, data.clientId, data.kind, data.owner, this.registry.getClient(data.clientId))) {
          rejected++;
          continue;
        }
        trusted.push(data);
      }
      // One registry operation for the whole call: each client still replaced whole, each service announced once.
      this.registry.applyClientSyncs(trusted, now);
      const debug = this.log.debugEnabled !== false;
      for (const data of trusted) {
        this.kinds.set(data.clientId, data.kind);
        applied++;
        if (debug)
          this.log.debug(
            { peer: from, clientId: data.clientId, revision: data.revision },
            `Received distro client sync data ${data.clientId}, revision=${data.revision}`,
          );
      }
      for (const clientId of batch.deletes) {
        const held = this.registry.getClient(clientId);
        if (!held) continue;
        if (!this.trusts(from, clientId, held.kind, held.owner, held)) {
          rejected++;
          continue;
        }
        this.registry.applyClientRemoval(clientId);
        this.kinds.delete(clientId);
        applied++;
        this.log.debug({ peer: from, clientId }, `[Client-Delete] Received distro client sync data ${clientId}`);
      }
    } finally {
      this.applying = false;
    }
    if (rejected > 0) {
      this.rejectedTotal += rejected;
      this.onRejected(from, rejected);
      this.log.warn({ peer: from, rejected }, `Distro refused ${rejected} clients ${from} is not responsible for`);
    }
    return { applied, rejected };
  }

  applyVerify(from: string, entries: readonly VerifyEntry[]): string[] {
    const lacking: string[] = [];
    const now = this.clock();
    for (const { key, revision } of entries) {
      const held = this.registry.getClient(key);
      if (!held) {
        const tag = ipPortTagOf(key);
        if (tag === undefined || this.mapper.responsible(tag) === from) lacking.push(key);
        continue;
      }
      if (!this.trusts(from, key, held.kind, held.owner, held)) continue;
      // A copy still marked local here was ours before responsibility moved: take the owner's copy.
      if (held.revision !== revision || held.local) lacking.push(key);
      else this.registry.renewReplica(key, now);
    }
    return lacking;
  }

  *snapshot(): Iterable<ClientSyncData> {
    for (const info of this.registry.clients()) {
      const data = this.registry.exportClient(info.id);
      if (!data) continue;
      if (info.local && data.kind !== 'ipport' && data.owner === undefined) data.owner = this.self;
      yield data;
    }
  }

  loadSnapshot(items: readonly ClientSyncData[]): void {
    const now = this.clock();
    this.applying = true;
    try {
      this.registry.applyClientSyncs(items, now);
      for (const data of items) this.kinds.set(data.clientId, data.kind);
    } finally {
      this.applying = false;
    }
  }

  expireReplicas(now: number): number {
    const expired = this.registry.expireReplicas(now, this.expireMs, (id) => this.isResponsible(id));
    for (const id of expired) this.kinds.delete(id);
    return expired.length;
  }

  onLocalChange(listener: (key: string) => void): () => void {
    return this.registry.events.on('clientChanged', (event) => {
      if (this.applying) return;
      if (!event.removed) {
        const info = this.registry.getClient(event.clientId);
        if (!info) return;
        this.kinds.set(info.id, info.kind);
        if (this.owns(info)) listener(info.id);
        return;
      }
      const kind = this.kinds.get(event.clientId) ?? (ipPortTagOf(event.clientId) ? 'ipport' : 'connection');
      this.kinds.delete(event.clientId);
      const tag = kind === 'ipport' ? ipPortTagOf(event.clientId) : undefined;
      if (tag !== undefined ? this.mapper.isSelfResponsible(tag) : event.local) listener(event.clientId);
    });
  }

  /**
   * Follows a change of responsibility for ip-port clients. Replicas of those this node has just
   * become responsible for get a fresh beat: their last beat went to the previous responsible node,
   * and judging them by the replica's age would mark them unhealthy (or delete them) before their
   * next beat arrives here. Those this node ran but no longer is responsible for (written here
   * while their node was down) become replicas again: the responsible node renews them by verify,
   * and if it has deleted them meanwhile — a deletion this node may have refused while it still saw
   * that node down — they expire here instead of staying forever.
   */
  responsibilityChanged(): Map<string, ClientSyncData[]> {
    const now = this.clock();
    const gained: string[] = [];
    const lost: string[] = [];
    const handovers = new Map<string, ClientSyncData[]>();
    for (const info of this.registry.clients()) {
      if (info.kind !== 'ipport') continue;
      const tag = ipPortTagOf(info.id);
      if (tag === undefined) continue;
      const mine = this.mapper.isSelfResponsible(tag);
      if (mine && !info.local) gained.push(info.id);
      else if (!mine && info.local) {
        lost.push(info.id);
        // Its current data goes to the node now responsible: it may hold only an older copy.
        const data = this.registry.exportClient(info.id);
        const to = this.mapper.responsible(tag);
        if (data !== undefined) {
          const list = handovers.get(to);
          if (list) list.push(data);
          else handovers.set(to, [data]);
        }
      }
    }
    for (const id of lost) this.registry.demoteToReplica(id, now);
    for (const id of gained) {
      for (const p of this.registry.exportClient(id)?.publications ?? []) {
        const key = { namespace: p.namespace, group: p.group, name: p.service };
        this.registry.beat(id, key, p.instance.clusterName ?? DEFAULT_CLUSTER, p.instance.ip, p.instance.port, now);
      }
    }
    return handovers;
  }

  /**
   * Ip-port clients a peer ran while this node was away (restarting, partitioned), handed back now
   * that this node is responsible again. This node's copy of such a client came from a snapshot or
   * a peer's sync, and the peer's may be newer: a write it accepted while standing in. So it is
   * taken, as this node's own change (replicated to every peer from here), unless this node has
   * changed the client itself since (a write or health change made here makes it local), which is
   * newer still. Clients this node is not responsible for are refused.
   */
  applyHandover(from: string, items: readonly ClientSyncData[]): SyncResult {
    let applied = 0;
    let rejected = 0;
    const now = this.clock();
    for (const data of items) {
      const tag = data.kind === 'ipport' ? ipPortTagOf(data.clientId) : undefined;
      const held = this.registry.getClient(data.clientId);
      if (tag === undefined || !this.mapper.isSelfResponsible(tag) || held?.local === true) {
        rejected++;
        continue;
      }
      this.registry.takeOverClient(data, now);
      this.kinds.set(data.clientId, data.kind);
      applied++;
      this.log.debug(
        { peer: from, clientId: data.clientId, revision: data.revision },
        `Received distro client handover ${data.clientId} from ${from}`,
      );
    }
    return { applied, rejected };
  }

  /** Counts held here, for the status endpoint. */
  counts(): { owned: number; replicated: number } {
    let owned = 0;
    let replicated = 0;
    for (const info of this.registry.clients()) {
      if (this.owns(info)) owned++;
      else replicated++;
    }
    return { owned, replicated };
  }

  private owns(info: ClientInfo): boolean {
    const tag = info.kind === 'ipport' ? ipPortTagOf(info.id) : undefined;
    if (tag !== undefined) return this.mapper.isSelfResponsible(tag);
    return info.local && (info.owner === undefined || info.owner === this.self);
  }

  /** A peer speaks only for ip-port clients hashed to it and for connection/sync clients it holds. */
  private trusts(
    from: string,
    clientId: string,
    kind: ClientKind,
    owner: string | undefined,
    held: ClientInfo | undefined,
  ): boolean {
    const tag = kind === 'ipport' ? ipPortTagOf(clientId) : undefined;
    if (kind === 'ipport') return tag !== undefined && this.mapper.responsible(tag) === from;
    if (held && held.kind !== 'ipport' && this.owns(held)) return false;
    return owner === from;
  }
}
