import { versionTime } from '@/registry';
import type { ClientSyncData, DistroRegistryView, ReplicatedClient } from '@/registry';
import type { DistroMapper } from '../distro-mapper';
import { distroIndex, ipPortTagOf } from '../distro-mapper';
import { CLIENT_DATA_TYPE } from '../distro-types';
import type { BucketDigests, DistroDataProcessor, SyncResult, VerifyEntry } from '../distro-types';
import { decodeClients, encodeClientData } from './client-data-codec';
import { keepTextRule } from './client-text-rule';
import type { TextRuleRejection } from './client-text-rule';
import { ProtoWriter } from '@/common/proto-wire';

export interface ProcessorLog {
  /** False when debug lines are dropped anyway, so the per-client ones are not built. */
  debugEnabled?: boolean;
  debug(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface ClientDataProcessorOptions {
  /** A connection or sync replica its owner has not confirmed for this long is forgotten. */
  replicaExpireMs: number;
  /** How long tombstones and floors are kept (DISTRO_TOMBSTONE_TTL_MS). */
  tombstoneTtlMs: number;
  /** A peer's version more than this far ahead of this node's clock is logged (clock skew). */
  maxClockSkewMs: number;
}

/** Buckets of a verify round: about 8 clients each, a power of two between 16 and 4096. */
export function bucketCount(clients: number): number {
  let buckets = 16;
  while (buckets < 4096 && buckets * 8 < clients) buckets *= 2;
  return buckets;
}

/** The bucket of a client id (32-bit FNV-1a, masked; `buckets` is a power of two). */
export function bucketOf(id: string, buckets: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) & (buckets - 1);
}

/** XOR-combines 53-bit digests (as two parts, since JS bitwise operators are 32-bit). */
class DigestAccumulator {
  private readonly hi: Int32Array;
  private readonly lo: Int32Array;

  constructor(size: number) {
    this.hi = new Int32Array(size);
    this.lo = new Int32Array(size);
  }

  add(at: number, digest: number): void {
    this.hi[at] ^= Math.floor(digest / 0x100000000);
    this.lo[at] ^= digest % 0x100000000;
  }

  values(): number[] {
    const out = new Array<number>(this.hi.length);
    for (let i = 0; i < out.length; i++) out[i] = (this.hi[i] & 0x1fffff) * 0x100000000 + (this.lo[i] >>> 0);
    return out;
  }
}

/**
 * Distro's data side for `Nacos:Naming:v2:ClientData`, backed by the Registry. Client data carries
 * versions (a hybrid logical clock per write) and tombstones, so a copy from any member is merged:
 * per address the newest write wins, whoever sends it, in whatever order. This node speaks for —
 * sends, and lists in verify rounds — every ip-port client it holds (any node may hold its newest
 * write: the responsible one, or a stand-in while that one was unreachable) and the connection and
 * sync clients it owns. The connection and sync clients of other nodes are replicas here, kept while
 * their owner confirms them and forgotten when it no longer lists them or falls silent.
 */
export class ClientDataProcessor implements DistroDataProcessor<ClientSyncData> {
  readonly type = CLIENT_DATA_TYPE;
  private applying = false;
  /** Client → sequence number of its last change (any change, merged or local), for `stamp`. */
  private readonly changes = new Map<string, number>();
  private changeSequence = 0;
  /**
   * The sequence number at the last purge of tombstones past their window: purging changes clients
   * without an event, so every stamp moves past it (each cached encoding is made again once).
   */
  private purgedAt = 0;
  /**
   * The bucket digests last computed and the number of changes (every client event, and every purge)
   * they saw: a verify round with nothing changed since, or a peer turning UP again in the middle of
   * a burst, reuses them instead of walking every client again.
   */
  private digestsSeen: { generation: number; value: BucketDigests } | undefined;
  private generation = 0;
  private readonly unsubscribe: () => void;
  private readonly scratch = new ProtoWriter(64 * 1024);
  /** Last time a clock-skew warning was logged (one a minute at most). */
  private skewWarnedAt = 0;
  /** Client → last time a text-rule rejection of it was logged (one line per client a minute at most). */
  private readonly rejectionWarnedAt = new Map<string, number>();
  /** Parts of peers' clients left out for breaking the text rule, since start. */
  rejectedRecords = 0;
  /** Called for each part left out (metrics). */
  onRejected: (peer: string) => void = () => undefined;

