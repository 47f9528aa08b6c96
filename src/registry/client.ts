import type { Service } from './catalog';
import { InstanceRecord, compact } from './instance';
import type { ClientInfo, ClientKind, ClientSyncData } from './model';

/** Up to this many publications a client is searched by scanning; beyond, through the service's index. */
export const SCAN_LIMIT = 8;

/** Rarely-set client facts, kept out of line so the common ip-port client does not pay for them. */
interface ClientExtra {
  owner?: string;
  attributes?: Readonly<Record<string, unknown>>;
  /** Absolute ms. */
  expiresAt?: number;
}

/**
 * An owner of publications. At most one publication per (service, cluster, ip:port): publishing
 * that address again replaces it. A publication is found through its service's index (records
 * know their owner), so the client itself only lists them: the record alone for the common
 * one-instance client, else an array in which each record knows its slot.
 */
export class Client implements Readonly<ClientInfo> {
  /** Increases on every change of the publications; set from the peer for replicas. */
  revision = 0;
  /** False for a copy applied from a Distro peer. */
  local = true;
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

  /** Sets or clears an out-of-line fact, dropping the holder when it becomes empty. */
  setExtra<K extends keyof ClientExtra>(field: K, value: ClientExtra[K]): void {
    if (value === undefined) {
      if (this.extra === undefined) return;
      delete this.extra[field];
      if (Object.keys(this.extra).length === 0) this.extra = undefined;
      return;
    }
    this.extra ??= {};
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
        return { namespace, group, service: name, instance: record.toInput() };
      }),
    };
    if (this.owner !== undefined) data.owner = this.owner;
    if (this.expiresAt !== undefined) data.expiresAt = this.expiresAt;
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

/**
 * All clients by id. Ip-port clients live in their own map so heartbeat expiry walks only them;
 * clients with a lease expiry are also kept in a small set so `expireClients` walks only those.
 */
export class ClientTable {
  private readonly ipPort = new Map<string, Client>();
  private readonly others = new Map<string, Client>();
  private readonly leased = new Set<Client>();

  get size(): number {
    return this.ipPort.size + this.others.size;
  }

  get(id: string): Client | undefined {
    return this.ipPort.get(id) ?? this.others.get(id);
  }

  /** The client, created (local, revision 0) if missing; a kind change moves it to the right map. */
  obtain(id: string, kind: ClientKind): Client {
    let client = this.get(id);
    if (client === undefined) {
      client = new Client(compact(id), kind);
      this.mapFor(kind).set(id, client);
    } else if (client.kind !== kind) {
      this.mapFor(client.kind).delete(id);
      client.kind = kind;
      this.mapFor(kind).set(id, client);
    }
    return client;
  }

  delete(client: Client): void {
    const map = this.mapFor(client.kind);
    if (map.get(client.id) === client) map.delete(client.id);
    this.leased.delete(client);
  }

  /** Records a lease expiry (absolute ms) or clears it. */
  setExpiry(client: Client, expiresAt: number | undefined): void {
    client.setExtra('expiresAt', expiresAt);
    if (expiresAt === undefined) this.leased.delete(client);
    else this.leased.add(client);
  }

  ipPortClients(): IterableIterator<Client> {
    return this.ipPort.values();
  }

  leasedClients(): Client[] {
    return [...this.leased];
  }

  *all(): IterableIterator<Client> {
    yield* this.ipPort.values();
    yield* this.others.values();
  }

  private mapFor(kind: ClientKind): Map<string, Client> {
    return kind === 'ipport' ? this.ipPort : this.others;
  }
}
