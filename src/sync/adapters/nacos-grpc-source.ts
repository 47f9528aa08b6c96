import { batchError, forEachBounded } from '@/common/bounded';
import { DEFAULT_CLUSTER, formatServiceKey } from '@/registry';
import type { ServiceKey } from '@/registry';
import type { TaskSelector } from '../reconcile/copy-plan';
import type { NacosHost, NacosNamingClient } from './nacos-grpc-client';
import type { NacosServiceListing } from './nacos-service-listing';
import type { ServiceSnapshot, SourceRegistry, SourceWatch } from './source-registry';

/** How often a watch lists the services again to find new and vanished ones, unless set. */
export const DEFAULT_RELIST_MS = 5000;

export interface NacosGrpcSourceSettings {
  /** How often a watch lists the matching services again (new ones subscribed, vanished ones dropped). */
  relistIntervalMs?: number;
  /** Queries, subscriptions and unsubscriptions in flight at once per task. Default 8. */
  concurrency?: number;
}

interface Subscribed {
  key: ServiceKey;
  listener: (info: { hosts: NacosHost[] }) => void;
}

/**
 * A Nacos 2.x/3.x cluster read as a source over the gRPC client protocol: the listing
 * (NacosServiceListing: namespaces and groups over HTTP where the selector has patterns, gRPC per
 * group) says which services match; each is queried for a snapshot and subscribed for a watch, a
 * bounded number at a time, on the connection of its namespace (`clientFor`: Nacos 2.x's pushes carry
 * the service's group and name but no namespace, so a connection subscribing one name in two
 * namespaces could not tell their pushes apart). A watch lists again every
 * `relistIntervalMs`: services that appeared are subscribed, and services gone from a complete
 * listing (deleted, or in a namespace that was removed) are unsubscribed and reported with no
 * instances; a listing that fails changes nothing and is reported through `onError`.
 */
export class NacosGrpcSource implements Pick<SourceRegistry, 'snapshot' | 'watch'> {
  private readonly concurrency: number;

  constructor(
    /** The connection to read a namespace on: one per namespace, as Nacos 2.x pushes name none. */
    private readonly clientFor: (namespace: string) => NacosNamingClient,
    private readonly listing: NacosServiceListing,
    private readonly settings: NacosGrpcSourceSettings = {},
  ) {
    this.concurrency = settings.concurrency ?? 8;
  }

  async snapshot(selector: TaskSelector): Promise<ServiceSnapshot[]> {
    const keys = await this.listing.matching(selector);
    const out: ServiceSnapshot[] = [];
    const failures = await forEachBounded(keys, this.concurrency, async (key) => {
      const info = await this.clientFor(key.namespace).query(key.name, { group: key.group, namespace: key.namespace });
      out.push({ key, instances: info.hosts.map(sourceInstance) });
    });
    if (failures.length > 0) throw batchError('service queries', failures, keys.length);
    return out;
  }

  watch(selector: TaskSelector, onService: (s: ServiceSnapshot) => void, onError: (err: Error) => void): SourceWatch {
    const subscribed = new Map<string, Subscribed>();
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const report = (s: ServiceSnapshot): void => {
      if (!stopped) onService(s);
    };
    const round = async (): Promise<void> => {
      const keys = await this.listing.matching(selector);
      if (stopped) return;
      const listed = new Map(keys.map((key) => [formatServiceKey(key), key]));
      const fresh = keys.filter((key) => !subscribed.has(formatServiceKey(key)));
      const gone = [...subscribed].filter(([id]) => !listed.has(id)).map(([, entry]) => entry);
      for (const { key } of gone) subscribed.delete(formatServiceKey(key));
      const failures = await forEachBounded(fresh, this.concurrency, (key) =>
        this.subscribe(key, subscribed, report, () => stopped),
      );
      await forEachBounded(gone, this.concurrency, async ({ key, listener }) => {
        report({ key, instances: [] });
        await this.clientFor(key.namespace).unsubscribe(key.name, listener, {
          group: key.group,
          namespace: key.namespace,
        });
      });
      if (failures.length > 0) throw batchError('subscriptions', failures, fresh.length);
    };
    const loop = (): void => {
      round()
        .catch((err: unknown) => {
          if (!stopped) onError(err as Error);
        })
        .finally(() => {
          if (!stopped) timer = setTimeout(loop, this.settings.relistIntervalMs ?? DEFAULT_RELIST_MS);
        });
    };
    loop();
    return {
      close: () => {
        if (stopped) return;
        stopped = true;
        clearTimeout(timer);
        const all = [...subscribed.values()];
        subscribed.clear();
        void forEachBounded(all, this.concurrency, ({ key, listener }) =>
          this.clientFor(key.namespace).unsubscribe(key.name, listener, { group: key.group, namespace: key.namespace }),
        );
      },
    };
  }

  /**
   * Subscribes one service and reports its current state; on failure it is left for the next round.
   * Once the watch is closed it subscribes nothing more, and ends a subscription that was in flight
   * when it closed: close() ends only the subscriptions it knows, and the round goes on after it.
   */
  private async subscribe(
    key: ServiceKey,
    subscribed: Map<string, Subscribed>,
    report: (s: ServiceSnapshot) => void,
    stopped: () => boolean,
  ): Promise<void> {
    if (stopped()) return;
    const id = formatServiceKey(key);
    const listener = (info: { hosts: NacosHost[] }): void => {
      if (subscribed.get(id)?.listener === listener) report({ key, instances: info.hosts.map(sourceInstance) });
    };
    subscribed.set(id, { key, listener });
    const client = this.clientFor(key.namespace);
    try {
      const current = await client.subscribe(key.name, listener, { group: key.group, namespace: key.namespace });
      if (stopped()) {
        await client.unsubscribe(key.name, listener, { group: key.group, namespace: key.namespace });
        return;
      }
      if (subscribed.get(id)?.listener === listener) report({ key, instances: current.hosts.map(sourceInstance) });
    } catch (err) {
      if (subscribed.get(id)?.listener === listener) subscribed.delete(id);
      await client
        .unsubscribe(key.name, listener, { group: key.group, namespace: key.namespace })
        .catch(() => undefined);
      throw err;
    }
  }
}

export function sourceInstance(h: NacosHost): ServiceSnapshot['instances'][number] {
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
