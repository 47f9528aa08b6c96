import { ServiceCatalog } from './catalog';
import type { Service } from './catalog';
import { ChangeSet } from './change-set';
import { ClientTable } from './client-table';
import type { Client } from './client';
import { TypedEmitter } from './events';
import type { EventSource, RegistryEvents } from './events';
import type { InstanceRecord } from './instance';
import { Liveness, TimeBase } from './liveness';
import type { ExpiryReport } from './liveness';
import { DEFAULT_CLUSTER, serviceKey } from './model';
import type {
  ClientInfo,
  ClientKind,
  ClientSyncData,
  Instance,
  InstanceAddress,
  InstanceInput,
  InstancePatch,
  ListInstancesOptions,
  ListServicesOptions,
  PublicationData,
  RegistryCounts,
  RegistryOptions,
  ServiceKey,
  ServiceMetadata,
  ServicePage,
  ServiceSummary,
  WriteOptions,
} from './model';
import { ClientMerger } from './merge';
import { PublicationWriter } from './publications';
import type { DesiredPublication } from './publications';
import { SubscriberBook } from './subscribers';
import { HybridClock, LateWriteError, versionAt } from './version';
import { publicationKey, tombstoneKey } from './client';
import type { DistroRegistryView } from './distro-view';
import type { ReplicatedClient } from './client';

/**
 * The naming core: services, instances, the clients that own them, heartbeat expiry and
 * subscribers, with change events for pushes and Distro. Synchronous and free of I/O and timers.
 *
 * When several clients publish the same ip:port in the same service and cluster, all
 * publications are kept (as in Nacos) but queries show one: the newest write (by version).
 */
export class Registry implements DistroRegistryView {
  private readonly catalog = new ServiceCatalog();
  private readonly clientTable = new ClientTable();
  private readonly writer = new PublicationWriter(this.clientTable);
  private readonly merger: ClientMerger;
  private readonly time = new TimeBase();
  private readonly liveness: Liveness;
  private readonly book = new SubscriberBook();
  private readonly emitter: TypedEmitter<RegistryEvents>;
  private readonly clock: () => number;
  /** Stamps every write this node accepts with a version comparable across nodes. */
  private readonly hlc: HybridClock;
  /** Source of service revisions: increasing across the registry, so never reused by a re-created service. */
  private sequence = 0;

  constructor(options: RegistryOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.hlc = new HybridClock(options.nodeId ?? 'local', this.clock);
    const onError =
      options.onListenerError ?? ((error, event) => console.error(`registry ${event} listener failed`, error));
    this.emitter = new TypedEmitter<RegistryEvents>((error, event) => onError(error, String(event)));
    this.merger = new ClientMerger(this.clientTable, this.catalog, this.writer, this.hlc);
    this.liveness = new Liveness(this.clientTable, this.writer, this.time, {
      unhealthyAfterMs: options.unhealthyAfterMs ?? 15_000,
      deleteAfterMs: options.deleteAfterMs ?? 30_000,
    });
  }

  /** serviceChanged / clientChanged, delivered synchronously after each operation completes. */
  get events(): EventSource<RegistryEvents> {
    return this.emitter;
  }

  /** This node's id, written beside the version of every write it accepts (its Distro member id). */
  get nodeId(): string {
    return this.hlc.node;
  }

  set nodeId(id: string) {
    this.hlc.node = id;
  }

  /** The hybrid logical clock stamping this node's writes (version.ts). */
  get versionClock(): HybridClock {
    return this.hlc;
  }

  // ---- local writes -------------------------------------------------------------------------

  /**
   * Runs the synchronous `writes` only if this node can still stamp them at or before `deadlineMs` (epoch
   * ms of the node that set it), with every version they take fixed before they begin: a process paused
   * anywhere inside them still stamps them as of that moment. A forwarded write is applied this way, so its
   * versions precede every write its sender may stamp once it stopped waiting and stood in. Throws
   * LateWriteError, having changed nothing, when the clock is already past the deadline.
   */
  writeBefore<T>(deadlineMs: number, writes: () => T): T {
    let result!: T;
    // Any version of the deadline's millisecond itself is still before it.
    const ran = this.hlc.holdingIfBefore(versionAt(deadlineMs + 1) - 1, () => {
      result = writes();
    });
    if (!ran) throw new LateWriteError(deadlineMs);
    return result;
  }

