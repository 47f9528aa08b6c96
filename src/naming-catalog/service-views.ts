import { groupedName } from '@/registry';
import type { NamingRegistry, ServiceKey, ServiceMetadata, ServiceSelector } from '@/registry';
import { NacosRequestError, NacosV2ErrorCode } from '@/nacos/http/nacos-errors';
import { DEFAULT_CLUSTER_CHECKER } from '@/persistent/health/cluster-checker';
import type { ClusterChecker } from '@/persistent/health/cluster-checker';

/** Nacos's ServiceMetadata of a service that has none stored (ServiceMetadata's defaults). */
const DEFAULT_METADATA: ServiceMetadata = {
  ephemeral: true,
  protectThreshold: 0,
  selector: { type: 'none' },
  metadata: {},
};

/** A Selector as Jackson writes Nacos's NoneSelector and LabelSelector (with their `contextType`). */
export function selectorView(selector: ServiceSelector): Record<string, unknown> {
  if (selector.type === 'none') return { type: 'none', contextType: 'NONE' };
  return { type: 'label', expression: selector.expression, labels: [...selector.labels], contextType: 'CMDB' };
}

/** What a service detail shows of one of its clusters: its health check settings (PUT /cluster) and metadata. */
export type ClusterView = (cluster: string) => ClusterChecker;

/** Nacos's default ClusterMetadata: TCP on each instance's port and no metadata. */
const DEFAULT_CLUSTER: ClusterView = () => DEFAULT_CLUSTER_CHECKER;

function found(registry: NamingRegistry, key: ServiceKey, message: string): { clusters: string[] } {
  const summary = registry.getService(key);
  if (summary === undefined) throw NacosRequestError.plain(400, NacosV2ErrorCode.ServiceNotExist, message);
  return summary;
}

/**
 * v1 `GET /service` (ServiceOperatorV2Impl.queryService): `{namespaceId, groupName, name,
 * protectThreshold, metadata, selector, clusters: [{name, healthChecker, metadata}]}`; 400 code 21008
 * `service not found, namespace: <ns>, serviceName: <group@@name>` for an unknown one.
 */
export function v1ServiceDetail(
  registry: NamingRegistry,
  key: ServiceKey,
  cluster: ClusterView = DEFAULT_CLUSTER,
): Record<string, unknown> {
  const grouped = groupedName(key.group, key.name);
  const summary = found(registry, key, `service not found, namespace: ${key.namespace}, serviceName: ${grouped}`);
  const metadata = registry.serviceMetadata(key) ?? DEFAULT_METADATA;
  return {
    namespaceId: key.namespace,
    groupName: key.group,
    name: key.name,
    protectThreshold: metadata.protectThreshold,
    metadata: { ...metadata.metadata },
    selector: selectorView(metadata.selector),
    clusters: summary.clusters.map((name) => {
      const { healthChecker, metadata: clusterMetadata } = cluster(name);
      return { name, healthChecker, metadata: { ...clusterMetadata } };
    }),
  };
}

/**
 * v2 `GET /service`: Nacos 2.x's ServiceDetailInfo `{namespace, serviceName, groupName, clusterMap:
 * {<name>: {clusterName, healthChecker, metadata}}, metadata, protectThreshold, selector, ephemeral}`.
 */
export function v2ServiceDetail(
  registry: NamingRegistry,
  key: ServiceKey,
  cluster: ClusterView = DEFAULT_CLUSTER,
): Record<string, unknown> {
  const grouped = groupedName(key.group, key.name);
  const summary = found(registry, key, `service not found, namespace: ${key.namespace}, serviceName: ${grouped}`);
  const metadata = registry.serviceMetadata(key) ?? DEFAULT_METADATA;
  const clusterMap: Record<string, unknown> = {};
  for (const name of summary.clusters) {
    const { healthChecker, metadata: clusterMetadata } = cluster(name);
    clusterMap[name] = { clusterName: name, healthChecker, metadata: { ...clusterMetadata } };
  }
  return {
    namespace: key.namespace,
    serviceName: key.name,
    groupName: key.group,
    clusterMap,
    metadata: { ...metadata.metadata },
    protectThreshold: metadata.protectThreshold,
    selector: selectorView(metadata.selector),
    ephemeral: registry.serviceEphemeral(key) ?? metadata.ephemeral,
  };
}

/**
 * v3 `GET /service`: Nacos 3's ServiceDetailInfo, v2's with `namespaceId` for `namespace` and each
 * cluster a ClusterInfo `{clusterName, healthChecker, healthyCheckPort, useInstancePortForCheck, metadata,
 * hosts: null}`.
 */
export function v3ServiceDetail(
  registry: NamingRegistry,
  key: ServiceKey,
  cluster: ClusterView = DEFAULT_CLUSTER,
): Record<string, unknown> {
  const { namespace, clusterMap, ...rest } = v2ServiceDetail(registry, key, cluster);
  const clusters: Record<string, unknown> = {};
  for (const [name, view] of Object.entries(clusterMap as Record<string, object>)) {
    const { checkPort, useInstancePort } = cluster(name);
    clusters[name] = { ...view, healthyCheckPort: checkPort, useInstancePortForCheck: useInstancePort, hosts: null };
  }
  return { namespaceId: namespace, ...rest, clusterMap: clusters };
}
