import { NacosNamingClient } from './nacos-grpc-client';
import type { NacosHost } from './nacos-grpc-client';
import { DEFAULT_CLUSTER, DEFAULT_GROUP, formatServiceKey } from '@/registry';
import type { ServiceKey } from '@/registry';
import type { CopyRecord, TaskSelector } from '../reconcile/copy-plan';
import {
  SYNC_TASK_KEY,
  ServiceSelector,
  copyId,
  copyInstance,
  isPersistentCopy,
  persistence,
  sameCopy,
} from '../reconcile/copy-plan';
import { grpcAddresses, httpAddresses } from './cluster-addresses';
import { NacosPersistentWriter } from './nacos-persistent-writer';
import { NacosV1Client } from './nacos-v1-client';
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
 * as a target it registers each service's ephemeral copies with one batch registration on its own
 * connection, so they live as long as the connection, and each persistent copy as a Nacos
 * persistent instance (NacosPersistentWriter), which the server keeps until the task deregisters it.
 */
export class NacosRegistryAdapter implements SourceRegistry, TargetRegistry {
  private readonly client: NacosNamingClient;
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
    this.persistent = new NacosPersistentWriter(
      this.client,
      () =>
        new NacosV1Client({
          addresses: httpAddresses(settings.addresses),
          username: settings.username,
          password: settings.password,
        }),
    );
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
    return Promise.resolve();
  }

  /** Every service name of one group of the cluster's namespace. */
  private async serviceNames(group: string): Promise<string[]> {
    const names: string[] = [];
    for (let pageNo = 1; ; pageNo++) {
      const page = await this.client.listServices({ group, pageNo, pageSize: PAGE_SIZE });
      names.push(...page.serviceNames);
      if (page.serviceNames.length < PAGE_SIZE || pageNo * PAGE_SIZE >= page.count) return names;
    }
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