  /** Publishes one instance for a client (re-registering the same address updates it in place). */
  registerInstance(
    clientId: string,
    kind: ClientKind,
    key: ServiceKey,
    instance: InstanceInput,
    options: WriteOptions = {},
  ): boolean {
    const changes = this.localChanges();
    const client = this.localClient(clientId, kind, options, changes);
    const service = this.catalog.obtain(key);
    const beatAt = this.time.relative(options.now ?? this.clock());
    if (this.writer.upsert(client, service, instance, beatAt, changes)) this.writer.changedLocally(client, changes);
    return this.commit(changes);
  }

  /** Withdraws one instance of a client; an ip-port client left with nothing goes away. */
  deregisterInstance(clientId: string, key: ServiceKey, clusterName: string, ip: string, port: number): boolean {
    return this.batchDeregister(clientId, key, [{ clusterName, ip, port }]);
  }

  /**
   * Withdraws an ip-port client's instance whether or not this node holds it: the withdrawal is
   * recorded as a tombstone all the same. A node cut off from the one that took the registration
   * (or one that has not received it yet) answers a deregistration with success, and that answer must
   * hold when the registration reaches it later: the tombstone is newer, so it wins on every node.
   */
  withdrawIpPortInstance(clientId: string, key: ServiceKey, clusterName: string, ip: string, port: number): boolean {
    if (this.deregisterInstance(clientId, key, clusterName, ip, port)) return true;
    const changes = this.localChanges();
    const existed = this.clientTable.get(clientId) !== undefined;
    const client = this.clientTable.obtain(clientId, 'ipport');
    if (!existed) client.local = true;
    const cluster = clusterName || DEFAULT_CLUSTER;
    const version = changes.version();
    client.setTombstone(publicationKey(key.namespace, key.group, key.name, cluster, ip, port), {
      namespace: key.namespace,
      group: key.group,
      service: key.name,
      cluster,
      ip,
      port,
      version,
      writer: changes.writer,
    });
    this.writer.changedLocally(client, changes);
    this.writer.dropIfAbandoned(client, changes);
    return this.commit(changes);
  }

  /** Withdraws several instances of a client from one service, with one event. */
  batchDeregister(clientId: string, key: ServiceKey, addresses: readonly InstanceAddress[]): boolean {
    const client = this.clientTable.get(clientId);
    const service = this.catalog.find(key);
    if (client === undefined || service === undefined) return false;
    const changes = this.localChanges();
    for (const address of addresses) {
      const record = client.find(service, address.clusterName || DEFAULT_CLUSTER, address.ip, address.port);
      if (record !== undefined) this.writer.detach(client, record, changes);
    }
    if (changes.isEmpty) return false;
    this.writer.changedLocally(client, changes);
    this.writer.dropIfAbandoned(client, changes);
    return this.commit(changes);
  }

  /** Changes weight, health, enabled or metadata of a client's instance in place. */
  updateInstance(
    clientId: string,
    key: ServiceKey,
    clusterName: string,
    ip: string,
    port: number,
    patch: InstancePatch,
  ): boolean {
    const client = this.clientTable.get(clientId);
    const record = client && this.findRecord(client, key, clusterName, ip, port);
    if (client === undefined || record === undefined) return false;
    const next = record.patched(patch);
    if (next === record) return false;
    const changes = this.localChanges();
    this.writer.swap(client, record, next, changes);
    this.writer.changedLocally(client, changes);
    return this.commit(changes);
  }

  /** Makes `instances` the client's whole publication in one service (Nacos batch register). */
  batchRegister(
    clientId: string,
    kind: ClientKind,
    key: ServiceKey,
    instances: readonly InstanceInput[],
    options: WriteOptions = {},
  ): boolean {
    const changes = this.localChanges();
    const existed = this.clientTable.get(clientId) !== undefined;
    const client = this.localClient(clientId, kind, options, changes);
    const existing = this.catalog.find(key);
    if (existing === undefined && instances.length === 0) return this.dropIfNew(client, existed);
    const service = existing ?? this.catalog.obtain(key);
    const desired = instances.map((input) => ({ service, input }));
    return this.reconcileLocally(client, desired, service, options, changes, existed);
  }

