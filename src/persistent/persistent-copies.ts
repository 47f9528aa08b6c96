import { Inject, Injectable } from '@nestjs/common';
import { DEFAULT_CLUSTER, Registry, groupedName } from '@/registry';
import type { Instance, InstanceAddress, InstanceInput, NamingRegistry, ServiceKey } from '@/registry';
import { PersistentInstances } from './persistent-instances';
import { PersistentStore } from './persistent-store';

/**
 * The metadata key a sync task marks its copies with (the sync side's SYNC_TASK_KEY, Nacos-Sync's
 * name); a persistent instance carrying it is a copy that task keeps.
 */
export const SYNC_COPY_TASK_KEY = 'syncTaskId';

/** Whether an instance is a sync task's copy (its health is the source's, set by the task). */
export function isSyncCopy(metadata: Readonly<Record<string, string>> | undefined): boolean {
  return metadata?.[SYNC_COPY_TASK_KEY] !== undefined;
}

/**
 * A persistent copy was refused for what it is, as Nacos refuses it: the service holds ephemeral
 * instances, or the address holds a persistent instance that is not this task's copy. Retrying the
 * same copy cannot help; the task keeps it out on its own.
 */
export class PersistentCopyConflict extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PersistentCopyConflict';
  }
}

/** One persistent copy of a task as the region holds it. */
export interface HeldCopy {
  key: ServiceKey;
  instance: Instance;
}

/**
 * The persistent copies sync tasks keep in this region (the `local` target in-process and the
 * registry API for `distro` targets): persistent instances (PersistentInstances: database first,
 * then every node) marked with the task's id. They never lapse: only the task removes them. A copy
 * is written only when it differs from what the region holds, so re-applying a task's copies (after
 * a restart of the writer or the target) costs no database write.
 */
@Injectable()
export class PersistentCopies {
  constructor(
    @Inject(Registry) private readonly registry: NamingRegistry,
    private readonly instances: PersistentInstances,
    private readonly store: PersistentStore,
  ) {}

  /** The task's persistent copies in one service, as this node holds them. */
  held(taskId: string, key: ServiceKey): HeldCopy[] {
    return this.registry
      .listInstances(key)
      .filter((i) => !i.ephemeral && i.metadata[SYNC_COPY_TASK_KEY] === taskId)
      .map((instance) => ({ key, instance }));
  }

  /** The task's persistent copies in the services matching the patterns (`*` = any), as this node holds them. */
  list(taskId: string, namespace = '*', group = '*', service = '*'): HeldCopy[] {
    return this.registry.listServicesMatching(namespace, group, service).flatMap((key) => this.held(taskId, key));
  }

  /**
   * Adds or updates the task's persistent copies in one service (others of the task there are left
   * as they are). Rejects with PersistentCopyConflict, writing none of them, when the service holds
   * ephemeral instances or an address holds a persistent instance that is not the task's; with
   * PersistentStoreError when the database did not take a write (those before it are kept).
   */
  async upsert(taskId: string, key: ServiceKey, copies: readonly InstanceInput[]): Promise<void> {
    if (copies.length === 0) return;
    this.check(taskId, key, copies);
    for (const copy of copies) {
      const held = this.instances.find(key, copy.clusterName ?? DEFAULT_CLUSTER, copy.ip, copy.port);
      if (held !== undefined && sameInstance(held, copy)) continue;
      await this.instances.register(key, { ...copy, ephemeral: false });
    }
  }

  /** Removes the task's persistent copies at these addresses of one service (an address not the task's is left). */
  async remove(taskId: string, key: ServiceKey, addresses: readonly InstanceAddress[]): Promise<number> {
    let removed = 0;
    for (const a of addresses) {
      const cluster = a.clusterName || DEFAULT_CLUSTER;
      const held = this.instances.find(key, cluster, a.ip, a.port);
      if (held === undefined || held.metadata[SYNC_COPY_TASK_KEY] !== taskId) continue;
      await this.instances.deregister(key, cluster, a.ip, a.port);
      removed++;
    }
    return removed;
  }

  /**
   * Removes every persistent copy of the task the region's database holds — also ones this node
   * has not merged yet — and returns how many. Rejects with PersistentStoreError when the database
   * did not answer; the copies removed before stay removed (retrying finishes the rest).
   */
  async withdrawAll(taskId: string): Promise<number> {
    const rows = await this.store.loadMarked(SYNC_COPY_TASK_KEY, taskId);
    for (const row of rows) await this.instances.deregister(row.key, row.cluster, row.ip, row.port);
    return rows.length;
  }

  /** The same, keeping the copies `keep` says to keep (the registry API's `replace`). */
  async withdrawOthers(taskId: string, keep: (key: ServiceKey, address: InstanceAddress) => boolean): Promise<number> {
    let removed = 0;
    for (const row of await this.store.loadMarked(SYNC_COPY_TASK_KEY, taskId)) {
      if (keep(row.key, { clusterName: row.cluster, ip: row.ip, port: row.port })) continue;
      await this.instances.deregister(row.key, row.cluster, row.ip, row.port);
      removed++;
    }
    return removed;
  }

  /**
   * Throws PersistentCopyConflict when these persistent copies of the task cannot go into the
   * service, as Nacos 2.x refuses them: the service holds ephemeral instances (other than the
   * task's own copies at these very addresses, which a kind change replaces), or an address holds
   * a persistent instance that is not the task's copy. Writes nothing: a caller checks first.
   */
  check(taskId: string, key: ServiceKey, copies: readonly InstanceInput[]): void {
    const addresses = new Set(copies.map((c) => addressId(c.clusterName, c.ip, c.port)));
    const replaced = (i: Instance): boolean =>
      i.metadata[SYNC_COPY_TASK_KEY] === taskId && addresses.has(addressId(i.clusterName, i.ip, i.port));
    if (copies.length > 0 && this.registry.listInstances(key).some((i) => i.ephemeral && !replaced(i))) {
      // Nacos 2.x's words (PersistentClientOperationServiceImpl), as the Nacos edges answer them.
      throw new PersistentCopyConflict(
        `Current service ${groupedName(key.group, key.name)} is ephemeral service, can't register persistent instance.`,
      );
    }
    for (const copy of copies) {
      const held = this.instances.find(key, copy.clusterName ?? DEFAULT_CLUSTER, copy.ip, copy.port);
      if (held !== undefined && held.metadata[SYNC_COPY_TASK_KEY] !== taskId) {
        throw new PersistentCopyConflict(
          `${copy.ip}:${copy.port} in ${serviceLabel(key)} holds a persistent instance that is not this task's copy`,
        );
      }
    }
  }
}

function addressId(cluster: string | undefined, ip: string, port: number): string {
  return `${cluster || DEFAULT_CLUSTER}|${ip}:${port}`;
}

function serviceLabel(key: ServiceKey): string {
  return `${key.namespace}/${groupedName(key.group, key.name)}`;
}

/** Whether the region already holds the copy exactly (weight, health, enabled flag, metadata). */
function sameInstance(held: Instance, copy: InstanceInput): boolean {
  if (held.weight !== (copy.weight ?? 1) || held.healthy !== (copy.healthy !== false)) return false;
  if (held.enabled !== (copy.enabled !== false)) return false;
  const want = copy.metadata ?? {};
  const keys = Object.keys(want);
  if (keys.length !== Object.keys(held.metadata).length) return false;
  return keys.every((k) => held.metadata[k] === want[k]);
}
