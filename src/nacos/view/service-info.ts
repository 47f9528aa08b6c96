import { createHash } from 'node:crypto';
import { groupedName } from '@/registry';
import type { Instance, NamingRegistry, ServiceKey } from '@/registry';
import { selectWithProtection } from './protection';

/** How long a v1 client may cache a service before it polls again (Nacos's default). */
export const CACHE_MILLIS = 10_000;

export interface BeatTimings {
  intervalMs: number;
  unhealthyMs: number;
  deleteMs: number;
}

/** Nacos's default heartbeat timings, told to clients that cannot be told the configured ones. */
export const DEFAULT_BEAT_TIMINGS: BeatTimings = { intervalMs: 5000, unhealthyMs: 15000, deleteMs: 30000 };

/** One host of a ServiceInfo, as Nacos serializes its Instance. */
export interface HostView {
  instanceId: string;
  ip: string;
  port: number;
  weight: number;
  healthy: boolean;
  enabled: boolean;
  ephemeral: boolean;
  clusterName: string;
  serviceName: string;
  metadata: Record<string, string>;
  instanceHeartBeatInterval: number;
  instanceHeartBeatTimeOut: number;
  ipDeleteTimeout: number;
  instanceIdGenerator: string;
}

/** The ServiceInfo of `/instance/list` and of UDP pushes; gRPC carries the same shape (grpc-service-info.ts). */
export interface ServiceInfoView {
  name: string;
  groupName: string;
  clusters: string;
  cacheMillis: number;
  hosts: HostView[];
  lastRefTime: number;
  checksum: string;
  allIPs: boolean;
  reachProtectionThreshold: boolean;
  valid: boolean;
}

export interface ServiceInfoQuery {
  clusters: readonly string[];
  /** Echoed as `clusters`: the v1 client keys its cache by `name@@clusters`. */
  clustersEcho: string;
  healthyOnly: boolean;
}

function metadataNumber(metadata: Readonly<Record<string, string>>, key: string, fallback: number): number {
  const value = metadata[key];
  const parsed = value === undefined ? NaN : Number(value);
  return Number.isFinite(parsed) && parsed > 0 ? parsed : fallback;
}

export function hostView(instance: Instance, timings: BeatTimings): HostView {
  const metadata = instance.metadata;
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
    metadata: { ...metadata },
    instanceHeartBeatInterval: metadataNumber(metadata, 'preserved.heart.beat.interval', timings.intervalMs),
    instanceHeartBeatTimeOut: metadataNumber(metadata, 'preserved.heart.beat.timeout', timings.unhealthyMs),
    ipDeleteTimeout: metadataNumber(metadata, 'preserved.ip.delete.timeout', timings.deleteMs),
    instanceIdGenerator: metadata['preserved.instance.id.generator'] ?? 'simple',
  };
}

/**
 * The hosts of a service as Nacos lists them: enabled instances of the asked clusters, healthy ones with
 * `healthyOnly`, with the service's protect threshold applied (protection.ts).
 */
export function protectedHosts(
  registry: NamingRegistry,
  key: ServiceKey,
  clusters: readonly string[],
  healthyOnly: boolean,
  timings: BeatTimings,
): { hosts: HostView[]; reachProtectionThreshold: boolean } {
  const enabled = registry.listInstances(key, { clusters, enabledOnly: true });
  const selection = selectWithProtection(enabled, healthyOnly, registry.serviceMetadata(key));
  const hosts = selection.hosts.map((instance) => {
    const view = hostView(instance, timings);
    if (selection.shownHealthy.has(instance)) view.healthy = true;
    return view;
  });
  return { hosts, reachProtectionThreshold: selection.reachProtectionThreshold };
}

/** Builds the ServiceInfo Nacos answers for a service: only enabled instances, grouped name. */
export function buildServiceInfo(
  registry: NamingRegistry,
  key: ServiceKey,
  query: ServiceInfoQuery,
  timings: BeatTimings,
  now: number = Date.now(),
): ServiceInfoView {
  const { hosts, reachProtectionThreshold } = protectedHosts(registry, key, query.clusters, query.healthyOnly, timings);
  const revision = registry.getService(key)?.revision ?? 0;
  const name = groupedName(key.group, key.name);
  return {
    name,
    groupName: key.group,
    clusters: query.clustersEcho,
    cacheMillis: CACHE_MILLIS,
    hosts,
    lastRefTime: now,
    // Changes exactly when the service does: clients compare it to skip unchanged data.
    checksum: createHash('md5')
      .update(`${key.namespace}##${name}#${query.clustersEcho}#${query.healthyOnly}#${revision}`)
      .digest('hex'),
    allIPs: false,
    reachProtectionThreshold,
    valid: true,
  };
}