  /** Makes `publications` everything the client publishes (sync tasks write this way). */
  replacePublications(
    clientId: string,
    kind: ClientKind,
    publications: readonly PublicationData[],
    options: WriteOptions = {},
  ): boolean {
    const changes = this.localChanges();
    const existed = this.clientTable.get(clientId) !== undefined;
    const client = this.localClient(clientId, kind, options, changes);
    return this.reconcileLocally(client, this.resolve(publications), undefined, options, changes, existed);
  }

  /** Removes a client and its instances (a gRPC connection closed, a sync task deleted). */
  removeClient(clientId: string): boolean {
    const client = this.clientTable.get(clientId);
    if (client === undefined) return false;
    const changes = this.localChanges();
    client.local = true;
    this.writer.drop(client, changes);
    return this.commit(changes);
  }

  /**
   * Makes this node the owner of a connection or sync client it may hold only as a replica (a new
   * writer took over a sync task): the client becomes local with a new revision, so Distro
   * replicates it with its new owner even when its publications did not change.
   */
  adoptClient(clientId: string, owner: string): boolean {
    const client = this.clientTable.get(clientId);
    if (client === undefined || (client.local && client.owner === owner)) return false;
    const changes = this.localChanges();
    client.setMeta(owner, client.expiresAt, changes.version(), changes.writer);
    this.writer.changedLocally(client, changes);
    return this.commit(changes);
  }

  // ---- Distro --------------------------------------------------------------------------------

  /** The client in replication form (publications, tombstones, floor, with their versions), live or removed; undefined if unknown. */
  exportClient(clientId: string): ClientSyncData | undefined {
    return this.clientTable.getAny(clientId)?.toSyncData();
  }

  /**
   * Merges peers' copies of clients into this node's, as one operation (each touched service
   * announced once). Per publication address the newest write wins — a publication or its
   * tombstone, compared by version and then writer id — and a floor removes everything of the
   * client at or below it; owner and expiry follow their own version. The merge is commutative,
   * associative and idempotent: nodes that have received the same copies, in any order and any
   * number of times, hold the same clients. Returns how many clients changed.
   */
  mergeClients(items: readonly ClientSyncData[], now: number = this.clock()): number {
    const changes = new ChangeSet();
    const beatAt = this.time.relative(now);
    let changed = 0;
    for (const data of items) {
      this.hlc.observe(data.revision);
      if (this.merger.merge(data, beatAt, changes)) changed++;
      const client = this.clientTable.get(data.clientId);
      if (client !== undefined && !client.local) this.liveness.renew(client, now);
    }
    this.commit(changes);
    return changed;
  }

  /**
   * Every client this node knows, live or removed (a ghost kept for its tombstones), for Distro's
   * verify digests and snapshots. Live read-only views: read them while iterating.
   */
  *replicatedClients(): IterableIterator<Readonly<ReplicatedClient>> {
    yield* this.clientTable.all();
    yield* this.clientTable.ghostClients();
  }

  /** One client, live or removed, for Distro; undefined if unknown. */
  replicatedClient(clientId: string): Readonly<ReplicatedClient> | undefined {
    return this.clientTable.getAny(clientId);
  }

  /**
   * Drops tombstones and floors whose version is older than `windowMs` before `now`, and the ghosts
   * left with nothing; returns how many tombstones and floors went. Past the window an older copy of
   * what they withdrew is no longer expected to arrive.
   */
  purgeHistory(now: number, windowMs: number): number {
    const horizon = versionAt(now - windowMs);
    let purged = 0;
    const sweep = (client: Client): void => {
      if (!client.hasHistory) return;
      for (const t of client.tombstoneList()) {
        if (t.version >= horizon) continue;
        client.clearTombstone(tombstoneKey(t));
        purged++;
      }
      if (client.floor !== 0 && client.floor < horizon) {
        client.clearFloor();
        purged++;
      }
    };
    for (const client of this.clientTable.all()) sweep(client);
    for (const ghost of [...this.clientTable.ghostClients()]) {
      sweep(ghost);
      if (!ghost.hasHistory) this.clientTable.forgetGhost(ghost);
    }
    return purged;
  }

