import type { Service } from './catalog';
import { InstanceRecord } from './instance';
import type { ClientInfo, ClientKind, ClientSyncData, TombstoneData } from './model';
import { newer } from './version';

/** Up to this many publications a client is searched by scanning; beyond, through the service's index. */
export const SCAN_LIMIT = 8;

/** The key of a publication (or its tombstone) within its client: service, cluster and address. */
export function publicationKey(
  namespace: string,
  group: string,
  service: string,
  cluster: string,
  ip: string,
  port: number,
): string {
  return namespace + '\u0001' + group + '\u0001' + service + '\u0001' + cluster + '\u0001' + ip + '\u0001' + port;
}

/** The key of a record's publication. */
export function recordKey(record: InstanceRecord): string {
  const service = record.cluster.service;
  return publicationKey(service.namespace, service.group, service.name, record.cluster.name, record.ip, record.port);
}

/** What Distro reads of a client, live or removed (a ghost kept for its tombstones). */
export interface ReplicatedClient {
  readonly id: string;
  readonly kind: ClientKind;
  readonly owner: string | undefined;
  readonly local: boolean;
  /** True for a removed client kept for its tombstones or floor. */
  readonly removed: boolean;
  /** The newest version of anything in the client. */
  readonly revision: number;
  readonly size: number;
  readonly floor: number;
  /** How many withdrawn publications it remembers. */
  readonly tombstoneCount: number;
  /** Hash of the versioned content, equal on nodes holding the same client. */
  digest(): number;
}

/** The key of a tombstone's publication. */
export function tombstoneKey(t: TombstoneData): string {
  return publicationKey(t.namespace, t.group, t.service, t.cluster, t.ip, t.port);
}

/**
 * Rarely-set client facts, kept out of line so the common ip-port client does not pay for them. A
 * class with every field set, so all holders share one shape (deleting properties would turn each
 * into a slower, larger dictionary object).
 */
class ClientExtra {
  owner: string | undefined = undefined;
  attributes: Readonly<Record<string, unknown>> | undefined = undefined;
  /** Absolute ms. */
  expiresAt: number | undefined = undefined;
  /** Version and writer of the owner and expiry facts. */
  metaVersion: number | undefined = undefined;
  metaWriter: string | undefined = undefined;
  /**
   * Withdrawn publications, until they are older than the tombstone window: the one tombstone itself
   * (the common case — a deregistered instance — costs no map and no key string), or a map by key.
   */
  tombstones: TombstoneData | Map<string, TombstoneData> | undefined = undefined;
  /** The client was removed at this version: nothing of it at or below is kept. */
  floor: number | undefined = undefined;
  floorWriter: string | undefined = undefined;

  get empty(): boolean {
    return (
      this.owner === undefined &&
      this.attributes === undefined &&
      this.expiresAt === undefined &&
      this.metaVersion === undefined &&
      this.metaWriter === undefined &&
      this.tombstones === undefined &&
      this.floor === undefined &&
      this.floorWriter === undefined
    );
  }
}

