import { batchError, forEachBounded } from '@/common/bounded';
import { formatServiceKey } from '@/registry';
import type { ServiceKey } from '@/registry';
import type { SourceInstance, TaskSelector } from '../reconcile/copy-plan';
import type { NacosV1Client } from './nacos-v1-client';
import { LIST_PAGE_SIZE, NacosServiceListing } from './nacos-service-listing';
import { timedCheck } from './registry-endpoint';
import type { ReachabilityReport } from './registry-endpoint';
import type { ServiceSnapshot, SourceRegistry, SourceWatch } from './source-registry';

/**
 * A Nacos 1.x cluster read as a source, over the naming Open API v1. It polls: every
 * `pollIntervalMs` it lists the matching services (NacosServiceListing: `/ns/service/list` per
 * group, the console's namespaces and catalog for patterns) and reads each one's instances (bounded
 * concurrency), reporting the services whose content changed.
 */
export class NacosV1Source implements SourceRegistry {
  private readonly watches = new Set<() => void>();
  private readonly listing: NacosServiceListing;

  constructor(
    private readonly client: NacosV1Client,
    private readonly settings: { namespace: string; pollIntervalMs?: number },
    private readonly concurrency: number,
  ) {
    this.listing = new NacosServiceListing(
      client,
      (namespace, group, pageNo, pageSize) => client.listServices(namespace, group, pageNo, pageSize),
      settings.namespace,
    );
  }

  async snapshot(selector: TaskSelector): Promise<ServiceSnapshot[]> {
    const keys = await this.listing.matching(selector);
    const out: ServiceSnapshot[] = [];
    const failures = await forEachBounded(keys, this.concurrency, async (key) => {
      out.push({ key, instances: await this.client.listInstances(key) });
    });
    if (failures.length > 0) throw batchError('instance list reads', failures, keys.length);
    return out;
  }

  watch(selector: TaskSelector, onService: (s: ServiceSnapshot) => void, onError: (err: Error) => void): SourceWatch {
    const seen = new Map<string, { key: ServiceKey; fingerprint: string }>();
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const round = async (): Promise<void> => {
      const keys = await this.listing.matching(selector);
      const listed = new Set(keys.map(formatServiceKey));
      const failures = await forEachBounded(keys, this.concurrency, async (key) => {
        const instances = await this.client.listInstances(key);
        const id = formatServiceKey(key);
        const fingerprint = fingerprintOf(instances);
        if (stopped || seen.get(id)?.fingerprint === fingerprint) return;
        seen.set(id, { key, fingerprint });
        onService({ key, instances });
      });
      // A service gone from the listing has no instances left.
      for (const [id, { key }] of seen) {
        if (listed.has(id) || stopped) continue;
        seen.delete(id);
        onService({ key, instances: [] });
      }
      if (failures.length > 0) throw batchError('instance list reads', failures, keys.length);
    };
    const loop = (): void => {
      round()
        .catch((err: unknown) => {
          if (!stopped) onError(err as Error);
        })
        .finally(() => {
          if (!stopped) timer = setTimeout(loop, this.settings.pollIntervalMs ?? 2000);
        });
    };
    loop();
    const stop = (): void => {
      stopped = true;
      clearTimeout(timer);
    };
    this.watches.add(stop);
    return {
      close: () => {
        stop();
        this.watches.delete(stop);
      },
    };
  }

  check(): Promise<ReachabilityReport> {
    return checkNacosV1(this.client);
  }

  /** Stops polling. */
  close(): Promise<void> {
    for (const stop of this.watches) stop();
    this.watches.clear();
    return Promise.resolve();
  }
}

/** One cheap question to a Nacos 1.x cluster: its version and the server that answered. */
export function checkNacosV1(client: NacosV1Client): Promise<ReachabilityReport> {
  const http = { protocol: 'http-v1' };
  return timedCheck(
    async () => {
      const info = await client.describe();
      return { version: `nacos HTTP v1${info.version ? ` ${info.version}` : ''} via ${info.server}`, ...http };
    },
    undefined,
    http,
  );
}

/** Every service name of a namespace's group, page by page. */
export async function listAllServices(client: NacosV1Client, namespace: string, group: string): Promise<string[]> {
  const names: string[] = [];
  for (let pageNo = 1; ; pageNo++) {
    const page = await client.listServices(namespace, group, pageNo, LIST_PAGE_SIZE);
    names.push(...page.names);
    if (page.names.length < LIST_PAGE_SIZE || pageNo * LIST_PAGE_SIZE >= page.count) return names;
  }
}

/** Content of instances independent of order (hosts and metadata keys), to tell a changed service. */
export function fingerprintOf(instances: readonly SourceInstance[]): string {
  return instances
    .map((i) =>
      JSON.stringify([
        i.clusterName,
        i.ip,
        i.port,
        i.weight,
        i.healthy,
        i.enabled,
        i.ephemeral !== false,
        Object.entries(i.metadata).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)),
      ]),
    )
    .sort()
    .join('\n');
}