  /** Tombstones (and floors) held, and removed clients kept for them, for metrics and the status endpoint. */
  historyCounts(): { tombstones: number; ghosts: number } {
    let tombstones = 0;
    for (const client of this.replicatedClients()) tombstones += client.tombstoneCount + (client.floor ? 1 : 0);
    return { tombstones, ghosts: this.clientTable.ghostCount };
  }

  /** Confirms a replica is still current (Distro verify); false if the client is unknown. */
  renewReplica(clientId: string, now: number): boolean {
    const client = this.clientTable.get(clientId);
    if (client === undefined) return false;
    this.liveness.renew(client, now);
    return true;
  }

  /**
   * Forgets connection and sync replicas nobody renewed within `ttlMs` (their owner is gone or cut
   * off; it sends them again if it is not), sparing those `keep` claims; returns their ids. Ip-port
   * clients are never expired this way: they leave by tombstones, which heartbeat expiry writes.
   */
  expireReplicas(now: number, ttlMs: number, keep?: (clientId: string) => boolean): string[] {
    const changes = new ChangeSet();
    const expired = this.liveness.expireReplicas(now, ttlMs, keep, changes);
    this.commit(changes);
    return expired;
  }

  /** Forgets a replica here without a tombstone (its owner no longer lists it); false if unknown or local. */
  forgetReplica(clientId: string): boolean {
    const client = this.clientTable.get(clientId);
    if (client === undefined || client.local) return false;
    const changes = new ChangeSet();
    this.writer.drop(client, changes);
    return this.commit(changes);
  }

  // ---- heartbeats and leases -----------------------------------------------------------------

  /** Records a heartbeat; false when the client does not publish that instance (caller may register it). */
  beat(clientId: string, key: ServiceKey, clusterName: string, ip: string, port: number, now: number): boolean {
    const client = this.clientTable.get(clientId);
    const record = client && this.findRecord(client, key, clusterName, ip, port);
    if (client === undefined || record === undefined) return false;
    const changes = this.localChanges();
    this.liveness.beat(client, record, now, changes);
    this.commit(changes);
    return true;
  }

  /**
   * Restarts the heartbeat clock of every instance of a client without counting as a beat (health
   * stays as it is): a node that has just become responsible for it judges it by its own next beat,
   * not by the age of a copy. False if unknown.
   */
  restartBeatClock(clientId: string, now: number): boolean {
    const client = this.clientTable.get(clientId);
    if (client === undefined) return false;
    const at = this.time.relative(now);
    for (const record of client.records()) record.beatAt = at;
    return true;
  }

  /** Marks silent ip-port instances unhealthy and removes dead ones, for clients this node is responsible for. */
  checkExpiry(now: number, isResponsible: (clientId: string) => boolean): ExpiryReport {
    const changes = this.localChanges();
    const report = this.liveness.checkExpiry(now, isResponsible, changes);
    this.commit(changes);
    return report;
  }

  /** Sets (or clears with undefined) the lease expiry of a client, in absolute ms; false if unknown. */
  setClientExpiry(clientId: string, expiresAt: number | undefined): boolean {
    const client = this.clientTable.get(clientId);
    if (client === undefined) return false;
    this.clientTable.setExpiry(client, expiresAt);
    return true;
  }

  /** Removes local clients whose lease expiry has passed; returns their ids. */
  expireClients(now: number): string[] {
    const changes = this.localChanges();
    const expired = this.liveness.expireLeased(now, changes);
    this.commit(changes);
    return expired;
  }

  // ---- queries -------------------------------------------------------------------------------

  /** Instances of a service merged across clients (one per cluster and ip:port), filtered. */
  listInstances(key: ServiceKey, options: ListInstancesOptions = {}): Instance[] {
    return this.catalog.find(key)?.instances(options) ?? [];
  }

  /** The instance listed at an address, or undefined. */
  getInstance(key: ServiceKey, clusterName: string, ip: string, port: number): Instance | undefined {
    return this.catalog
      .find(key)
      ?.cluster(clusterName || DEFAULT_CLUSTER)
      ?.get(ip, port);
  }

  /** What one client publishes at an address (which may not be the listed one), or undefined. */
  getPublication(
    clientId: string,
    key: ServiceKey,
    clusterName: string,
    ip: string,
    port: number,
  ): Instance | undefined {
    const client = this.clientTable.get(clientId);
    return client && this.findRecord(client, key, clusterName, ip, port);
  }

