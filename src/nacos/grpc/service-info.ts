import type { Instance, Registry, ServiceKey } from '@/registry';
import type { NacosHost, NacosServiceInfo } from './messages';

/** How long SDKs may cache a ServiceInfo before asking again (Nacos: 10 s). */
const CACHE_MILLIS = 10_000;

function host(instance: Instance): NacosHost {
  return {
    instanceId: instance.instanceId,
    ip: instance.ip,
    port: instance.port,
    weight: instance.weight,
    healthy: instance.healthy,
    enabled: instance.enabled,
    ephemeral: instance.ephemeral,
    clusterName: instance.clusterName,
    serviceName: instance.serviceName,
    metadata: { ...instance.metadata },
    instanceHeartBeatInterval: 5000,
    instanceHeartBeatTimeOut: 15000,
    ipDeleteTimeout: 30000,
    instanceIdGenerator: 'simple',
  };
}

/** The ServiceInfo of a service as queries answer and pushes carry it (enabled instances only). */
export function buildServiceInfo(
  registry: Registry,
  key: ServiceKey,
  clusters: readonly string[],
  healthyOnly = false,
  now = Date.now(),
): NacosServiceInfo {
  const hosts = registry.listInstances(key, { clusters, healthyOnly, enabledOnly: true }).map(host);
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
