import { createHash } from 'node:crypto';
import type { ClusterEntity, ClusterKind, SyncTaskEntity, TaskStatus } from '../entities';

/**
 * How Nacos-Sync 0.5 names things, so its users' scripts keep working: cluster types, task
 * statuses, and ids derived as Nacos-Sync derives them (`SkyWalkerUtil`): a cluster's is the MD5 of
 * `clusterName_clusterType`, a task's the MD5 of `serviceName_groupName_sourceClusterId_destClusterId`.
 */

/** Nacos-Sync's `clusterType` of each of our kinds; ours that it lacks keep their name, upper-cased. */
const TYPE_OF: Record<ClusterKind, string> = {
  nacos: 'NACOS',
  zookeeper: 'ZK',
  distro: 'DISTRO',
  etcd: 'ETCD',
  local: 'LOCAL',
};

/** The types `/v1/cluster/types` lists and `/v1/cluster/add` takes, Nacos-Sync's first. */
export const NACOS_SYNC_TYPES = ['NACOS', 'ZK', 'DISTRO', 'ETCD', 'LOCAL'] as const;

/** Nacos-Sync's types that distro-sync does not speak (Nacos 1.x config server, Eureka, Consul). */
export const UNSUPPORTED_TYPES = ['CS', 'EUREKA', 'CONSUL'] as const;

export function typeOf(kind: ClusterKind): string {
  return TYPE_OF[kind];
}

export function kindOf(type: string): ClusterKind | undefined {
  return (Object.keys(TYPE_OF) as ClusterKind[]).find((k) => TYPE_OF[k] === type);
}

/** Nacos-Sync's `taskStatus`: SYNC runs, DELETE undoes and goes; a task paused through our API is PAUSED. */
export function taskStatusOf(status: TaskStatus): string {
  return status === 'running' ? 'SYNC' : status === 'deleting' ? 'DELETE' : 'PAUSED';
}

function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

export function clusterIdOf(cluster: Pick<ClusterEntity, 'name' | 'kind'>): string {
  return md5(`${cluster.name}_${typeOf(cluster.kind)}`);
}

/**
 * A task's service name as Nacos-Sync writes it: `*` (every service) is `ALL` for every source but
 * ZooKeeper, where Nacos-Sync itself uses `*`.
 */
export function serviceNameOf(task: Pick<SyncTaskEntity, 'serviceName'>, sourceKind: ClusterKind): string {
  return task.serviceName === '*' && sourceKind !== 'zookeeper' ? 'ALL' : task.serviceName;
}

/** The service name a Nacos-Sync request means: `ALL` (any case) and `*` are every service. */
export function serviceNameFrom(requested: string): string {
  return requested.toUpperCase() === 'ALL' ? '*' : requested;
}

export function taskIdOf(serviceName: string, groupName: string, sourceId: string, destId: string): string {
  return md5([serviceName, groupName, sourceId, destId].join('_'));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether an id is one of ours (a UUID) rather than a Nacos-Sync MD5; both are accepted everywhere. */
export function isOwnId(id: string): boolean {
  return UUID.test(id);
}
