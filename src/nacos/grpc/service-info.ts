import type { NamingRegistry, ServiceKey } from '@/registry';
import { CACHE_MILLIS, DEFAULT_BEAT_TIMINGS, hostView } from '@/nacos/http/service-info';
import type { NacosServiceInfo } from './messages';

/** The ServiceInfo of a service as queries answer and pushes carry it (enabled instances only). */
export function buildServiceInfo(
  registry: NamingRegistry,
  key: ServiceKey,
  clusters: readonly string[],
  healthyOnly = false,
  now = Date.now(),
): NacosServiceInfo {
  const hosts = registry
    .listInstances(key, { clusters, healthyOnly, enabledOnly: true })
    .map((i) => hostView(i, DEFAULT_BEAT_TIMINGS));
  const revision = registry.getService(key)?.revision ?? 0;
  return {
    name: key.name,
    groupName: key.group,
    clusters: clusters.join(','),
    cacheMillis: CACHE_MILLIS,
    hosts,
    lastRefTime: now,
    checksum: String(revision),
    allIPs: false,
    reachProtectionThreshold: false,
    valid: true,
  };
}
