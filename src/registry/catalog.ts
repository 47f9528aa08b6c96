import { compact } from './instance';
import type { InstanceRecord } from './instance';
import type { Client } from './client';
import { DEFAULT_NAMESPACE, groupedName } from './model';
import type { Instance, ListInstancesOptions, ServiceKey, ServiceMetadata, ServicePage, ServiceSummary } from './model';
import { wildcard } from './wildcard';

/** The publications of one address (ip:port): one record, or several (by several clients). */
type AddressEntry = InstanceRecord | InstanceRecord[];
/** What an IP maps to: its one address, or its addresses by port when the host has several. */
type IpEntry = AddressEntry | Map<number, AddressEntry>;

/**
 * The publication listed for an address: the newest write (by version, then writer id), so every
 * node lists the same one whatever order the writes reached it in.
 */
function winner(entry: AddressEntry): InstanceRecord {
  if (!Array.isArray(entry)) return entry;
  let best = entry[0];
  for (let i = 1; i < entry.length; i++) {
    const r = entry[i];
    if (r.version > best.version || (r.version === best.version && r.writer >= best.writer)) best = r;
  }
  return best;
}

function portOf(entry: AddressEntry): number {
  return Array.isArray(entry) ? entry[0].port : entry.port;
}

/** The entry with `record` added last (a new array when it held one record). */
function withRecord(entry: AddressEntry, record: InstanceRecord): AddressEntry {
  if (Array.isArray(entry)) {
    entry.push(record);
    return entry;
  }
  return [entry, record];
}

/** The entry without `record`: undefined when nothing is left, the record itself when one is. */
function withoutRecord(entry: AddressEntry, record: InstanceRecord): AddressEntry | undefined {
  if (!Array.isArray(entry)) return entry === record ? undefined : entry;
  const at = entry.indexOf(record);
  if (at >= 0) entry.splice(at, 1);
  if (entry.length === 0) return undefined;
  return entry.length === 1 ? entry[0] : entry;
}

/**
 * The instances of one cluster of a service, by IP and then port. Keying by the IP string the
 * record already holds costs no key string per instance; a host publishing several ports gets a
 * small map by port. An address published by one client maps to its record; several clients
 * publishing the same address make an array, whose newest write is listed.
 */
export class ClusterIndex {
  readonly entries = new Map<string, IpEntry>();
  /** Distinct ip:port addresses listed (the size of a query's answer). */
  addresses = 0;

  constructor(
    readonly name: string,
    readonly service: Service,
  ) {}

  /** The publications of ip:port within what its IP maps to. */
  static address(entry: IpEntry | undefined, port: number): AddressEntry | undefined {
    if (entry === undefined) return undefined;
    if (entry instanceof Map) return entry.get(port);
    return portOf(entry) === port ? entry : undefined;
  }

  /** What `client` publishes at `port` within an IP's entry (as found by `entries.get(ip)`), or undefined. */
  static ownedBy(entry: IpEntry | undefined, client: Client, port: number): InstanceRecord | undefined {
    const address = ClusterIndex.address(entry, port);
    if (address === undefined) return undefined;
    if (!Array.isArray(address)) return address.owner === client ? address : undefined;
    for (const record of address) if (record.owner === client) return record;
    return undefined;
  }

  /** What `client` publishes at ip:port, or undefined. */
  publicationOf(client: Client, ip: string, port: number): InstanceRecord | undefined {
    return ClusterIndex.ownedBy(this.entries.get(ip), client, port);
  }

  /** Adds a record; `entry` is what its IP maps to, when the caller has just looked it up. */
  add(record: InstanceRecord, entry: IpEntry | undefined = this.entries.get(record.ip)): void {
    const { ip, port } = record;
    if (entry === undefined) {
      this.entries.set(ip, record);
      this.addresses++;
    } else if (entry instanceof Map) {
      const address = entry.get(port);
      if (address === undefined) this.addresses++;
      entry.set(port, address === undefined ? record : withRecord(address, record));
    } else if (portOf(entry) === port) {
      this.entries.set(ip, withRecord(entry, record));
    } else {
      this.entries.set(
        ip,
        new Map<number, AddressEntry>([
          [portOf(entry), entry],
          [port, record],
        ]),
      );
      this.addresses++;
    }
  }

  remove(record: InstanceRecord): void {
    const { ip, port } = record;
    const entry = this.entries.get(ip);
    const address = ClusterIndex.address(entry, port);
    if (address === undefined) return;
    const rest = withoutRecord(address, record);
    if (rest === undefined) this.addresses--;
    this.store(ip, port, entry as IpEntry, rest);
  }

