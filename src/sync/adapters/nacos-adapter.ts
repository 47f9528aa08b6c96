import { NacosNamingClient } from './nacos-grpc-client';
import type { NacosHost } from './nacos-grpc-client';
import { DEFAULT_CLUSTER, formatServiceKey } from '@/registry';
import type { ServiceKey } from '@/registry';
import type { CopyRecord, TaskSelector } from '../reconcile/copy-plan';
import { SYNC_TASK_KEY, ServiceSelector, copyInstance } from '../reconcile/copy-plan';
import { grpcAddresses } from './cluster-addresses';
import { timedCheck } from './registry-endpoint';
import type { ReachabilityReport } from './registry-endpoint';
import type { ServiceSnapshot, SourceRegistry, SourceWatch } from './source-registry';
import type { CopyOwner, RenewOutcome, ServiceCopies, TargetRegistry } from './target-registry';

export interface NacosClusterSettings {
  addresses: readonly string[];
  /** The namespace this cluster is used in (Nacos's gRPC API lists services of one namespace). */
  namespace: string;
  username?: string;
  password?: string;
  /** How often a watch looks for services that appeared in the source. */
  discoveryIntervalMs?: number;
}

const PAGE_SIZE = 500;

/**
 * A Nacos 2.x/3.x cluster over the Nacos gRPC client protocol. As a source it lists the services
 * of one namespace and group (Nacos's API has no "all groups" listing) and subscribes to each;
 * as a target it registers each service's copies with one batch registration on its own
 * connection, so the copies are ephemeral in Nacos: they live as long as the connection.
 */
export class NacosRegistryAdapter implements SourceRegistry, TargetRegistry {
  private readonly client: NacosNamingClient;
  /** Services this adapter wrote copies into, to list them back for drift repair. */
  private readonly written = new Map<string, ServiceKey>();

  constructor(private readonly settings: NacosClusterSettings) {
    this.client = new NacosNamingClient({
      servers: grpcAddresses(settings.addresses),
      namespace: settings.namespace,
      username: settings.username,
      password: settings.password,
    });
  }

  async snapshot(selector: TaskSelector): Promise<ServiceSnapshot[]> {
    const out: ServiceSnapshot[] = [];
    for (const key of await this.matchingServices(selector)) {
      const info = await this.client.query(key.name, { group: key.group });
      out.push({ key, instances: info.hosts.map(sourceInstance) });
    }
    return out;
  }

  watch(selector: TaskSelector, onService: (s: ServiceSnapshot) => void, onError: (err: Error) => void): SourceWatch {
    const subscribed = new Map<string, ServiceKey>();
    const listeners = new Map<string, (info: { hosts: NacosHost[] }) => void>();
    let stopped = false;
    const discover = async (): Promise<void> => {
      const keys = await this.matchingServices(selector);
      for (const key of keys) {
        const id = formatServiceKey(key);
        if (subscribed.has(id) || stopped) continue;
        subscribed.set(id, key);
        const listener = (info: { hosts: NacosHost[] }): void =>
          onService({ key, instances: info.hosts.map(sourceInstance) });
        listeners.set(id, listener);
        const current = await this.client.subscribe(key.name, listener, { group: key.group });
        onService({ key, instances: current.hosts.map(sourceInstance) });
      }
    };
    const tick = (): void => {
      discover().catch((err: unknown) => onError(err as Error));
    };
    tick();
    const timer = setInterval(tick, this.settings.discoveryIntervalMs ?? 5000);
    timer.unref();
    return {
      close: () => {
        stopped = true;
        clearInterval(timer);
        for (const [id, key] of subscribed) {
          void this.client.unsubscribe(key.name, listeners.get(id), { group: key.group }).catch(() => undefined);
        }
      },
    };
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
    return Promise.resolve();
  }

  /** The services of the cluster's namespace and the selector's group that match the selector. */
  private async matchingServices(selector: TaskSelector): Promise<ServiceKey[]> {
    if (selector.groupName.includes('*')) {
      throw new Error('a nacos source lists services per group: give the task a group name, not a pattern');
    }
    const select = new ServiceSelector(selector);
    const keys: ServiceKey[] = [];
    for (let pageNo = 1; ; pageNo++) {
      const page = await this.client.listServices({ group: selector.groupName, pageNo, pageSize: PAGE_SIZE });
      for (const name of page.serviceNames) {
        const key = { namespace: this.settings.namespace, group: selector.groupName, name };
        if (select.matches(key)) keys.push(key);
      }
      if (page.serviceNames.length < PAGE_SIZE || pageNo * PAGE_SIZE >= page.count) return keys;
    }
  }

  private requireNamespace(key: ServiceKey): void {
    if (key.namespace !== this.settings.namespace) {
      throw new Error(`this nacos cluster is used in namespace ${this.settings.namespace}, not ${key.namespace}`);
    }
  }
}

function sourceInstance(h: NacosHost): ServiceSnapshot['instances'][number] {
  return {
    ip: h.ip,
    port: h.port,
    weight: h.weight,
    healthy: h.healthy,
    enabled: h.enabled,
    clusterName: h.clusterName || DEFAULT_CLUSTER,
    metadata: h.metadata ?? {},
    ...(h.ephemeral === false ? { ephemeral: false } : {}),
  };
}
