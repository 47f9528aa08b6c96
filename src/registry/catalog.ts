import { addressKey, compact } from './instance';
import type { InstanceRecord } from './instance';
import type { Client } from './client';
import { DEFAULT_NAMESPACE, groupedName } from './model';
import type { Instance, ListInstancesOptions, ServiceKey, ServicePage, ServiceSummary } from './model';
import { wildcard } from './wildcard';

/**
 * The instances of one cluster of a service, by `ip:port`. An address published by one client
 * maps to its record; only when several clients publish the same address does it map to an
 * array, ordered by change so the last element is the most recently changed (the one listed).
 */
export class ClusterIndex {
  readonly entries = new Map<string, InstanceRecord | InstanceRecord[]>();

  constructor(
    readonly name: string,
    readonly service: Service,
  ) {}

  /** The publication listed for an address: the most recently changed one. */
  static winner(entry: InstanceRecord | InstanceRecord[]): InstanceRecord {
    return Array.isArray(entry) ? entry[entry.length - 1] : entry;
  }

  /** What `client` publishes at the address `key` (from addressKey), or undefined. */
  publicationOf(client: Client, key: string): InstanceRecord | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (!Array.isArray(entry)) return entry.owner === client ? entry : undefined;
    for (const record of entry) if (record.owner === client) return record;
    return undefined;
  }

  /** Adds a record under its address key (`key` when the caller has it, flat, already). */
  add(record: InstanceRecord, key: string = compact(addressKey(record.ip, record.port))): void {
    const entry = this.entries.get(key);
    if (entry === undefined) this.entries.set(key, record);
    else if (Array.isArray(entry)) entry.push(record);
    else this.entries.set(key, [entry, record]);
  }

  remove(record: InstanceRecord): void {
    const key = addressKey(record.ip, record.port);
    const entry = this.entries.get(key);
    if (entry === record) {
      this.entries.delete(key);
    } else if (Array.isArray(entry)) {
      const at = entry.indexOf(record);
      if (at >= 0) entry.splice(at, 1);
      if (entry.length === 1) this.entries.set(key, entry[0]);
      else if (entry.length === 0) this.entries.delete(key);
    }
  }

  /** Puts `next` where `previous` was; among duplicates it moves last, as the latest change. */
  replace(previous: InstanceRecord, next: InstanceRecord): void {
    const key = addressKey(previous.ip, previous.port);
    const entry = this.entries.get(key);
    if (entry === previous) {
      this.entries.set(key, next);
    } else if (Array.isArray(entry)) {
      const at = entry.indexOf(previous);
      if (at >= 0) entry.splice(at, 1);
      entry.push(next);
    }
  }

  get(ip: string, port: number): InstanceRecord | undefined {
    const entry = this.entries.get(addressKey(ip, port));
    return entry === undefined ? undefined : ClusterIndex.winner(entry);
  }
}

/** A service and its clusters. It exists while some client publishes into it. */
export class Service implements ServiceKey {
  /** Usually one cluster, so a Map is only made for a second one. */
  private clusterIndex: ClusterIndex | Map<string, ClusterIndex> | undefined = undefined;
  revision = 0;
  /** Publications across clusters and clients; the service goes when this reaches 0. */
  publications = 0;
  /** Position in its group's list, for O(1) removal and O(page) paging. */
  position = -1;

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

  /** Instances merged across clients (one per cluster and ip:port), filtered. */
  instances(options: ListInstancesOptions): Instance[] {
    const { clusters, healthyOnly = false, enabledOnly = false } = options;
    const indexes =
      clusters === undefined || clusters.length === 0
        ? this.clusters()
        : [...new Set(clusters)].map((name) => this.cluster(name)).filter((index) => index !== undefined);
    const result: Instance[] = [];
    for (const index of indexes) {
      for (const entry of index.entries.values()) {
        const record = ClusterIndex.winner(entry);
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
      instanceCount: clusters.reduce((sum, index) => sum + index.entries.size, 0),
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
