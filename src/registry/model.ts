/** Names, keys and plain data shapes of the naming model, shared by every layer that talks to the registry. */

export const DEFAULT_NAMESPACE = 'public';
export const DEFAULT_GROUP = 'DEFAULT_GROUP';
export const DEFAULT_CLUSTER = 'DEFAULT';
/** Separator Nacos puts between group and service name (`DEFAULT_GROUP@@orders`). */
export const GROUP_SEPARATOR = '@@';

/** Identifies a service: namespace, group and the ungrouped service name. */
export interface ServiceKey {
  readonly namespace: string;
  readonly group: string;
  readonly name: string;
}

/** Joins group and service name the way Nacos does: `group@@name`. */
export function groupedName(group: string, name: string): string {
  return group + GROUP_SEPARATOR + name;
}

/** Splits `group@@name`; a name without `@@` (or with an empty group) belongs to `defaultGroup`. */
export function parseGroupedName(value: string, defaultGroup: string = DEFAULT_GROUP): { group: string; name: string } {
  const at = value.indexOf(GROUP_SEPARATOR);
  if (at < 0) return { group: defaultGroup, name: value };
  return { group: at === 0 ? defaultGroup : value.slice(0, at), name: value.slice(at + 2) };
}

/** Builds a key from wire parameters, applying Nacos defaults for a missing namespace or group. */
export function serviceKey(namespace: string | undefined, group: string | undefined, name: string): ServiceKey {
  return {
    namespace: namespace || DEFAULT_NAMESPACE,
    group: group || DEFAULT_GROUP,
    name,
  };
}

/** One string per service, for maps and logs: `namespace##group@@name` (the form Nacos logs). */
export function formatServiceKey(key: ServiceKey): string {
  return key.namespace + '##' + groupedName(key.group, key.name);
}

/** Nacos's default instance id: `ip#port#cluster#group@@service`. */
export function defaultInstanceId(ip: string, port: number, clusterName: string, groupedServiceName: string): string {
  return ip + '#' + port + '#' + clusterName + '#' + groupedServiceName;
}

/** Nacos's id of the ip-port client that owns HTTP-registered instances: `ip:port#ephemeral`. */
export function ipPortClientId(ip: string, port: number, ephemeral = true): string {
  return ip + ':' + port + '#' + ephemeral;
}

export type Metadata = Readonly<Record<string, string>>;

/** An instance as a writer describes it; omitted fields take Nacos defaults. */
export interface InstanceInput {
  ip: string;
  port: number;
  /** Default 1. */
  weight?: number;
  /** Default true. */
  healthy?: boolean;
  /** Default true. */
  enabled?: boolean;
  /** Default true. */
  ephemeral?: boolean;
  /** Default `DEFAULT`. */
  clusterName?: string;
  metadata?: Readonly<Record<string, string>>;
  /** Only kept when it differs from the Nacos default id. */
  instanceId?: string;
}

/** An instance as plain JSON. */
export interface InstanceData {
  ip: string;
  port: number;
  weight: number;
  healthy: boolean;
  enabled: boolean;
  ephemeral: boolean;
  clusterName: string;
  metadata: Metadata;
  instanceId: string;
}

/**
 * An instance as the registry hands it out. It is an immutable snapshot: a change to the
 * instance replaces it, so a caller may keep it and compare it with a later read.
 */
export interface Instance {
  readonly ip: string;
  readonly port: number;
  readonly weight: number;
  readonly healthy: boolean;
  readonly enabled: boolean;
  readonly ephemeral: boolean;
  readonly clusterName: string;
  readonly metadata: Metadata;
  readonly instanceId: string;
  /** Grouped service name (`group@@name`), as Nacos puts it on each host. */
  readonly serviceName: string;
  /** Plain JSON form; `JSON.stringify(instance)` uses it. */
  toJSON(): InstanceData;
}

/** Fields `updateInstance` may change in place. */
export interface InstancePatch {
  weight?: number;
  healthy?: boolean;
  enabled?: boolean;
  metadata?: Readonly<Record<string, string>>;
}

/**
 * Who owns a publication: `ipport` = HTTP v1/v2 (id `ip:port#true`), `connection` = a gRPC
 * connection (id = connection id), `sync` = a sync task (id `sync:<taskId>`).
 */
export type ClientKind = 'ipport' | 'connection' | 'sync';

