import { Logger } from '@nestjs/common';
import * as grpc from '@grpc/grpc-js';
import { secretsEqual } from '@/common/secret-compare';
import type { ClusterRouting } from '@/routing/cluster-routing';
import { registryProto, serviceClient } from '@/common/protos';
import { formatServiceKey, serviceKey } from '@/registry';
import type { Instance, InstanceAddress, PublicationData, NamingRegistry, ServiceKey } from '@/registry';
import { PersistentCopyConflict } from '@/persistent/persistent-copies';
import type { PersistentCopies } from '@/persistent/persistent-copies';
import { PersistentStoreError } from '@/persistent/persistent-store-error';
import { RegistryApiError, invalidArgument, publicationsOf, selectorOf, taskIdOf, ttlOf } from './registry-api.input';
import type { SelectorMatcher } from './registry-api.input';
import { syncClientId } from './registry-api.types';
import type {
  ListRequest,
  ListResponse,
  PublishRequest,
  PublishResponse,
  RegistryInstance,
  RenewRequest,
  RenewResponse,
  ServiceSnapshot,
  WatchEvent,
  WatchRequest,
  WithdrawRequest,
  WithdrawResponse,
} from './registry-api.types';

export interface RegistryApiOptions {
  /** Bearer token every call must carry; undefined = open. */
  token?: string;
  defaultTtlMs: number;
  maxTtlMs: number;
  maxPublications: number;
  maxWatches: number;
}

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;
/** A watcher this many events behind is cut off (RESOURCE_EXHAUSTED) rather than buffered without end. */
const MAX_WATCH_BACKLOG = 10_000;

function wireInstance(instance: Instance | PublicationData['instance']): RegistryInstance {
  return {
    ip: instance.ip,
    port: instance.port,
    weight: instance.weight ?? 1,
    healthy: instance.healthy ?? true,
    enabled: instance.enabled ?? true,
    cluster_name: instance.clusterName ?? 'DEFAULT',
    metadata: { ...(instance.metadata ?? {}) },
    instance_id: instance.instanceId ?? '',
    persistent: instance.ephemeral === false,
  };
}

/** What the registry API needs of the region's persistent copies (src/persistent). */
export type RegistryApiPersistence = Pick<
  PersistentCopies,
  'check' | 'list' | 'upsert' | 'remove' | 'withdrawAll' | 'withdrawOthers'
>;

/** Publications grouped by service, in the order their services first come. */
function byService(publications: readonly PublicationData[]): Array<{ key: ServiceKey; items: PublicationData[] }> {
  const out = new Map<string, { key: ServiceKey; items: PublicationData[] }>();
  for (const each of publications) {
    const key = serviceKey(each.namespace, each.group, each.service);
    const id = formatServiceKey(key);
    const entry = out.get(id) ?? { key, items: [] };
    entry.items.push(each);
    out.set(id, entry);
  }
  return [...out.values()];
}

function publicationId(p: PublicationData): string {
  const key = serviceKey(p.namespace, p.group, p.service);
  return `${formatServiceKey(key)}#${p.instance.clusterName}|${p.instance.ip}:${p.instance.port}`;
}

function addressOf(p: PublicationData): InstanceAddress {
  return { ip: p.instance.ip, port: p.instance.port, clusterName: p.instance.clusterName };
}

/**
 * The registry API sync tasks write through: one sync client per task (`sync:<taskId>`) whose
 * instances live as long as its lease, and the task's persistent copies (`persistent`: persistent
 * instances of the region, in its database, marked with the task's id). Handlers validate, make the
 * registry (and, for persistent copies, database) calls and map them. Without `persistent` (a bare
 * server, in benchmarks) a persistent publication is refused.
 */
export class RegistryApiService {
  private readonly logger = new Logger(RegistryApiService.name);
  private watches = 0;
  /** Each method's request decoder from the .proto, applied in the handler once the token is checked. */
  private readonly decoders = new Map<string, (bytes: Buffer) => unknown>();

  constructor(
    private readonly registry: NamingRegistry,
    private readonly routing: ClusterRouting,
    private readonly options: RegistryApiOptions,
    private readonly clock: () => number = Date.now,
    private readonly persistent?: RegistryApiPersistence,
  ) {}

