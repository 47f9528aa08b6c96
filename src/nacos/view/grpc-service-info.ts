import type { NamingRegistry, ServiceKey } from '@/registry';
import { CACHE_MILLIS, DEFAULT_BEAT_TIMINGS, hostView } from './service-info';
import type { ServiceInfoView } from './service-info';

/**
 * The ServiceInfo of a service as gRPC queries answer and gRPC pushes carry it (enabled instances
 * only): the HTTP shape, but `name` ungrouped and the revision as checksum.
 */
export function buildGrpcServiceInfo(
  registry: NamingRegistry,
  key: ServiceKey,
  clusters: readonly string[],
  healthyOnly = false,
  now = Date.now(),
): ServiceInfoView {
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