  constructor(
    private readonly registry: DistroRegistryView,
    private readonly mapper: DistroMapper,
    private readonly self: string,
    private readonly options: ClientDataProcessorOptions,
    private readonly log: ProcessorLog,
    private readonly clock: () => number = Date.now,
  ) {
    this.unsubscribe = registry.events.on('clientChanged', (event) => {
      this.generation++;
      if (event.removed && registry.replicatedClient(event.clientId) === undefined) this.changes.delete(event.clientId);
      else this.changes.set(event.clientId, ++this.changeSequence);
    });
  }

  /** Stops following registry changes. */
  close(): void {
    this.unsubscribe();
  }

  encode(item: ClientSyncData): Uint8Array {
    return encodeClientData(item, this.scratch);
  }

  /** Decodes and validates clients as a peer sent them; throws InvalidPayloadError. */
  decode(items: readonly Uint8Array[]): ClientSyncData[] {
    return decodeClients(items);
  }

  /** True when this node runs heartbeat expiry for the client (ip-port: by hash) or holds it (connection/sync). */
  isResponsible(clientId: string): boolean {
    const tag = ipPortTagOf(clientId);
    const client = this.registry.replicatedClient(clientId);
    if (client !== undefined && client.kind !== 'ipport') return this.owns(client);
    return tag !== undefined && this.mapper.isSelfResponsible(tag);
  }

  get(key: string): ClientSyncData | 'unknown' | 'not-owned' {
    const client = this.registry.replicatedClient(key);
    if (client === undefined) return 'unknown';
    if (!this.speaksFor(client)) return 'not-owned';
    const data = this.registry.exportClient(key);
    return data === undefined || !inScope(client) ? 'unknown' : data;
  }

  stamp(key: string): number | undefined {
    const client = this.registry.replicatedClient(key);
    if (client === undefined || !this.speaksFor(client)) return undefined;
    // A number, not a string of the client's version fields: it is read for every client of every
    // call to every peer, and turning 53-bit versions into text cost more than the lookup itself.
    return Math.max(this.changes.get(key) ?? 0, this.purgedAt);
  }

  bucketDigests(): BucketDigests {
    const seen = this.digestsSeen;
    if (seen?.generation === this.generation) return { buckets: seen.value.buckets, digests: [...seen.value.digests] };
    const value = this.computeBucketDigests();
    this.digestsSeen = { generation: this.generation, value };
    return { buckets: value.buckets, digests: [...value.digests] };
  }

  private computeBucketDigests(): BucketDigests {
    let count = 0;
    for (const client of this.registry.replicatedClients()) if (this.speaksFor(client) && inScope(client)) count++;
    const buckets = bucketCount(count);
    const acc = new DigestAccumulator(buckets);
    for (const client of this.registry.replicatedClients()) {
      if (this.speaksFor(client) && inScope(client)) acc.add(bucketOf(client.id, buckets), client.digest());
    }
    return { buckets, digests: acc.values() };
  }

  entriesIn(buckets: number, which: readonly number[]): Map<number, VerifyEntry[]> {
    const out = new Map<number, VerifyEntry[]>();
    for (const bucket of which) out.set(bucket, []);
    for (const client of this.registry.replicatedClients()) {
      if (!this.speaksFor(client) || !inScope(client)) continue;
      out.get(bucketOf(client.id, buckets))?.push({ key: client.id, digest: client.digest() });
    }
    return out;
  }

  compareBuckets(from: string, remote: BucketDigests): number[] {
    const now = this.clock();
    const acc = new DigestAccumulator(remote.buckets);
    for (const client of this.registry.replicatedClients()) {
      if (!this.speaksForPeer(client, from)) continue;
      // Its owner is alive and verifying: whether it still holds each client, its listing says.
      if (client.kind !== 'ipport' && !client.removed) this.registry.renewReplica(client.id, now);
      if (inScope(client)) acc.add(bucketOf(client.id, remote.buckets), client.digest());
    }
    const mine = acc.values();
    const mismatched: number[] = [];
    for (let i = 0; i < remote.buckets; i++) if (mine[i] !== remote.digests[i]) mismatched.push(i);
    return mismatched;
  }

