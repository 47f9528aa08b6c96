import { NacosNamingClient } from './nacos-grpc-client';
import { DEFAULT_CLUSTER, formatServiceKey } from '@/registry';
import type { ServiceKey } from '@/registry';
import type { CopyRecord, TaskSelector } from '../reconcile/copy-plan';
import { SYNC_TASK_KEY, copyInstance } from '../reconcile/copy-plan';
import { grpcAddresses, httpAddresses } from './cluster-addresses';
import { NacosGrpcSource } from './nacos-grpc-source';
import { NacosServiceListing } from './nacos-service-listing';
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

/**
 * A Nacos 2.x/3.x cluster over the Nacos gRPC client protocol. As a source (NacosGrpcSource) it
 * lists the matching services of every matching namespace and group — per group over gRPC, across
 * groups and namespaces over the HTTP console APIs (NacosServiceListing) — and subscribes to each;
 * as a target it registers each service's copies with one batch registration on its own
 * connection, so the copies are ephemeral in Nacos: they live as long as the connection.
 */
export class NacosRegistryAdapter implements SourceRegistry, TargetRegistry {
  private readonly client: NacosNamingClient;
  private readonly source: NacosGrpcSource;
  /** Connections reading namespaces other than the cluster's, one per namespace ({@link reader}). */
  private readonly readers = new Map<string, NacosNamingClient>();
  /** Services this adapter wrote copies into, to list them back for drift repair. */
  private readonly written = new Map<string, ServiceKey>();

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
  }

  snapshot(selector: TaskSelector): Promise<ServiceSnapshot[]> {
    return this.source.snapshot(selector);
  }

  watch(selector: TaskSelector, onService: (s: ServiceSnapshot) => void, onError: (err: Error) => void): SourceWatch {
    return this.source.watch(selector, onService, onError);
  }

  async applyCopies(_owner: CopyOwner, services: ServiceCopies[]): Promise<void> {
    for (const { key, copies, removed } of services) {
      this.requireNamespace(key);
      if (copies.length > 0) {
        await this.client.batchRegister(key.name, copies.map(copyInstance), { group: key.group });
        this.written.set(formatServiceKey(key), key);
      } else {
        for (const c of removed) await this.client.deregister(key.name, copyInstance(c), { group: key.group });
      }
    }
  }

  /** Copies are bound to this connection, which the client keeps alive itself: nothing to renew. */
  renewCopies(): Promise<RenewOutcome> {
    return Promise.resolve({ present: this.client.server !== undefined });
  }

  async withdrawCopies(owner: CopyOwner): Promise<void> {
    for (const c of await this.listCopies(owner)) {
      const key = { namespace: c.namespace, group: c.groupName, name: c.serviceName };
      await this.client.deregister(key.name, copyInstance(c), { group: key.group });
    }
  }

  async listCopies(owner: CopyOwner): Promise<CopyRecord[]> {
    const out: CopyRecord[] = [];
    for (const key of this.written.values()) {
      const info = await this.client.query(key.name, { group: key.group });
      for (const h of info.hosts) {
        if (h.metadata?.[SYNC_TASK_KEY] !== owner.taskId) continue;
        out.push({
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
        });
      }
    }
    return out;
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