  /** Clusters, merged instance count and revision of a service, or undefined when it has no instances. */
  getService(key: ServiceKey): ServiceSummary | undefined {
    return this.catalog.find(key)?.summary();
  }

  /**
   * Whether a service holds ephemeral instances (true), persistent ones (false), or none
   * (undefined). Nacos keeps a service one or the other; the edges refuse a write that would mix
   * them, so one instance tells for all: O(1).
   */
  serviceEphemeral(key: ServiceKey): boolean | undefined {
    const service = this.catalog.find(key);
    return service?.anyRecord()?.ephemeral ?? service?.metadata?.ephemeral;
  }

  /** The stored metadata of a service (protect threshold, selector, metadata), or undefined. */
  serviceMetadata(key: ServiceKey): ServiceMetadata | undefined {
    return this.catalog.find(key)?.metadata;
  }

  /**
   * Sets (or, with undefined, clears) a service's stored metadata. A service with metadata is listed
   * even without instances; cleared, an empty service goes. A change is announced as a change of the
   * service (new revision, `serviceChanged`), since it changes what its lists answer. False when
   * nothing changed.
   */
  setServiceMetadata(key: ServiceKey, metadata: ServiceMetadata | undefined): boolean {
    const existing = this.catalog.find(key);
    if (metadata === undefined && existing === undefined) return false;
    const service = existing ?? this.catalog.obtain(key);
    if (sameMetadata(service.metadata, metadata)) return false;
    service.metadata = metadata;
    const changes = new ChangeSet();
    changes.touchService(service);
    return this.commit(changes);
  }

  /** Every publication of a service, listed or not, with the id of the client publishing it. */
  publishers(key: ServiceKey): Array<{ clientId: string; instance: Instance }> {
    const out: Array<{ clientId: string; instance: Instance }> = [];
    for (const cluster of this.catalog.find(key)?.clusters() ?? []) {
      for (const record of cluster.records()) out.push({ clientId: record.owner.id, instance: record });
    }
    return out;
  }

  /** One page of a namespace's services: ungrouped names within a group, grouped across all. */
  listServices(namespace: string, options: ListServicesOptions): ServicePage {
    return this.catalog.page(namespace, options.group, options.pageNo, options.pageSize);
  }

  /** Services matching three patterns in which `*` matches any run of characters. */
  listServicesMatching(namespacePattern: string, groupPattern: string, servicePattern: string): ServiceKey[] {
    return this.catalog.match(namespacePattern, groupPattern, servicePattern);
  }

  /** Every namespace named so far; always includes `public`. */
  namespaces(): string[] {
    return this.catalog.namespaceNames();
  }

  /**
   * Every client (local and replica), for Distro verify rounds, counts and the console. Each is a
   * live read-only view, not a copy (a status poll over 100,000 clients allocates nothing): read it
   * while iterating; `getClient` gives a snapshot to keep.
   */
  clients(): IterableIterator<Readonly<ClientInfo>> {
    return this.clientTable.all();
  }

  /** One client, or undefined. */
  getClient(clientId: string): ClientInfo | undefined {
    return this.clientTable.get(clientId)?.info();
  }

  /** Sizes for metrics. */
  counts(): RegistryCounts {
    return {
      namespaces: this.catalog.namespaceCount,
      services: this.catalog.serviceCount,
      instances: this.writer.instanceCount,
      clients: this.clientTable.size,
    };
  }

  // ---- subscribers (this node only) ----------------------------------------------------------

  /** Records that `subscriberId` watches a service; true when new. */
  subscribe(key: ServiceKey, subscriberId: string, info: unknown): boolean {
    this.catalog.namespace(key.namespace);
    return this.book.subscribe(key, subscriberId, info);
  }

  /** Drops one subscription; true when it existed. */
  unsubscribe(key: ServiceKey, subscriberId: string): boolean {
    return this.book.unsubscribe(key, subscriberId);
  }

  /** Subscriber id → info for a service. */
  subscribers(key: ServiceKey): ReadonlyMap<string, unknown> {
    return this.book.subscribers(key);
  }

  /** The services with a subscriber on this node. */
  subscribedServices(): ServiceKey[] {
    return this.book.services();
  }

  /** Subscriptions (subscriber × service) held on this node. */
  subscriptionCount(): number {
    return this.book.size;
  }

