import { NacosNamingClient } from './nacos-grpc-client';
import { DEFAULT_CLUSTER, DEFAULT_GROUP, formatServiceKey } from '@/registry';
import type { ServiceKey } from '@/registry';
import type { CopyRecord, TaskSelector } from '../reconcile/copy-plan';
import { SYNC_TASK_KEY, copyId, copyInstance, isPersistentCopy, persistence, sameCopy } from '../reconcile/copy-plan';
import { grpcAddresses, httpAddresses } from './cluster-addresses';
import { NacosGrpcSource } from './nacos-grpc-source';
import { NacosServiceListing } from './nacos-service-listing';
import { NacosPersistentWriter } from './nacos-persistent-writer';
import { NacosV1Client } from './nacos-v1-client';
import { timedCheck } from './registry-endpoint';
import type { ReachabilityReport } from './registry-endpoint';
import type { ServiceSnapshot, SourceRegistry, SourceWatch } from './source-registry';
import type { CopyOwner, RenewOutcome, ServiceCopies, TargetRegistry } from './target-registry';

export interface NacosClusterSettings {
  addresses: readonly string[];
  /** The namespace this cluster is used in: copies go there, and a source reads it when the server lists no namespaces. */
  namespace: string;
  username?: string;
  password?: string;
  /** How often a source watch lists the services again (SYNC_NACOS_RELIST_MS). Default 5000. */
  relistIntervalMs?: number;
  /** Calls in flight at once per task for reads and subscriptions. Default 8. */
  concurrency?: number;
}

/** Services per page when this adapter lists a group itself (a withdrawal's search for persistent copies). */
const PAGE_SIZE = 500;

/**
 * A Nacos 2.x/3.x cluster over the Nacos gRPC client protocol. As a source (NacosGrpcSource) it
 * lists the matching services of every matching namespace and group — per group over gRPC, across
 * groups and namespaces over the HTTP console APIs (NacosServiceListing) — and subscribes to each;
 * as a target it registers each service's ephemeral copies with one batch registration on its own
 * connection, so they live as long as the connection, and each persistent copy as a Nacos
 * persistent instance (NacosPersistentWriter), which the server keeps until the task deregisters it.
 */
export class NacosRegistryAdapter implements SourceRegistry, TargetRegistry {
  private readonly client: NacosNamingClient;
  private readonly source: NacosGrpcSource;
  /** Connections reading namespaces other than the cluster's, one per namespace ({@link reader}). */
  private readonly readers = new Map<string, NacosNamingClient>();
  private readonly persistent: NacosPersistentWriter;
  /** Services this adapter wrote copies into, to list them back for drift repair. */
  private readonly written = new Map<string, ServiceKey>();
  /** Services where this adapter keeps persistent copies (read before each write of them). */
  private readonly persistentIn = new Set<string>();

  constructor(private readonly settings: NacosClusterSettings) {
    this.client = new NacosNamingClient({
      servers: grpcAddresses(settings.addresses),
      namespace: settings.namespace,
      username: settings.username,
      password: settings.password,
    });
    const http = new NacosV1Client({
      addresses: httpAddresses(settings.addresses),
      username: settings.username,
      password: settings.password,
    });
    const listing = new NacosServiceListing(
      http,
      async (namespace, group, pageNo, pageSize) => {
        const page = await this.client.listServices({ namespace, group, pageNo, pageSize });
        // Some Nacos 2.x servers answer grouped names (`group@@name`).
        return { count: page.count, names: page.serviceNames.map(ungrouped) };
      },
      settings.namespace,
    );
    this.source = new NacosGrpcSource((namespace) => this.reader(namespace), listing, {
      relistIntervalMs: settings.relistIntervalMs,
      concurrency: settings.concurrency,
    });
    this.persistent = new NacosPersistentWriter(this.client, () => http);
  }

  snapshot(selector: TaskSelector): Promise<ServiceSnapshot[]> {
    return this.source.snapshot(selector);
  }

  watch(selector: TaskSelector, onService: (s: ServiceSnapshot) => void, onError: (err: Error) => void): SourceWatch {
    return this.source.watch(selector, onService, onError);
  }

  async applyCopies(owner: CopyOwner, services: ServiceCopies[]): Promise<void> {
    for (const service of services) {
      this.requireNamespace(service.key);
      await this.applyService(owner, service);
    }
  }