  /** Puts `next` (same address) where `previous` was; among several it moves last, as the latest change. */
  replace(previous: InstanceRecord, next: InstanceRecord): void {
    const { ip, port } = previous;
    const entry = this.entries.get(ip);
    const address = ClusterIndex.address(entry, port);
    if (address === undefined) return;
    const rest = withoutRecord(address, previous);
    this.store(ip, port, entry as IpEntry, rest === undefined ? next : withRecord(rest, next));
  }

  /** The record listed at ip:port: the newest publication of it. */
  get(ip: string, port: number): InstanceRecord | undefined {
    const address = ClusterIndex.address(this.entries.get(ip), port);
    return address === undefined ? undefined : winner(address);
  }

  /** The listed record of every address. */
  listed(into: InstanceRecord[] = []): InstanceRecord[] {
    for (const entry of this.entries.values()) {
      if (entry instanceof Map) for (const address of entry.values()) into.push(winner(address));
      else into.push(winner(entry));
    }
    return into;
  }

  /** Every publication, listed or not. */
  records(into: InstanceRecord[] = []): InstanceRecord[] {
    const push = (address: AddressEntry): void => {
      if (Array.isArray(address)) into.push(...address);
      else into.push(address);
    };
    for (const entry of this.entries.values()) {
      if (entry instanceof Map) for (const address of entry.values()) push(address);
      else push(entry);
    }
    return into;
  }

  /** Writes back an address's publications (`address` undefined: none left), folding a one-port map. */
  private store(ip: string, port: number, entry: IpEntry, address: AddressEntry | undefined): void {
    if (!(entry instanceof Map)) {
      if (address === undefined) this.entries.delete(ip);
      else this.entries.set(ip, address);
      return;
    }
    if (address === undefined) entry.delete(port);
    else entry.set(port, address);
    if (entry.size === 1) this.entries.set(ip, entry.values().next().value as AddressEntry);
  }
}

/** A service and its clusters. It exists while some client publishes into it, or while it has stored metadata. */
export class Service implements ServiceKey {
  /** Usually one cluster, so a Map is only made for a second one. */
  private clusterIndex: ClusterIndex | Map<string, ClusterIndex> | undefined = undefined;
  revision = 0;
  /** Publications across clusters and clients; the service goes when this reaches 0. */
  publications = 0;
  /** Position in its group's list, for O(1) removal and O(page) paging. */
  position = -1;
  /** Set through the service API; a service with metadata stays when its last instance goes. */
  metadata: ServiceMetadata | undefined = undefined;

  constructor(
    readonly namespace: string,
    readonly group: string,
    readonly name: string,
  ) {}

  get groupedName(): string {
    return groupedName(this.group, this.name);
  }

  cluster(name: string): ClusterIndex | undefined {
    const index = this.clusterIndex;
    if (index instanceof Map) return index.get(name);
    return index !== undefined && index.name === name ? index : undefined;
  }

  /** The cluster, created if missing. */
  obtainCluster(name: string): ClusterIndex {
    const found = this.cluster(name);
    if (found !== undefined) return found;
    const created = new ClusterIndex(name, this);
    const index = this.clusterIndex;
    if (index === undefined) {
      this.clusterIndex = created;
    } else if (index instanceof Map) {
      index.set(name, created);
    } else {
      this.clusterIndex = new Map([
        [index.name, index],
        [name, created],
      ]);
    }
    return created;
  }

  /** Drops a cluster that no longer holds instances. */
  pruneCluster(cluster: ClusterIndex): void {
    if (cluster.entries.size > 0) return;
    const index = this.clusterIndex;
    if (index === cluster) this.clusterIndex = undefined;
    else if (index instanceof Map && index.get(cluster.name) === cluster) {
      index.delete(cluster.name);
      if (index.size === 1) this.clusterIndex = index.values().next().value;
    }
  }

  clusters(): ClusterIndex[] {
    const index = this.clusterIndex;
    if (index === undefined) return [];
    return index instanceof Map ? [...index.values()] : [index];
  }

  key(): ServiceKey {
    return { namespace: this.namespace, group: this.group, name: this.name };
  }

  /** One listed record of the service (the first found), or undefined when it holds none: O(1). */
  anyRecord(): InstanceRecord | undefined {
    for (const index of this.clusters()) {
      for (const entry of index.entries.values()) {
        const address = entry instanceof Map ? entry.values().next().value : entry;
        if (address !== undefined) return winner(address);
      }
    }
    return undefined;
  }

  /** Instances merged across clients (one per cluster and ip:port), filtered. */
  instances(options: ListInstancesOptions): Instance[] {
    const { clusters, healthyOnly = false, enabledOnly = false } = options;
    const indexes =
      clusters === undefined || clusters.length === 0
        ? this.clusters()
        : [...new Set(clusters)].map((name) => this.cluster(name)).filter((index) => index !== undefined);
    const result: Instance[] = [];
    for (const index of indexes) {
      for (const record of index.listed()) {
        if ((healthyOnly && !record.healthy) || (enabledOnly && !record.enabled)) continue;
        result.push(record);
      }
    }
    return result;
  }

