import { ServiceCatalog } from './catalog';
import type { Service } from './catalog';
import { ChangeSet } from './change-set';
import { ClientTable } from './client';
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
  ServicePage,
  ServiceSummary,
  WriteOptions,
} from './model';
import { PublicationWriter } from './publications';
import type { DesiredPublication } from './publications';
import { SubscriberBook } from './subscribers';

/**
 * The naming core: services, instances, the clients that own them, heartbeat expiry and
 * subscribers, with change events for pushes and Distro. Synchronous and free of I/O and timers.
 *
 * When several clients publish the same ip:port in the same service and cluster, all
 * publications are kept (as in Nacos) but queries show one: the most recently changed.
 */
export class Registry {
  private readonly catalog = new ServiceCatalog();
  private readonly clientTable = new ClientTable();
  private readonly writer = new PublicationWriter(this.clientTable);
  private readonly time = new TimeBase();
  private readonly liveness: Liveness;
  private readonly book = new SubscriberBook();
  private readonly emitter: TypedEmitter<RegistryEvents>;
  private readonly clock: () => number;
  /** Source of service revisions: increasing across the registry, so never reused by a re-created service. */
  private sequence = 0;

  constructor(options: RegistryOptions = {}) {
    this.clock = options.clock ?? Date.now;
    const onError =
      options.onListenerError ?? ((error, event) => console.error(`registry ${event} listener failed`, error));
    this.emitter = new TypedEmitter<RegistryEvents>((error, event) => onError(error, String(event)));
    this.liveness = new Liveness(this.clientTable, this.writer, this.time, {
      unhealthyAfterMs: options.unhealthyAfterMs ?? 15_000,
      deleteAfterMs: options.deleteAfterMs ?? 30_000,
    });
  }

  /** serviceChanged / clientChanged, delivered synchronously after each operation completes. */
  get events(): EventSource<RegistryEvents> {
    return this.emitter;
  }

  // ---- local writes -------------------------------------------------------------------------

  /** Publishes one instance for a client (re-registering the same address updates it in place). */
  registerInstance(
    clientId: string,
    kind: ClientKind,
    key: ServiceKey,
    instance: InstanceInput,
    options: WriteOptions = {},
  ): boolean {
    const client = this.localClient(clientId, kind, options);
    const service = this.catalog.obtain(key);
    const changes = new ChangeSet();
    const beatAt = this.time.relative(options.now ?? this.clock());
    if (this.writer.upsert(client, service, instance, beatAt, changes)) this.writer.changedLocally(client, changes);
    return this.commit(changes);
  }

  /** Withdraws one instance of a client; an ip-port client left with nothing goes away. */
  deregisterInstance(clientId: string, key: ServiceKey, clusterName: string, ip: string, port: number): boolean {
    return this.batchDeregister(clientId, key, [{ clusterName, ip, port }]);
  }

  /** Withdraws several instances of a client from one service, with one event. */
  batchDeregister(clientId: string, key: ServiceKey, addresses: readonly InstanceAddress[]): boolean {
    const client = this.clientTable.get(clientId);
    const service = this.catalog.find(key);
    if (client === undefined || service === undefined) return false;
    const changes = new ChangeSet();
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
    const changes = new ChangeSet();
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
    const client = this.localClient(clientId, kind, options);
    const existing = this.catalog.find(key);
    if (existing === undefined && instances.length === 0) return this.dropIfNew(client);
    const service = existing ?? this.catalog.obtain(key);
    const desired = instances.map((input) => ({ service, input }));
    return this.reconcileLocally(client, desired, service, options);
  }

  /** Makes `publications` everything the client publishes (sync tasks write this way). */
  replacePublications(
    clientId: string,
    kind: ClientKind,
    publications: readonly PublicationData[],
    options: WriteOptions = {},
  ): boolean {
    const client = this.localClient(clientId, kind, options);
    return this.reconcileLocally(client, this.resolve(publications), undefined, options);
  }

  /** Removes a client and its instances (a gRPC connection closed, a sync task deleted). */
  removeClient(clientId: string): boolean {
    const client = this.clientTable.get(clientId);
    if (client === undefined) return false;
    const changes = new ChangeSet();
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
    const changes = new ChangeSet();
    client.setExtra('owner', owner);
    this.writer.changedLocally(client, changes);
    return this.commit(changes);
  }

  // ---- Distro --------------------------------------------------------------------------------

  /** The client in replication form, or undefined if unknown. */
  exportClient(clientId: string): ClientSyncData | undefined {
    return this.clientTable.get(clientId)?.toSyncData();
  }

  /**
   * Replaces a client's publications by a peer's copy in one step (events only for services
   * whose content changed) and marks it a replica. Always applied, whatever the revision: a
   * client re-created on its owner restarts its revision, and refusing would pin a stale copy.
   */
  applyClientSync(data: ClientSyncData, now: number = this.clock()): boolean {
    return this.applyClientSyncs([data], now);
  }