/** One published instance of a client, in replication form. */
export interface PublicationData {
  namespace: string;
  group: string;
  service: string;
  instance: InstanceInput;
  /** Version of the write that left it so (see version.ts); absent in a local writer's input. */
  version?: number;
  /** Node that stamped `version`. */
  writer?: string;
}

/** A withdrawn publication: the address it was at and the version of its withdrawal. */
export interface TombstoneData {
  namespace: string;
  group: string;
  service: string;
  cluster: string;
  ip: string;
  port: number;
  version: number;
  writer: string;
}

/**
 * The replication unit of Distro (Nacos's ClientSyncData): a client, everything it publishes and
 * everything it withdrew, each with the version of its last write. Copies of one client merge by
 * keeping, per address, the newest write (see Registry.mergeClients), so any two nodes that have
 * seen the same writes hold the same client, whatever the order they arrived in.
 */
export interface ClientSyncData {
  clientId: string;
  kind: ClientKind;
  /** The newest version of anything in the client (0 when it holds nothing versioned). */
  revision: number;
  owner?: string;
  publications: PublicationData[];
  /** Absolute ms; set for sync clients so every copy lapses with the lease. */
  expiresAt?: number;
  /** Withdrawn publications, kept as long as an older copy of them may still arrive. */
  tombstones?: TombstoneData[];
  /** The client was removed at this version: everything of it not newer is gone. */
  floor?: number;
  floorWriter?: string;
  /** Version of the owner and expiry facts. */
  metaVersion?: number;
  metaWriter?: string;
}

/** What the registry tells about a client. */
export interface ClientInfo {
  id: string;
  kind: ClientKind;
  revision: number;
  owner: string | undefined;
  /** False for a replica applied from a Distro peer. */
  local: boolean;
  publicationCount: number;
  expiresAt: number | undefined;
  attributes: Readonly<Record<string, unknown>> | undefined;
}

/** Optional facts a local write may carry. */
export interface WriteOptions {
  /** Time of the write (ms); starts the heartbeat clock of the instances written. */
  now?: number;
  /** Node id owning a connection or sync client. */
  owner?: string;
  /** Free client attributes (never replicated). */
  attributes?: Readonly<Record<string, unknown>>;
}

export interface ListInstancesOptions {
  /** Only these clusters; empty or absent = all. */
  clusters?: readonly string[];
  healthyOnly?: boolean;
  enabledOnly?: boolean;
}

export interface ListServicesOptions {
  /** Only this group, names returned ungrouped; absent = all groups, names grouped. */
  group?: string;
  /** 1-based. */
  pageNo: number;
  pageSize: number;
}

export interface ServicePage {
  count: number;
  names: string[];
}

export interface ServiceSummary {
  namespace: string;
  group: string;
  name: string;
  groupedName: string;
  clusters: string[];
  /** Distinct `ip:port` per cluster, after merging publications of several clients. */
  instanceCount: number;
  /** Changes with every change of the service; increasing across the whole registry. */
  revision: number;
}

/** How a service selects the instances it lists (Nacos's Selector): `none`, or `label` (CMDB labels). */
export type ServiceSelector =
  | { readonly type: 'none' }
  | { readonly type: 'label'; readonly expression: string | null; readonly labels: readonly string[] };

/**
 * What a service holds beside its instances (Nacos's ServiceMetadata): set by the service API and
 * kept while the service is, with or without instances.
 */
export interface ServiceMetadata {
  /** The kind of instances the service takes when it holds none. */
  readonly ephemeral: boolean;
  /** 0–1: at or below this share of healthy instances, lists return every instance (Nacos's protection). */
  readonly protectThreshold: number;
  readonly selector: ServiceSelector;
  /** Nacos's `extendData`, shown as the service's `metadata`. */
  readonly metadata: Metadata;
}

export interface RegistryCounts {
  namespaces: number;
  services: number;
  /** Publications, i.e. instances counted once per owning client. */
  instances: number;
  clients: number;
}

export interface RegistryOptions {
  /** Default 15000, as Nacos. */
  unhealthyAfterMs?: number;
  /** Default 30000, as Nacos. */
  deleteAfterMs?: number;
  /** Time of writes that pass no `now`; default Date.now. */
  clock?: () => number;
  /** Where a throwing event listener is reported; default console.error. */
  onListenerError?: (error: unknown, event: string) => void;
  /** This node's id, written beside the version of every write it accepts; default `local`. */
  nodeId?: string;
}

/** An address inside a service, as deregistration names it. */
export interface InstanceAddress {
  clusterName?: string;
  ip: string;
  port: number;
}
