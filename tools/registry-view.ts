import type { RegistryInstance } from '@/registry-api';
import { RegistryApiClient } from '@/sync/adapters/registry-api.client';

/** The keys a sync task adds to every copy (docs/sync.md "What a copy is"). */
export const SYNC_KEYS = ['syncSource', 'sourceClusterId', 'destClusterId', 'syncTaskId'] as const;

/** One instance as a node holds it, service and instance key included. */
export interface HeldInstance {
  namespace: string;
  group: string;
  service: string;
  clusterName: string;
  ip: string;
  port: number;
  weight: number;
  healthy: boolean;
  enabled: boolean;
  metadata: Record<string, string>;
}

export function instanceKey(
  i: Pick<HeldInstance, 'namespace' | 'group' | 'service' | 'clusterName' | 'ip' | 'port'>,
): string {
  return `${i.namespace}/${i.group}@@${i.service}/${i.clusterName}/${i.ip}:${i.port}`;
}

/** Everything about an instance that a copy must reproduce, sync keys left out. */
export function instanceLine(i: HeldInstance): string {
  const metadata = Object.fromEntries(
    Object.entries(i.metadata)
      .filter(([k]) => !(SYNC_KEYS as readonly string[]).includes(k))
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)),
  );
  return `${instanceKey(i)} w=${i.weight} h=${i.healthy} e=${i.enabled} ${JSON.stringify(metadata)}`;
}

/** A stable digest of a node's whole content, sync keys included (nodes of one region must agree on it). */
export function contentDigest(instances: HeldInstance[]): string {
  return instances
    .map((i) => `${instanceLine(i)} ${SYNC_KEYS.map((k) => i.metadata[k] ?? '').join(',')}`)
    .sort()
    .join('\n');
}

export function isCopy(i: HeldInstance): boolean {
  return i.metadata.sourceClusterId !== undefined;
}

/**
 * Reads the full content of nodes through their registry API (`List` of `*` in every namespace,
 * paged): exactly what the node holds, natives and copies, with no per-group listing to miss.
 */
export class RegistryReader {
  private readonly clients = new Map<string, RegistryApiClient>();

  /** `token` is the registry API token of the node's region (its ADMIN_TOKEN here). */
  async read(grpcAddress: string, token: string, timeoutMs = 5000): Promise<HeldInstance[]> {
    let client = this.clients.get(grpcAddress);
    if (!client) {
      client = new RegistryApiClient(grpcAddress, { token, timeoutMs });
      this.clients.set(grpcAddress, client);
    }
    const out: HeldInstance[] = [];
    let pageToken = '';
    do {
      const page = await client.list(
        { namespace: '*', group_pattern: '*', service_pattern: '*' },
        { page_size: 1000, page_token: pageToken },
      );
      for (const s of page.services) {
        for (const i of s.instances) out.push(held(s.namespace, s.group, s.service, i));
      }
      pageToken = page.next_page_token;
    } while (pageToken);
    return out;
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}

function held(namespace: string, group: string, service: string, i: RegistryInstance): HeldInstance {
  return {
    namespace,
    group,
    service,
    clusterName: i.cluster_name,
    ip: i.ip,
    port: i.port,
    weight: i.weight,
    healthy: i.healthy,
    enabled: i.enabled,
    metadata: { ...i.metadata },
  };
}