  /**
   * One service, from what the target holds of the task there now (so a holder that took the task
   * over finds its predecessor's persistent copies): persistent copies no longer wanted as such go,
   * then the ephemeral set is registered (a copy turned persistent leaves it), then the persistent
   * copies that differ are registered — Nacos keeps a service one kind or the other, so a kind
   * change must leave the old kind first.
   */
  private async applyService(owner: CopyOwner, { key, copies, removed }: ServiceCopies): Promise<void> {
    const sid = formatServiceKey(key);
    // Read only where persistent copies may be: a service this holder has not written yet (a
    // predecessor's may be there), or one with persistent copies wanted, removed or written before.
    const read =
      !this.written.has(sid) ||
      this.persistentIn.has(sid) ||
      copies.some(isPersistentCopy) ||
      removed.some(isPersistentCopy);
    const held = read ? await this.taskCopiesIn(key, owner.taskId) : [];
    const wanted = new Map(copies.map((c) => [copyId(c), c]));
    for (const h of held) {
      if (isPersistentCopy(h) && !isPersistentCopy(wanted.get(copyId(h)) ?? {}))
        await this.persistent.deregister(key, h);
    }
    const ephemeral = copies.filter((c) => !isPersistentCopy(c));
    if (ephemeral.length > 0) {
      await this.client.batchRegister(key.name, ephemeral.map(copyInstance), { group: key.group });
    } else {
      // No ephemeral copy wanted here any more: the ones the ledger removed and any still listed go.
      const gone = new Map([...removed, ...held].filter((c) => !isPersistentCopy(c)).map((c) => [copyId(c), c]));
      for (const c of gone.values()) await this.client.deregister(key.name, copyInstance(c), { group: key.group });
    }
    const current = new Map(held.filter(isPersistentCopy).map((h) => [copyId(h), h]));
    for (const c of copies.filter(isPersistentCopy)) {
      const had = current.get(copyId(c));
      if (had === undefined || !sameCopy(had, c)) await this.persistent.register(key, c);
    }
    if (copies.length > 0) this.written.set(sid, key);
    if (copies.some(isPersistentCopy)) this.persistentIn.add(sid);
    else this.persistentIn.delete(sid);
  }

  /** Copies are bound to this connection, which the client keeps alive itself: nothing to renew. */
  renewCopies(): Promise<RenewOutcome> {
    return Promise.resolve({ present: this.client.server !== undefined });
  }

  /**
   * Ephemeral copies go with their connection or are deregistered from it; persistent ones are the
   * server's, so besides the services this holder wrote, the services of the default group and of
   * the groups it knows are read for the task's persistent copies (a holder that took a deletion
   * over knows nothing yet).
   */
  async withdrawCopies(owner: CopyOwner): Promise<void> {
    const keys = new Map(this.written);
    for (const group of new Set([DEFAULT_GROUP, ...[...this.written.values()].map((k) => k.group)])) {
      for (const name of await this.serviceNames(group)) {
        const key = { namespace: this.settings.namespace, group, name };
        keys.set(formatServiceKey(key), key);
      }
    }
    for (const key of keys.values()) {
      for (const c of await this.taskCopiesIn(key, owner.taskId)) {
        if (isPersistentCopy(c)) await this.persistent.deregister(key, c);
        else await this.client.deregister(key.name, copyInstance(c), { group: key.group });
      }
    }
  }

  async listCopies(owner: CopyOwner): Promise<CopyRecord[]> {
    const out: CopyRecord[] = [];
    for (const key of this.written.values()) out.push(...(await this.taskCopiesIn(key, owner.taskId)));
    return out;
  }

  /** The task's copies in one service as the target lists them now. */
  private async taskCopiesIn(key: ServiceKey, taskId: string): Promise<CopyRecord[]> {
    const info = await this.client.query(key.name, { group: key.group });
    return info.hosts
      .filter((h) => h.metadata?.[SYNC_TASK_KEY] === taskId)
      .map((h) => ({
        namespace: key.namespace,
        groupName: key.group,
        serviceName: key.name,
        clusterName: h.clusterName || DEFAULT_CLUSTER,
        ip: h.ip,
        port: h.port,
        weight: h.weight,
        healthy: h.healthy,
        enabled: h.enabled,
        metadata: { ...(h.metadata ?? {}) },
        ...persistence(h.ephemeral),
      }));
  }

  check(): Promise<ReachabilityReport> {
    return timedCheck(async () => {
      await this.client.connect();
      await this.client.listServices({ pageSize: 1 });
      return { version: `nacos gRPC via ${this.client.server}`, protocol: 'grpc' };
    });
  }

  close(): Promise<void> {
    this.client.close();
    for (const reader of this.readers.values()) reader.close();
    this.readers.clear();
    return Promise.resolve();
  }

  /** Every service name of one group of the cluster's namespace. */
  private async serviceNames(group: string): Promise<string[]> {
    const names: string[] = [];
    for (let pageNo = 1; ; pageNo++) {
      const page = await this.client.listServices({ group, pageNo, pageSize: PAGE_SIZE });
      names.push(...page.serviceNames.map(ungrouped));
      if (page.serviceNames.length < PAGE_SIZE || pageNo * PAGE_SIZE >= page.count) return names;
    }
  }

  /**
   * The connection a source reads `namespace` on: the cluster's own for its namespace, else one per
   * namespace, as the Nacos SDKs keep one client per namespace. Nacos 2.x pushes a service's state
   * (NotifySubscriberRequest) without its namespace: on one shared connection, a push of `dev`'s
   * `DEFAULT_GROUP@@orders` would be taken for `public`'s, copying dev's instances as public's.
   */
  private reader(namespace: string): NacosNamingClient {
    if (namespace === this.settings.namespace) return this.client;
    let reader = this.readers.get(namespace);
    if (reader === undefined) {
      reader = new NacosNamingClient({
        servers: grpcAddresses(this.settings.addresses),
        namespace,
        username: this.settings.username,
        password: this.settings.password,
      });
      this.readers.set(namespace, reader);
    }
    return reader;
  }

  private requireNamespace(key: ServiceKey): void {
    if (key.namespace !== this.settings.namespace) {
      throw new Error(`this nacos cluster is used in namespace ${this.settings.namespace}, not ${key.namespace}`);
    }
  }
}

function ungrouped(name: string): string {
  const at = name.indexOf('@@');
  return at < 0 ? name : name.slice(at + 2);
}