/** 32-bit FNV-1a of a string, from `seed`. */
function fnv(text: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A 53-bit hash of a string (two 32-bit FNV-1a with different seeds, combined). */
export function hash53(text: string): number {
  return (fnv(text, 0x811c9dc5) & 0x1fffff) * 0x100000000 + fnv(text, 0x050c5d1f);
}

/**
 * An owner of publications. At most one publication per (service, cluster, ip:port): publishing
 * that address again replaces it. A publication is found through its service's index (records
 * know their owner), so the client itself only lists them: the record alone for the common
 * one-instance client, else an array in which each record knows its slot.
 */
export class Client implements Readonly<ClientInfo>, ReplicatedClient {
  /** The newest version of anything in the client (publications, tombstones, floor, owner). */
  revision = 0;
  /** Cached digest of the client's versioned content (-1: to be computed). */
  private digestValue = -1;
  /** False for a copy applied from a Distro peer. */
  local = true;
  /** True while the client is a ghost: removed, kept only for its tombstones or floor. */
  removed = false;
  /** Last Distro renewal of a replica, relative to the registry's time base. */
  renewedAt = 0;
  extra: ClientExtra | undefined = undefined;
  private pubs: InstanceRecord | InstanceRecord[] | undefined = undefined;

  constructor(
    readonly id: string,
    public kind: ClientKind,
  ) {}

  get size(): number {
    const pubs = this.pubs;
    if (pubs === undefined) return 0;
    return Array.isArray(pubs) ? pubs.length : 1;
  }

  get owner(): string | undefined {
    return this.extra?.owner;
  }

  get expiresAt(): number | undefined {
    return this.extra?.expiresAt;
  }

  get publicationCount(): number {
    return this.size;
  }

  get attributes(): Readonly<Record<string, unknown>> | undefined {
    return this.extra?.attributes;
  }

  get floor(): number {
    return this.extra?.floor ?? 0;
  }

  get floorWriter(): string {
    return this.extra?.floorWriter ?? '';
  }

  /** How many withdrawn publications the client remembers. */
  get tombstoneCount(): number {
    const t = this.extra?.tombstones;
    return t === undefined ? 0 : t instanceof Map ? t.size : 1;
  }

  /** The tombstone of a publication key, if any. */
  tombstoneAt(key: string): TombstoneData | undefined {
    const t = this.extra?.tombstones;
    if (t === undefined) return undefined;
    if (t instanceof Map) return t.get(key);
    return tombstoneKey(t) === key ? t : undefined;
  }

  /** Every tombstone (a copy, safe to iterate while changing the client). */
  tombstoneList(): TombstoneData[] {
    const t = this.extra?.tombstones;
    return t === undefined ? [] : t instanceof Map ? [...t.values()] : [t];
  }

  /** True when the client holds tombstones or a floor, which must outlive its publications. */
  get hasHistory(): boolean {
    const extra = this.extra;
    return extra !== undefined && (extra.floor !== undefined || extra.tombstones !== undefined);
  }

  /** Moves the newest version on (never back). */
  saw(version: number): void {
    if (version > this.revision) this.revision = version;
  }

  /** Records a withdrawal, unless a newer one of the same publication is known. */
  setTombstone(key: string, tombstone: TombstoneData): boolean {
    const known = this.tombstoneAt(key);
    if (known !== undefined && !newer(tombstone.version, tombstone.writer, known.version, known.writer)) return false;
    const extra = (this.extra ??= new ClientExtra());
    const held = extra.tombstones;
    if (held === undefined || (!(held instanceof Map) && known !== undefined)) {
      extra.tombstones = tombstone;
    } else if (held instanceof Map) {
      held.set(key, tombstone);
    } else {
      extra.tombstones = new Map([
        [tombstoneKey(held), held],
        [key, tombstone],
      ]);
    }
    this.saw(tombstone.version);
    this.digestValue = -1;
    return true;
  }

  /** Forgets a withdrawal (a newer publication of the same address replaced it, or it aged out). */
  clearTombstone(key: string): void {
    const held = this.extra?.tombstones;
    if (held === undefined) return;
    if (held instanceof Map) {
      if (!held.delete(key)) return;
      if (held.size === 1) this.setExtra('tombstones', held.values().next().value);
      else if (held.size === 0) this.setExtra('tombstones', undefined);
    } else {
      if (tombstoneKey(held) !== key) return;
      this.setExtra('tombstones', undefined);
    }
    this.digestValue = -1;
  }

  /** Raises the floor (the client removed at `version`); drops tombstones it covers. */
  raiseFloor(version: number, writer: string): boolean {
    if (!newer(version, writer, this.floor, this.floorWriter)) return false;
    this.setExtra('floor', version);
    this.setExtra('floorWriter', writer);
    for (const t of this.tombstoneList()) {
      if (!newer(t.version, t.writer, version, writer)) this.clearTombstone(tombstoneKey(t));
    }
    this.saw(version);
    this.digestValue = -1;
    return true;
  }

  /** Drops the floor (aged out of the tombstone window). */
  clearFloor(): void {
    this.setExtra('floor', undefined);
    this.setExtra('floorWriter', undefined);
    this.digestValue = -1;
  }

  /** True when a stamp is at or below the floor (the client was removed after it). */
  covered(version: number, writer: string): boolean {
    const extra = this.extra;
    return extra?.floor !== undefined && !newer(version, writer, extra.floor, extra.floorWriter ?? '');
  }

  get metaVersion(): number {
    return this.extra?.metaVersion ?? 0;
  }

  get metaWriter(): string {
    return this.extra?.metaWriter ?? '';
  }

  /** Sets owner and expiry facts at a version (kept only when newer than the known ones). */
  setMeta(owner: string | undefined, expiresAt: number | undefined, version: number, writer: string): boolean {
    if (!newer(version, writer, this.metaVersion, this.metaWriter)) return false;
    this.setExtra('owner', owner);
    this.setExtra('expiresAt', expiresAt);
    this.setExtra('metaVersion', version);
    this.setExtra('metaWriter', writer);
    this.saw(version);
    this.digestValue = -1;
    return true;
  }

  /**
   * A hash of the client's versioned content — every publication's and tombstone's key and stamp,
   * the floor and the owner stamp — equal on two nodes holding the same client. Computed on demand
   * and cached until the client changes; verify rounds compare it.
   */
  digest(): number {
    if (this.digestValue >= 0) return this.digestValue;
    let hi = 0;
    let lo = 0;
    const mix = (text: string): void => {
      const h = hash53(text);
      hi ^= Math.floor(h / 0x100000000);
      lo ^= h % 0x100000000;
    };
    mix(this.id);
    for (const record of this.records()) mix(recordKey(record) + '\u0002' + record.version + '\u0002' + record.writer);
    const extra = this.extra;
    for (const t of this.tombstoneList()) mix(tombstoneKey(t) + '\u0003' + t.version + '\u0002' + t.writer);
    if (extra?.floor !== undefined) mix('\u0004' + extra.floor + '\u0002' + (extra.floorWriter ?? ''));
    if (extra?.metaVersion !== undefined) mix('\u0005' + extra.metaVersion + '\u0002' + (extra.metaWriter ?? ''));
    // 21 + 32 bits: a double holds it exactly, and it is never the -1 of "stale".
    this.digestValue = (hi & 0x1fffff) * 0x100000000 + (lo >>> 0);
    return this.digestValue;
  }

  /** Marks the cached digest stale (a record's stamp changed in place). */
  touched(): void {
    this.digestValue = -1;
  }

  /** Sets or clears an out-of-line fact, dropping the holder when it becomes empty. */
  setExtra<K extends keyof Omit<ClientExtra, 'empty'>>(field: K, value: ClientExtra[K]): void {
    if (value === undefined) {
      if (this.extra === undefined) return;
      this.extra[field] = value;
      if (this.extra.empty) this.extra = undefined;
      return;
    }
    this.extra ??= new ClientExtra();
    this.extra[field] = value;
  }

  find(service: Service, cluster: string, ip: string, port: number): InstanceRecord | undefined {
    const pubs = this.pubs;
    if (pubs === undefined) return undefined;
    if (pubs instanceof InstanceRecord) return matches(pubs, service, cluster, ip, port) ? pubs : undefined;
    if (pubs.length <= SCAN_LIMIT) return pubs.find((record) => matches(record, service, cluster, ip, port));
    return service.cluster(cluster)?.publicationOf(this, ip, port);
  }

  /** The only publication, when there is exactly one (the common case, checked without allocating). */
  single(): InstanceRecord | undefined {
    return this.pubs instanceof InstanceRecord ? this.pubs : undefined;
  }

  /** True while `record` is one of this client's publications. */
  holds(record: InstanceRecord): boolean {
    const pubs = this.pubs;
    return pubs === record || (Array.isArray(pubs) && pubs[record.slot] === record);
  }

  /** A snapshot of all publications, safe to iterate while changing the client. */
  records(): InstanceRecord[] {
    const pubs = this.pubs;
    if (pubs === undefined) return [];
    return Array.isArray(pubs) ? pubs.slice() : [pubs];
  }

  /** Adds a publication the client does not hold yet. */
  add(record: InstanceRecord): void {
    this.digestValue = -1;
    this.saw(record.version);
    const pubs = this.pubs;
    if (pubs === undefined) {
      this.pubs = record;
    } else if (Array.isArray(pubs)) {
      record.slot = pubs.length;
      pubs.push(record);
    } else {
      pubs.slot = 0;
      record.slot = 1;
      this.pubs = [pubs, record];
    }
  }

  /** Removes a publication; the last one takes its slot. */
  remove(record: InstanceRecord): void {
    this.digestValue = -1;
    const pubs = this.pubs;
    if (pubs === record) {
      this.pubs = undefined;
    } else if (Array.isArray(pubs) && pubs[record.slot] === record) {
      const last = pubs.pop() as InstanceRecord;
      if (last !== record) {
        pubs[record.slot] = last;
        last.slot = record.slot;
      }
      if (pubs.length === 1) this.pubs = pubs[0];
    }
  }

  replace(previous: InstanceRecord, next: InstanceRecord): void {
    this.digestValue = -1;
    this.saw(next.version);
    const pubs = this.pubs;
    if (pubs === previous) {
      this.pubs = next;
    } else if (Array.isArray(pubs) && pubs[previous.slot] === previous) {
      next.slot = previous.slot;
      pubs[previous.slot] = next;
    }
  }

  /** The client in replication form. */
  toSyncData(): ClientSyncData {
    const data: ClientSyncData = {
      clientId: this.id,
      kind: this.kind,
      revision: this.revision,
      publications: this.records().map((record) => {
        const { namespace, group, name } = record.cluster.service;
        return {
          namespace,
          group,
          service: name,
          instance: record.toInput(),
          version: record.version,
          writer: record.writer,
        };
      }),
    };
    const extra = this.extra;
    if (extra === undefined) return data;
    if (extra.owner !== undefined) data.owner = extra.owner;
    if (extra.expiresAt !== undefined) data.expiresAt = extra.expiresAt;
    if (extra.tombstones !== undefined) data.tombstones = this.tombstoneList();
    if (extra.floor !== undefined) {
      data.floor = extra.floor;
      data.floorWriter = extra.floorWriter;
    }
    if (extra.metaVersion !== undefined) {
      data.metaVersion = extra.metaVersion;
      data.metaWriter = extra.metaWriter;
    }
    return data;
  }

  info(): ClientInfo {
    return {
      id: this.id,
      kind: this.kind,
      revision: this.revision,
      owner: this.extra?.owner,
      local: this.local,
      publicationCount: this.size,
      expiresAt: this.extra?.expiresAt,
      attributes: this.extra?.attributes,
    };
  }
}

function matches(record: InstanceRecord, service: Service, cluster: string, ip: string, port: number): boolean {
  return (
    record.port === port && record.ip === ip && record.cluster.service === service && record.cluster.name === cluster
  );
}