  /** The services one subscriber watches on this node. */
  subscriptionsOf(subscriberId: string): ServiceKey[] {
    return this.book.servicesOf(subscriberId);
  }

  /** Forgets a subscriber (a connection closed); returns the services it watched. */
  removeSubscriberEverywhere(subscriberId: string): ServiceKey[] {
    return this.book.removeEverywhere(subscriberId);
  }

  // ---- internals -----------------------------------------------------------------------------

  /** The change set of a write this node accepts: its changes are stamped with a new version. */
  private localChanges(): ChangeSet {
    return new ChangeSet(this.hlc);
  }

  private localClient(clientId: string, kind: ClientKind, options: WriteOptions, changes: ChangeSet): Client {
    const existed = this.clientTable.get(clientId) !== undefined;
    const client = this.clientTable.obtain(clientId, kind);
    if (!existed) client.local = true;
    if (options.owner !== undefined && (options.owner !== client.owner || client.metaVersion === 0)) {
      client.setMeta(options.owner, client.expiresAt, changes.version(), changes.writer);
      this.clientTable.setExpiry(client, client.expiresAt);
      // A new owner is a change of its own, replicated even when the publications stay the same.
      if (existed) this.writer.changedLocally(client, changes);
    }
    if (options.attributes !== undefined) client.setExtra('attributes', options.attributes);
    return client;
  }

  /** A client created by a write that turned out to publish nothing is not kept. */
  private dropIfNew(client: Client, existed: boolean): boolean {
    if (!existed && client.size === 0) this.clientTable.delete(client);
    return false;
  }

  private reconcileLocally(
    client: Client,
    desired: DesiredPublication[],
    scope: Service | undefined,
    options: WriteOptions,
    changes: ChangeSet,
    existed: boolean,
  ): boolean {
    const beatAt = this.time.relative(options.now ?? this.clock());
    if (this.writer.reconcile(client, desired, scope, beatAt, changes)) {
      this.writer.changedLocally(client, changes);
      this.writer.dropIfAbandoned(client, changes);
    } else {
      this.dropIfNew(client, existed);
    }
    return this.commit(changes);
  }

  private resolve(publications: readonly PublicationData[]): DesiredPublication[] {
    const desired: DesiredPublication[] = new Array<DesiredPublication>(publications.length);
    let last: Service | undefined;
    for (let i = 0; i < publications.length; i++) {
      const each = publications[i];
      // Consecutive publications mostly name the same service: compare before three lookups.
      if (
        last === undefined ||
        last.name !== each.service ||
        last.group !== each.group ||
        last.namespace !== each.namespace
      ) {
        last = this.catalog.obtain(serviceKey(each.namespace, each.group, each.service));
      }
      desired[i] = { service: last, input: each.instance };
    }
    return desired;
  }

  private findRecord(
    client: Client,
    key: ServiceKey,
    clusterName: string,
    ip: string,
    port: number,
  ): InstanceRecord | undefined {
    const service = this.catalog.find(key);
    return service && client.find(service, clusterName || DEFAULT_CLUSTER, ip, port);
  }

  /** Finishes an operation: new revisions, empty services dropped, then one event per service and client. */
  private commit(changes: ChangeSet): boolean {
    if (changes.isEmpty) return false;
    const services = [...changes.services];
    for (const service of services) {
      service.revision = ++this.sequence;
      if (service.publications === 0 && service.metadata === undefined) this.catalog.remove(service);
    }
    if (this.emitter.has('serviceChanged')) {
      for (const service of services) {
        this.emitter.emit('serviceChanged', { key: service.key(), revision: service.revision });
      }
    }
    if (this.emitter.has('clientChanged')) {
      for (const [client, removed] of changes.clients) {
        const { id: clientId, revision } = client;
        this.emitter.emit('clientChanged', { clientId, revision, removed, local: changes.local });
      }
    }
    return true;
  }
}

function sameMetadata(a: ServiceMetadata | undefined, b: ServiceMetadata | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.ephemeral === b.ephemeral &&
    a.protectThreshold === b.protectThreshold &&
    JSON.stringify(a.selector) === JSON.stringify(b.selector) &&
    JSON.stringify(Object.entries(a.metadata).sort()) === JSON.stringify(Object.entries(b.metadata).sort())
  );
}
