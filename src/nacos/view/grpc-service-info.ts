import type { NamingRegistry, ServiceKey } from '@/registry';
import { CACHE_MILLIS, DEFAULT_BEAT_TIMINGS, protectedHosts } from './service-info';
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
  const { hosts, reachProtectionThreshold } = protectedHosts(
    registry,
    key,
    clusters,
    healthyOnly,
    DEFAULT_BEAT_TIMINGS,
  );
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
    reachProtectionThreshold,
    valid: true,
  };
}