  compareEntries(
    from: string,
    buckets: number,
    which: readonly number[],
    entries: readonly VerifyEntry[],
  ): { lacking: string[]; push: string[] } {
    const listed = new Map<string, number>();
    for (const entry of entries) listed.set(entry.key, entry.digest);
    const wanted = new Set(which);
    const lacking: string[] = [];
    const push: string[] = [];
    const forget: string[] = [];
    for (const client of this.registry.replicatedClients()) {
      if (!this.speaksForPeer(client, from) || !inScope(client)) continue;
      if (!wanted.has(bucketOf(client.id, buckets))) continue;
      const theirs = listed.get(client.id);
      if (theirs === client.digest()) continue;
      if (client.kind === 'ipport') push.push(client.id);
      // The owner's listing is the evidence: a replica it no longer lists is gone with it.
      else if (theirs === undefined && !client.removed) forget.push(client.id);
    }
    for (const [key, digest] of listed) {
      const client = this.registry.replicatedClient(key);
      if (client === undefined || !inScope(client) || client.digest() !== digest) lacking.push(key);
    }
    for (const id of forget) {
      if (this.registry.forgetReplica(id)) {
        this.log.debug(
          { peer: from, clientId: id },
          `Distro forgot replica ${id}: its owner ${from} no longer holds it`,
        );
      }
    }
    return { lacking, push };
  }

  applySync(from: string, received: readonly ClientSyncData[]): SyncResult {
    const items = this.keepTextRule(from, received);
    this.noteSkew(from, items);
    this.applying = true;
    let applied: number;
    try {
      applied = this.registry.mergeClients(items, this.clock());
    } finally {
      this.applying = false;
    }
    if (this.log.debugEnabled !== false) {
      for (const data of items) {
        this.log.debug(
          { peer: from, clientId: data.clientId, revision: data.revision },
          `Received distro client sync data ${data.clientId}, revision=${data.revision}`,
        );
      }
    }
    return { applied };
  }

  *snapshot(): Iterable<ClientSyncData> {
    for (const client of this.registry.replicatedClients()) {
      if (!inScope(client) && client.kind === 'ipport') continue;
      const data = this.registry.exportClient(client.id);
      if (data !== undefined) yield data;
    }
  }

  loadSnapshot(items: readonly ClientSyncData[]): void {
    this.applying = true;
    try {
      this.registry.mergeClients(this.keepTextRule('snapshot', items), this.clock());
    } finally {
      this.applying = false;
    }
  }

  expire(now: number): { replicas: number; tombstones: number } {
    const replicas = this.registry.expireReplicas(now, this.options.replicaExpireMs, (id) => this.isResponsible(id));
    const tombstones = this.registry.purgeHistory(now, this.options.tombstoneTtlMs);
    // Ghosts whose history aged out are gone without an event: forget their change numbers too.
    if (tombstones > 0) {
      this.generation++;
      this.purgedAt = ++this.changeSequence;
      for (const id of this.changes.keys())
        if (this.registry.replicatedClient(id) === undefined) this.changes.delete(id);
    }
    return { replicas: replicas.length, tombstones };
  }

  onLocalChange(listener: (key: string) => void): () => void {
    return this.registry.events.on('clientChanged', (event) => {
      if (this.applying) return;
      const client = this.registry.replicatedClient(event.clientId);
      if (client !== undefined && this.speaksFor(client)) listener(event.clientId);
    });
  }

