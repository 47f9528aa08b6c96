import type { Instance, ServiceMetadata } from '@/registry';

/** The instances a list answers and whether the service's protect threshold was reached. */
export interface ProtectedSelection<T> {
  hosts: T[];
  /** Instances shown healthy although they are not (the threshold was reached). */
  shownHealthy: ReadonlySet<T>;
  reachProtectionThreshold: boolean;
}

/**
 * Nacos's healthy protection (ServiceUtil.selectInstancesWithHealthyProtection), over the enabled
 * instances of the asked clusters. `healthyOnly` keeps the healthy ones. A service with stored metadata
 * then has its selector applied — `none` keeps all; `label` compares CMDB labels of consumer and
 * providers, and with no CMDB here no provider has labels, which Nacos answers with every provider —
 * and, when the healthy ones make up at most `protectThreshold` of what is left (`<=`, so threshold 0
 * is reached when none is healthy), every instance is returned and shown healthy. The share is taken
 * over the list after `healthyOnly`, as Nacos does: with healthyOnly it is 1, reached only at threshold
 * 1. An empty list never reaches it; a service without stored metadata never does.
 */
export function selectWithProtection<T extends Pick<Instance, 'healthy'>>(
  enabled: readonly T[],
  healthyOnly: boolean,
  metadata: Pick<ServiceMetadata, 'protectThreshold'> | undefined,
): ProtectedSelection<T> {
  let healthyCount = 0;
  for (const instance of enabled) if (instance.healthy) healthyCount++;
  const hosts = healthyOnly ? enabled.filter((instance) => instance.healthy) : [...enabled];
  const none: ProtectedSelection<T> = { hosts, shownHealthy: new Set(), reachProtectionThreshold: false };
  if (metadata === undefined || hosts.length === 0) return none;
  // Java compares floats: 7 of 10 healthy reaches a threshold of 0.7.
  const threshold = Math.fround(Math.max(metadata.protectThreshold, 0));
  if (Math.fround(healthyCount / hosts.length) > threshold) return none;
  return {
    hosts,
    shownHealthy: new Set(hosts.filter((instance) => !instance.healthy)),
    reachProtectionThreshold: true,
  };
}