  summary(): ServiceSummary {
    const clusters = this.clusters();
    return {
      namespace: this.namespace,
      group: this.group,
      name: this.name,
      groupedName: this.groupedName,
      clusters: clusters.map((index) => index.name),
      instanceCount: clusters.reduce((sum, index) => sum + index.addresses, 0),
      revision: this.revision,
    };
  }
}

class GroupEntry {
  readonly services = new Map<string, Service>();
  /** Same services as an array, so a page is a slice. Removal swaps in the last one. */
  readonly list: Service[] = [];

  constructor(readonly name: string) {}
}

class NamespaceEntry {
  readonly groups = new Map<string, GroupEntry>();
  serviceCount = 0;

  constructor(readonly name: string) {}
}

/** Namespaces → groups → services, with the paging and pattern queries the wire APIs need. */
export class ServiceCatalog {
  private readonly spaces = new Map<string, NamespaceEntry>([
    [DEFAULT_NAMESPACE, new NamespaceEntry(DEFAULT_NAMESPACE)],
  ]);
  private services = 0;

  get serviceCount(): number {
    return this.services;
  }

  get namespaceCount(): number {
    return this.spaces.size;
  }

  /** Namespaces come into being when first named, as in Nacos. */
  namespace(name: string): NamespaceEntry {
    let space = this.spaces.get(name);
    if (space === undefined) {
      space = new NamespaceEntry(name);
      this.spaces.set(name, space);
    }
    return space;
  }

  namespaceNames(): string[] {
    return [...this.spaces.keys()];
  }

  find(key: ServiceKey): Service | undefined {
    return this.namespace(key.namespace).groups.get(key.group)?.services.get(key.name);
  }

  /** The service, created (empty) if missing. */
  obtain(key: ServiceKey): Service {
    const space = this.namespace(key.namespace);
    let group = space.groups.get(key.group);
    if (group === undefined) {
      group = new GroupEntry(key.group);
      space.groups.set(key.group, group);
    }
    let service = group.services.get(key.name);
    if (service === undefined) {
      // Take namespace and group strings from the entries so each is stored once.
      service = new Service(space.name, group.name, compact(key.name));
      service.position = group.list.length;
      group.list.push(service);
      group.services.set(key.name, service);
      space.serviceCount++;
      this.services++;
    }
    return service;
  }

  /** Forgets a service (it has no publications left). */
  remove(service: Service): void {
    const space = this.spaces.get(service.namespace);
    const group = space?.groups.get(service.group);
    if (space === undefined || group === undefined || group.services.get(service.name) !== service) return;
    group.services.delete(service.name);
    const last = group.list.pop() as Service;
    if (last !== service) {
      group.list[service.position] = last;
      last.position = service.position;
    }
    service.position = -1;
    space.serviceCount--;
    this.services--;
    if (group.services.size === 0) space.groups.delete(group.name);
  }

  /** One page of service names: ungrouped within `group`, grouped across all groups. */
  page(namespace: string, group: string | undefined, pageNo: number, pageSize: number): ServicePage {
    const space = this.namespace(namespace);
    const size = Math.max(0, Math.floor(pageSize) || 0);
    let skip = Math.max(0, (Math.floor(pageNo) || 1) - 1) * size;
    if (group !== undefined) {
      const list = space.groups.get(group)?.list ?? [];
      return { count: list.length, names: list.slice(skip, skip + size).map((s) => s.name) };
    }
    const names: string[] = [];
    // Whole groups before the page are skipped by size, so the cost is groups + page.
    for (const entry of space.groups.values()) {
      if (names.length >= size) break;
      if (skip >= entry.list.length) {
        skip -= entry.list.length;
        continue;
      }
      for (const service of entry.list.slice(skip, skip + size - names.length)) names.push(service.groupedName);
      skip = 0;
    }
    return { count: space.serviceCount, names };
  }

  /** Services whose namespace, group and name match the patterns (`*` = any run of characters). */
  match(namespacePattern: string, groupPattern: string, servicePattern: string): ServiceKey[] {
    const result: ServiceKey[] = [];
    for (const space of this.selected(this.spaces, namespacePattern)) {
      for (const group of this.selected(space.groups, groupPattern)) {
        for (const service of this.selected(group.services, servicePattern)) result.push(service.key());
      }
    }
    return result;
  }

  /** A pattern without `*` is a direct lookup; others scan and filter. */
  private selected<T extends { name: string }>(map: Map<string, T>, pattern: string): T[] {
    if (!pattern.includes('*')) {
      const one = map.get(pattern);
      return one === undefined ? [] : [one];
    }
    const matches = wildcard(pattern);
    const result: T[] = [];
    for (const entry of map.values()) if (matches(entry.name)) result.push(entry);
    return result;
  }
}