  /**
   * The service definition for `grpc.Server.addService`, with requests taken as raw bytes: grpc-js
   * would decode them before the handler runs and answer undecodable ones with a bare INTERNAL.
   * Here the handler checks the token first and only then decodes (INVALID_ARGUMENT when it cannot).
   */
  definition(): grpc.ServiceDefinition {
    const proto = serviceClient(registryProto(), 'registry.v1.RegistryService').service;
    const raw: Record<string, grpc.MethodDefinition<Buffer, unknown>> = {};
    for (const [name, method] of Object.entries(proto)) {
      this.decoders.set(name, method.requestDeserialize);
      raw[name] = { ...method, requestDeserialize: (bytes: Buffer) => bytes };
    }
    return raw;
  }

  /** Implementation map for `grpc.Server.addService` with `definition()`. */
  handlers(): grpc.UntypedServiceImplementation {
    return {
      Publish: this.unary('Publish', (request: PublishRequest) => this.publish(request)),
      Renew: this.unary('Renew', (request: RenewRequest) => this.renew(request)),
      Withdraw: this.unary('Withdraw', (request: WithdrawRequest) => this.withdraw(request)),
      List: this.unary('List', (request: ListRequest) => this.list(request)),
      Watch: (call: grpc.ServerWritableStream<Buffer, WatchEvent>) => this.watch(call),
    };
  }

  async publish(request: PublishRequest): Promise<PublishResponse> {
    const taskId = taskIdOf(request.task_id);
    const publications = publicationsOf(request.publications, this.options.maxPublications);
    const ttlMs = ttlOf(request.ttl_ms, this.options.defaultTtlMs, this.options.maxTtlMs);
    const persistent = publications.filter((p) => p.instance.ephemeral === false);
    const ephemeral = publications.filter((p) => p.instance.ephemeral !== false);
    if (persistent.length > 0 && this.persistent === undefined) {
      invalidArgument('publications', 'this server keeps no persistent copies');
    }
    // A refused call changes nothing: every persistent publication is checked before any write.
    for (const { key, items } of byService(persistent)) {
      this.persistent!.check(
        taskId,
        key,
        items.map((p) => p.instance),
      );
    }
    const clientId = syncClientId(taskId);
    const now = this.clock();
    const options = { owner: this.routing.selfId(), now };
    // A writer on another node (or a new writer after a failover) takes the client over, so Distro
    // replicates the new owner even when the publications themselves do not change.
    this.registry.adoptClient(clientId, options.owner);
    if (request.replace) {
      this.registry.replacePublications(clientId, 'sync', ephemeral, options);
    } else {
      for (const each of ephemeral) {
        const key = serviceKey(each.namespace, each.group, each.service);
        this.registry.registerInstance(clientId, 'sync', key, each.instance, options);
      }
    }
    const expiresAt = now + ttlMs;
    this.registry.setClientExpiry(clientId, expiresAt);
    if (this.persistent !== undefined) await this.publishPersistent(taskId, ephemeral, persistent, request.replace);
    const client = this.registry.getClient(clientId);
    return {
      client_id: clientId,
      revision: client?.revision ?? 0,
      expires_at_ms: client === undefined ? 0 : expiresAt,
      publication_count: client?.publicationCount ?? 0,
    };
  }

  /**
   * The persistent side of a publish: a copy that changed kind leaves the other side first (the
   * task's persistent copy at an ephemeral publication's address, the sync client's ephemeral one
   * at a persistent publication's), then the persistent copies are written per service; with
   * `replace`, the task's persistent copies not published go.
   */
  private async publishPersistent(
    taskId: string,
    ephemeral: readonly PublicationData[],
    persistent: readonly PublicationData[],
    replace: boolean,
  ): Promise<void> {
    const store = this.persistent!;
    for (const { key, items } of byService(ephemeral)) await store.remove(taskId, key, items.map(addressOf));
    for (const { key, items } of byService(persistent)) {
      this.registry.batchDeregister(syncClientId(taskId), key, items.map(addressOf));
      await store.upsert(
        taskId,
        key,
        items.map((p) => p.instance),
      );
    }
    if (!replace) return;
    const kept = new Set(persistent.map((p) => publicationId(p)));
    await store.withdrawOthers(taskId, (key, a) =>
      kept.has(`${formatServiceKey(key)}#${a.clusterName}|${a.ip}:${a.port}`),
    );
  }