  /**
   * Applies many peer copies as one operation (a Distro sync call): each client is replaced whole,
   * exactly as by applyClientSync, and each touched service is announced once rather than once per client.
   */
  applyClientSyncs(items: readonly ClientSyncData[], now: number = this.clock()): boolean {
    const changes = new ChangeSet();
    const beatAt = this.time.relative(now);
    for (const data of items) {
      const existed = this.clientTable.get(data.clientId) !== undefined;
      const client = this.clientTable.obtain(data.clientId, data.kind);
      const desired = this.resolve(data.publications ?? []);
      const changed = this.writer.reconcile(client, desired, undefined, beatAt, changes);
      const revision = Number(data.revision) || 0;
      if (changed || !existed || client.revision !== revision || client.local) changes.touchClient(client);
      client.revision = revision;
      client.local = false;
      client.setExtra('owner', data.owner);
      this.clientTable.setExpiry(client, data.expiresAt);
      this.liveness.renew(client, now);
    }
    return this.commit(changes);
  }

  /**
   * Takes a peer's copy of a client as this node's own change (a Distro handover): its publications
   * replace the client's, with fresh beats; the client becomes local and its revision moves past both
   * copies', so every peer takes it from here.
   */
  takeOverClient(data: ClientSyncData, now: number = this.clock()): boolean {
    const changes = new ChangeSet();
    const client = this.clientTable.obtain(data.clientId, data.kind);
    this.writer.reconcile(client, this.resolve(data.publications ?? []), undefined, this.time.relative(now), changes);
    client.revision = Math.max(client.revision, Number(data.revision) || 0);
    this.writer.changedLocally(client, changes);
    this.writer.dropIfAbandoned(client, changes);
    return this.commit(changes);
  }

  /** Removes a client because a peer deleted it; the event is not local, so it is not sent back. */
  applyClientRemoval(clientId: string): boolean {
    const client = this.clientTable.get(clientId);
    if (client === undefined) return false;
    const changes = new ChangeSet();
    client.local = false;
    this.writer.drop(client, changes);
    return this.commit(changes);
  }

  /**
   * Makes a client this node ran a replica again, because another node is now responsible for it
   * (an ip-port client written here while its responsible node was down). From now on it lives by
   * that node's Distro renewals, so it expires here if that node no longer has it. False when the
   * client is unknown or already a replica.
   */
  demoteToReplica(clientId: string, now: number = this.clock()): boolean {
    const client = this.clientTable.get(clientId);
    if (client === undefined || !client.local) return false;
    client.local = false;
    this.liveness.renew(client, now);
    return true;
  }

  /** Confirms a replica is still current (Distro verify); false if the client is unknown. */
  renewReplica(clientId: string, now: number): boolean {
    const client = this.clientTable.get(clientId);
    if (client === undefined) return false;
    this.liveness.renew(client, now);
    return true;
  }

  /** Removes replicas nobody renewed within `ttlMs`, sparing those `isResponsible` claims; returns their ids. */
  expireReplicas(now: number, ttlMs: number, isResponsible?: (clientId: string) => boolean): string[] {
    const changes = new ChangeSet();
    const expired = this.liveness.expireReplicas(now, ttlMs, isResponsible, changes);
    this.commit(changes);
    return expired;
  }

  // ---- heartbeats and leases -----------------------------------------------------------------

  /** Records a heartbeat; false when the client does not publish that instance (caller may register it). */
  beat(clientId: string, key: ServiceKey, clusterName: string, ip: string, port: number, now: number): boolean {
    const client = this.clientTable.get(clientId);
    const record = client && this.findRecord(client, key, clusterName, ip, port);
    if (client === undefined || record === undefined) return false;
    const changes = new ChangeSet();
    this.liveness.beat(client, record, now, changes);
    this.commit(changes);
    return true;
  }

  /** Marks silent ip-port instances unhealthy and removes dead ones, for clients this node is responsible for. */
  checkExpiry(now: number, isResponsible: (clientId: string) => boolean): ExpiryReport {
    const changes = new ChangeSet();
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
    const changes = new ChangeSet();
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

  /** Forgets a subscriber (a connection closed); returns the services it watched. */
  removeSubscriberEverywhere(subscriberId: string): ServiceKey[] {
    return this.book.removeEverywhere(subscriberId);
  }

  // ---- internals -----------------------------------------------------------------------------

  private localClient(clientId: string, kind: ClientKind, options: WriteOptions): Client {
    const client = this.clientTable.obtain(clientId, kind);
    if (options.owner !== undefined) client.setExtra('owner', options.owner);
    if (options.attributes !== undefined) client.setExtra('attributes', options.attributes);
    return client;
  }

  /** A client created by a write that turned out to publish nothing is not kept. */
  private dropIfNew(client: Client): boolean {
    if (client.revision === 0 && client.size === 0 && client.local) this.clientTable.delete(client);
    return false;
  }

  private reconcileLocally(
    client: Client,
    desired: DesiredPublication[],
    scope: Service | undefined,
    options: WriteOptions,
  ): boolean {
    const changes = new ChangeSet();
    const beatAt = this.time.relative(options.now ?? this.clock());
    if (this.writer.reconcile(client, desired, scope, beatAt, changes)) {
      this.writer.changedLocally(client, changes);
      this.writer.dropIfAbandoned(client, changes);
    } else {
      this.dropIfNew(client);
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
      if (service.publications === 0) this.catalog.remove(service);
    }
    if (this.emitter.has('serviceChanged')) {
      for (const service of services) {
        this.emitter.emit('serviceChanged', { key: service.key(), revision: service.revision });
      }
    }
    if (this.emitter.has('clientChanged')) {
      for (const [client, removed] of changes.clients) {
        const { id: clientId, revision, local } = client;
        this.emitter.emit('clientChanged', { clientId, revision, removed, local });
      }
    }
    return true;
  }
}
