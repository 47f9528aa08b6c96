import type { InstanceInput, Metadata, ServiceKey } from '@/registry';
import { groupedName, wildcard } from '@/registry';

/** Metadata keys every copy carries; the first three are Nacos-Sync's, so its users' tooling keeps working. */
export const SYNC_SOURCE_KEY = 'syncSource';
export const SOURCE_CLUSTER_KEY = 'sourceClusterId';
export const DEST_CLUSTER_KEY = 'destClusterId';
export const SYNC_TASK_KEY = 'syncTaskId';

/** What a task copies: namespace, group and service (each `*` = all), minus exclude patterns. */
export interface TaskSelector {
  namespace: string;
  groupName: string;
  serviceName: string;
  /** Patterns over `service`, `group@@service` or `namespace/group@@service`, `*` wildcards. */
  exclude: readonly string[];
}

export interface CopyContext {
  taskId: string;
  sourceClusterId: string;
  sourceClusterName: string;
  targetClusterId: string;
  /**
   * Whether the target keeps persistent copies (`local`, `distro`, `nacos`: keepsPersistentCopies):
   * a persistent source instance then becomes a persistent copy. False for `zookeeper` and `etcd`,
   * whose copies are always leased (docs/sync.md, "Persistent instances"). Absent = true.
   */
  persistentCopies?: boolean;
}

/** What a copy is made from: a source instance as any registry kind reports it. */
export interface SourceInstance {
  ip: string;
  port: number;
  weight: number;
  healthy: boolean;
  enabled: boolean;
  clusterName: string;
  metadata: Metadata;
  /** False for a persistent instance (Nacos `ephemeral=false`); absent = ephemeral (zookeeper, etcd sources). */
  ephemeral?: boolean;
}

/** One copy as it is (or should be) in the target: what the ledger records. */
export interface CopyRecord {
  namespace: string;
  groupName: string;
  serviceName: string;
  clusterName: string;
  ip: string;
  port: number;
  weight: number;
  healthy: boolean;
  enabled: boolean;
  metadata: Record<string, string>;
  /**
   * False for a persistent copy (of a persistent source instance, in a target that keeps them): it
   * never lapses by the task's TTL and is withdrawn only by the task. Absent = ephemeral (the form
   * every reader writes: `ephemeral: false` or nothing, so equal copies compare equal).
   */
  ephemeral?: boolean;
}

/** Whether a copy is persistent (`ephemeral: false`). */
export function isPersistentCopy(c: Pick<CopyRecord, 'ephemeral'>): boolean {
  return c.ephemeral === false;
}

/** The `ephemeral` field of a copy read back from a ledger or a target: `{ ephemeral: false }` or nothing. */
export function persistence(ephemeral: boolean | undefined): Pick<CopyRecord, 'ephemeral'> {
  return ephemeral === false ? { ephemeral: false } : {};
}

/** A compiled selector: cheap to ask per service and per change event. */
export class ServiceSelector {
  private readonly ns: (s: string) => boolean;
  private readonly group: (s: string) => boolean;
  private readonly service: (s: string) => boolean;
  private readonly excludes: Array<(s: string) => boolean>;

  constructor(readonly selector: TaskSelector) {
    this.ns = wildcard(selector.namespace);
    this.group = wildcard(selector.groupName);
    this.service = wildcard(selector.serviceName);
    this.excludes = selector.exclude.map((p) => wildcard(p));
  }

  matches(key: ServiceKey): boolean {
    if (!this.ns(key.namespace) || !this.group(key.group) || !this.service(key.name)) return false;
    const grouped = groupedName(key.group, key.name);
    const full = `${key.namespace}/${grouped}`;
    return !this.excludes.some((ex) => ex(key.name) || ex(grouped) || ex(full));
  }
}

/**
 * The copies a task wants in its target for one source service: every source instance except
 * those that are themselves copies (they carry `sourceClusterId`), so A→B and B→A never loop.
 */
export function desiredCopies(key: ServiceKey, source: readonly SourceInstance[], ctx: CopyContext): CopyRecord[] {
  const out: CopyRecord[] = [];
  for (const inst of source) {
    if (inst.metadata[SOURCE_CLUSTER_KEY] !== undefined) continue;
    out.push({
      namespace: key.namespace,
      groupName: key.group,
      serviceName: key.name,
      clusterName: inst.clusterName,
      ip: inst.ip,
      port: inst.port,
      weight: inst.weight,
      healthy: inst.healthy,
      enabled: inst.enabled,
      ...(inst.ephemeral === false && ctx.persistentCopies !== false ? { ephemeral: false } : {}),
      metadata: {
        ...inst.metadata,
        [SYNC_SOURCE_KEY]: ctx.sourceClusterName,
        [SOURCE_CLUSTER_KEY]: ctx.sourceClusterId,
        [DEST_CLUSTER_KEY]: ctx.targetClusterId,
        [SYNC_TASK_KEY]: ctx.taskId,
      },
    });
  }
  return out;
}

/** Identity of a copy across the task: service and address. */
export function copyKey(c: CopyRecord): string {
  return `${serviceId(c)}#${copyId(c)}`;
}

/** Identity of a copy inside its service. */
export function copyId(c: Pick<CopyRecord, 'clusterName' | 'ip' | 'port'>): string {
  return `${c.clusterName}|${c.ip}:${c.port}`;
}

export function serviceId(c: Pick<CopyRecord, 'namespace' | 'groupName' | 'serviceName'>): string {
  return `${c.namespace}/${c.groupName}@@${c.serviceName}`;
}

export interface CopyDiff {
  add: CopyRecord[];
  update: CopyRecord[];
  remove: CopyRecord[];
}

/** What must change so the target (as the ledger knows it) matches the desired copies. */
export function diffCopies(desired: readonly CopyRecord[], current: readonly CopyRecord[]): CopyDiff {
  const have = new Map(current.map((c) => [`${serviceId(c)}#${copyId(c)}`, c]));
  const diff: CopyDiff = { add: [], update: [], remove: [] };
  for (const want of desired) {
    const id = `${serviceId(want)}#${copyId(want)}`;
    const got = have.get(id);
    if (!got) diff.add.push(want);
    else if (!sameCopy(want, got)) diff.update.push(want);
    have.delete(id);
  }
  diff.remove.push(...have.values());
  return diff;
}

/** Whether two copies of one instance carry the same content (weight, health, enabled flag, persistence, metadata). */
export function sameCopy(a: CopyRecord, b: CopyRecord): boolean {
  if (a.weight !== b.weight || a.healthy !== b.healthy || a.enabled !== b.enabled) return false;
  if (isPersistentCopy(a) !== isPersistentCopy(b)) return false;
  const ak = Object.keys(a.metadata);
  if (ak.length !== Object.keys(b.metadata).length) return false;
  return ak.every((k) => a.metadata[k] === b.metadata[k]);
}

/**
 * A copy as the instance a target registers: ephemeral (it lives as long as its task keeps it) or,
 * for a persistent copy, persistent (it stays until the task withdraws it).
 */
export function copyInstance(c: CopyRecord): InstanceInput {
  return {
    ip: c.ip,
    port: c.port,
    weight: c.weight,
    healthy: c.healthy,
    enabled: c.enabled,
    ephemeral: !isPersistentCopy(c),
    clusterName: c.clusterName,
    metadata: c.metadata,
  };
}