  renew(request: RenewRequest): RenewResponse {
    const clientId = syncClientId(taskIdOf(request.task_id));
    const ttlMs = ttlOf(request.ttl_ms, this.options.defaultTtlMs, this.options.maxTtlMs);
    const expiresAt = this.clock() + ttlMs;
    // Renewing through this node makes it the owner: only local clients' leases are enforced here.
    this.registry.adoptClient(clientId, this.routing.selfId());
    if (!this.registry.setClientExpiry(clientId, expiresAt)) {
      throw new RegistryApiError(grpc.status.NOT_FOUND, `${clientId} is unknown (expired or never published)`);
    }
    return { client_id: clientId, expires_at_ms: expiresAt };
  }

  async withdraw(request: WithdrawRequest): Promise<WithdrawResponse> {
    const taskId = taskIdOf(request.task_id);
    const clientId = syncClientId(taskId);
    const before = this.registry.getClient(clientId)?.publicationCount ?? 0;
    if (request.all) {
      this.registry.removeClient(clientId);
      return { removed: before + ((await this.persistent?.withdrawAll(taskId)) ?? 0) };
    }
    const publications = publicationsOf(request.publications, this.options.maxPublications);
    if (publications.length === 0) invalidArgument('publications', 'name at least one instance, or set all');
    let persistent = 0;
    for (const { key, items } of byService(publications)) {
      this.registry.batchDeregister(clientId, key, items.map(addressOf));
      persistent += (await this.persistent?.remove(taskId, key, items.map(addressOf))) ?? 0;
    }
    return { removed: before - (this.registry.getClient(clientId)?.publicationCount ?? 0) + persistent };
  }

  list(request: ListRequest): ListResponse {
    const selector = selectorOf(request.selector);
    const pageSize = request.page_size || DEFAULT_PAGE_SIZE;
    if (pageSize > MAX_PAGE_SIZE) invalidArgument('page_size', `must be at most ${MAX_PAGE_SIZE}`);
    const after = this.decodeToken(request.page_token);
    const services = request.task_id ? this.publishedBy(taskIdOf(request.task_id), selector) : this.matching(selector);
    const sorted = [...services.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const start = after === undefined ? 0 : sorted.findIndex(([id]) => id > after);
    const page = start < 0 ? [] : sorted.slice(start, start + pageSize);
    const more = start >= 0 && start + pageSize < sorted.length;
    return {
      services: page.map(([, snapshot]) => snapshot()),
      next_page_token: more ? Buffer.from(page[page.length - 1][0]).toString('base64url') : '',
    };
  }

  watch(call: grpc.ServerWritableStream<Buffer, WatchEvent>): void {
    let selector: SelectorMatcher;
    try {
      this.authenticate(call.metadata);
      selector = selectorOf(this.decode<WatchRequest>('Watch', call.request).selector);
      if (this.watches >= this.options.maxWatches) {
        throw new RegistryApiError(
          grpc.status.RESOURCE_EXHAUSTED,
          `more than ${this.options.maxWatches} watches (REGISTRY_API_MAX_WATCHES)`,
        );
      }
    } catch (err) {
      call.emit('error', this.toStatus(err));
      return;
    }
    this.watches++;
    let open = true;
    const stop = (): void => {
      if (!open) return;
      open = false;
      this.watches--;
      off();
    };
    const send = (key: ServiceKey, snapshot: boolean): void => {
      if (!open) return;
      if (call.writableLength > MAX_WATCH_BACKLOG) {
        stop();
        call.emit('error', this.toStatus(new RegistryApiError(grpc.status.RESOURCE_EXHAUSTED, 'watcher is too slow')));
        return;
      }
      call.write({ service: this.snapshot(key), snapshot });
    };
    // Subscribe before the snapshots so nothing between them is lost; events are synchronous.
    const off = this.registry.events.on('serviceChanged', ({ key }) => {
      if (selector.matches(key.namespace, key.group, key.name)) send(key, false);
    });
    for (const key of this.registry.listServicesMatching(selector.namespace, selector.group, selector.service)) {
      send(key, true);
    }
    call.on('cancelled', stop);
    call.on('close', stop);
    call.on('error', stop);
  }

  private matching(selector: SelectorMatcher): Map<string, () => ServiceSnapshot> {
    const out = new Map<string, () => ServiceSnapshot>();
    for (const key of this.registry.listServicesMatching(selector.namespace, selector.group, selector.service)) {
      out.set(formatServiceKey(key), () => this.snapshot(key));
    }
    return out;
  }

  private publishedBy(taskId: string, selector: SelectorMatcher): Map<string, () => ServiceSnapshot> {
    const byService = new Map<string, { key: ServiceKey; instances: RegistryInstance[] }>();
    const add = (key: ServiceKey, instance: RegistryInstance): void => {
      const id = formatServiceKey(key);
      const entry = byService.get(id) ?? { key, instances: [] };
      entry.instances.push(instance);
      byService.set(id, entry);
    };
    for (const each of this.registry.exportClient(syncClientId(taskId))?.publications ?? []) {
      if (!selector.matches(each.namespace, each.group, each.service)) continue;
      add(serviceKey(each.namespace, each.group, each.service), wireInstance(each.instance));
    }
    for (const { key, instance } of this.persistent?.list(
      taskId,
      selector.namespace,
      selector.group,
      selector.service,
    ) ?? []) {
      if (selector.matches(key.namespace, key.group, key.name)) add(key, wireInstance(instance));
    }
    const out = new Map<string, () => ServiceSnapshot>();
    for (const [id, { key, instances }] of byService) {
      out.set(id, () => ({
        namespace: key.namespace,
        group: key.group,
        service: key.name,
        revision: this.registry.getService(key)?.revision ?? 0,
        instances,
      }));
    }
    return out;
  }

  private snapshot(key: ServiceKey): ServiceSnapshot {
    return {
      namespace: key.namespace,
      group: key.group,
      service: key.name,
      revision: this.registry.getService(key)?.revision ?? 0,
      instances: this.registry.listInstances(key).map(wireInstance),
    };
  }

  private decodeToken(token: string | undefined): string | undefined {
    if (!token) return undefined;
    if (token.length > 2048) invalidArgument('page_token', 'is not a token this server issued');
    return Buffer.from(token, 'base64url').toString('utf8');
  }

  /** Checks the bearer token, then that Distro has loaded its snapshot (writes before it could be lost). */
  private authenticate(metadata: grpc.Metadata): void {
    this.checkToken(metadata);
    if (!this.routing.initialized()) {
      throw new RegistryApiError(grpc.status.UNAVAILABLE, 'Distro protocol is not initialized: retry shortly');
    }
  }

  private checkToken(metadata: grpc.Metadata): void {
    const token = this.options.token;
    if (token === undefined) return;
    const header = metadata.get('authorization')[0];
    const presented = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!secretsEqual(presented, token)) {
      throw new RegistryApiError(grpc.status.UNAUTHENTICATED, 'missing or wrong bearer token');
    }
  }