  /**
   * Ip-port clients this node has just become responsible for get their heartbeat clock restarted:
   * their last beat went to the previous responsible node, and judging them by the age of the copy
   * would mark them unhealthy (or delete them) before their next beat arrives here. Their health is
   * left as it is (an instance whose beats stopped stays unhealthy and is removed in due course).
   */
  responsibilityChanged(): void {
    const now = this.clock();
    const before = this.previousMembers;
    this.previousMembers = [...this.mapper.members()];
    if (before === undefined) return;
    const gained: string[] = [];
    for (const info of this.registry.clients()) {
      if (info.kind !== 'ipport') continue;
      const tag = ipPortTagOf(info.id);
      if (tag === undefined || !this.mapper.isSelfResponsible(tag)) continue;
      if (before.length === 0 || before[distroIndex(tag, before.length)] !== this.self) gained.push(info.id);
    }
    for (const id of gained) this.registry.restartBeatClock(id, now);
  }

  /** The responsible member list at the last change (undefined before the first). */
  private previousMembers: string[] | undefined;

  /** Counts held here, for the status endpoint. */
  counts(): { owned: number; replicated: number; tombstones: number; removedClients: number } {
    let owned = 0;
    let replicated = 0;
    for (const info of this.registry.clients()) {
      if (this.owns(info)) owned++;
      else replicated++;
    }
    const history = this.registry.historyCounts();
    return { owned, replicated, tombstones: history.tombstones, removedClients: history.ghosts };
  }

  /** Runs the client: responsible for its ip:port, or holding its connection/lease. */
  private owns(info: { id: string; kind: string; local: boolean; owner: string | undefined }): boolean {
    const tag = info.kind === 'ipport' ? ipPortTagOf(info.id) : undefined;
    if (tag !== undefined) return this.mapper.isSelfResponsible(tag);
    return info.local && (info.owner === undefined || info.owner === this.self);
  }

  /** This node sends and lists every ip-port client, and the connection and sync clients it owns. */
  private speaksFor(client: ReplicatedClient): boolean {
    if (client.kind === 'ipport') return true;
    return client.local && (client.owner === undefined || client.owner === this.self);
  }

  /** What `peer` speaks for, as this node sees it: every ip-port client, and the others `peer` owns. */
  private speaksForPeer(client: ReplicatedClient, peer: string): boolean {
    if (client.kind === 'ipport') return true;
    return !client.local && client.owner === peer;
  }

  /**
   * Leaves out what breaks the text rule (names printable, metadata without NUL): a peer running an
   * older version may hold such records, and one of them must not stop the rest of its batch nor
   * reach this node's sync tasks (Postgres refuses NUL). Each part left out is counted; one warn
   * line per client a minute names the peer, the client, the part and why.
   */
  private keepTextRule(from: string, items: readonly ClientSyncData[]): readonly ClientSyncData[] {
    return keepTextRule(items, (rejection: TextRuleRejection) => {
      this.rejectedRecords++;
      this.onRejected(from);
      const now = this.clock();
      const last = this.rejectionWarnedAt.get(rejection.clientId);
      if (last !== undefined && now - last < 60_000) return;
      if (this.rejectionWarnedAt.size >= 10_000) this.rejectionWarnedAt.clear();
      this.rejectionWarnedAt.set(rejection.clientId, now);
      this.log.warn(
        { peer: from, clientId: rejection.clientId, part: rejection.part, reason: rejection.reason },
        `Distro left out ${rejection.part} from ${from}: it breaks the text rule (${rejection.reason})`,
      );
    });
  }

  /** Logs (once a minute at most) a peer whose versions run ahead of this node's clock. */
  private noteSkew(from: string, items: readonly ClientSyncData[]): void {
    let newest = 0;
    for (const data of items) if (data.revision > newest) newest = data.revision;
    if (newest === 0) return;
    const now = this.clock();
    const ahead = versionTime(newest) - now;
    if (ahead <= this.options.maxClockSkewMs || now - this.skewWarnedAt < 60_000) return;
    this.skewWarnedAt = now;
    this.log.warn(
      { peer: from, aheadMs: ahead },
      `Distro peer ${from} writes versions ${ahead} ms ahead of this node's clock: its writes win conflicts until the clocks agree; check NTP on both nodes`,
    );
  }
}

/**
 * Clients that take part in verify: those holding a publication or a tombstone. A client with
 * neither (a connection that publishes nothing) has nothing to replicate.
 */
function inScope(client: ReplicatedClient): boolean {
  return client.size > 0 || client.floor !== 0 || client.tombstoneCount > 0;
}