  private unary<Req, Res>(
    method: string,
    handle: (request: Req) => Res | Promise<Res>,
  ): grpc.handleUnaryCall<Buffer, Res> {
    return (call, callback) => {
      new Promise<Res>((resolve) => {
        this.authenticate(call.metadata);
        resolve(handle(this.decode<Req>(method, call.request)));
      }).then(
        (response) => callback(null, response),
        (err: unknown) => callback(this.toStatus(err)),
      );
    };
  }

  /** The request of `method` from its bytes; INVALID_ARGUMENT when they are not that message. */
  private decode<Req>(method: string, bytes: Buffer): Req {
    const decoder = this.decoders.get(method);
    if (decoder === undefined) throw new Error(`registry API: no decoder for ${method} (definition() not used?)`);
    try {
      return decoder(bytes) as Req;
    } catch {
      throw new RegistryApiError(grpc.status.INVALID_ARGUMENT, `request: not a valid ${method}Request message`);
    }
  }

  private toStatus(err: unknown): Partial<grpc.StatusObject> {
    if (err instanceof RegistryApiError) return { code: err.code, details: err.message };
    // Refused for what it is (retrying cannot help): the task keeps that copy out on its own.
    if (err instanceof PersistentCopyConflict) return { code: grpc.status.INVALID_ARGUMENT, details: err.message };
    // The region's database did not take a persistent copy: nothing is acknowledged, retry.
    if (err instanceof PersistentStoreError) {
      const code = err.kind === 'invalid' ? grpc.status.INVALID_ARGUMENT : grpc.status.UNAVAILABLE;
      return { code, details: err.message };
    }
    this.logger.error({ err }, 'registry API call failed');
    return { code: grpc.status.INTERNAL, details: 'internal error' };
  }
}
