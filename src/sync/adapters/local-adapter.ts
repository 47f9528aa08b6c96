import type { Instance, NamingRegistry, ServiceKey } from '@/registry';
import { DEFAULT_CLUSTER } from '@/registry';
import { PersistentCopyConflict } from '@/persistent/persistent-copies';
import type { PersistentCopies } from '@/persistent/persistent-copies';
import {
  SYNC_TASK_KEY,
  ServiceSelector,
  copyId,
  copyInstance,
  isPersistentCopy,
  persistence,
} from '../reconcile/copy-plan';
import type { CopyRecord, TaskSelector } from '../reconcile/copy-plan';
import type { ReachabilityReport } from './registry-endpoint';
import type { ServiceSnapshot, SourceRegistry, SourceWatch } from './source-registry';
import { CopyRefusedError } from './target-registry';
import type { CopyOwner, RenewOutcome, ServiceCopies, TargetRegistry } from './target-registry';

/** What the local target needs of the region's persistent copies (src/persistent). */
export type LocalPersistentCopies = Pick<
  PersistentCopies,
  'check' | 'held' | 'list' | 'upsert' | 'remove' | 'withdrawAll'
>;

/** The id of the registry client that holds a task's copies. */
export function syncClientId(taskId: string): string {
  return `sync:${taskId}`;
}

/**
 * The registry of this process's own region, in-process: reads are direct, ephemeral copies are
 * published under the task's sync client (replicated by Distro like any other client) and kept
 * alive by one expiry renewal per task; persistent copies are persistent instances of the region
 * (its database, then every node), marked with the task's id, which only the task removes. Without
 * `persistent` (a bare registry, in tests) a persistent copy is refused.
 */
export class LocalRegistryAdapter implements SourceRegistry, TargetRegistry {
  constructor(
    private readonly registry: NamingRegistry,
    private readonly selfId: () => string,
    private readonly clock: () => number = Date.now,
    private readonly persistent?: LocalPersistentCopies,
  ) {}

  snapshot(selector: TaskSelector): Promise<ServiceSnapshot[]> {
    const select = new ServiceSelector(selector);
    const keys = this.registry
      .listServicesMatching(selector.namespace, selector.groupName, selector.serviceName)
      .filter((k) => select.matches(k));
    return Promise.resolve(keys.map((key) => ({ key, instances: this.registry.listInstances(key) })));
  }

  /** The in-process feed cannot break, so `onError` is never called. */
  watch(selector: TaskSelector, onService: (s: ServiceSnapshot) => void, _onError?: (err: Error) => void): SourceWatch {
    const select = new ServiceSelector(selector);
    const off = this.registry.events.on('serviceChanged', ({ key }) => {
      if (select.matches(key)) onService({ key, instances: this.registry.listInstances(key) });
    });
    return { close: off };
  }

  async applyCopies(owner: CopyOwner, services: ServiceCopies[]): Promise<void> {
    const clientId = syncClientId(owner.taskId);
    this.registry.adoptClient(clientId, this.selfId());
    try {
      for (const { key, copies } of services) await this.applyService(owner, key, copies);
    } finally {
      this.registry.setClientExpiry(clientId, this.clock() + owner.ttlMs);
    }
  }

  /**
   * One service: the task's persistent copies not wanted as such go first (removed, or now
   * ephemeral), then the ephemeral set replaces the sync client's there (so a copy turned
   * persistent leaves it), then the persistent copies are written.
   */
  private async applyService(owner: CopyOwner, key: ServiceKey, copies: readonly CopyRecord[]): Promise<void> {
    const persistent = copies.filter(isPersistentCopy);
    if (persistent.length > 0 && this.persistent === undefined) {
      throw new CopyRefusedError('this region keeps no persistent copies');
    }
    if (this.persistent !== undefined) {
      // Refused before anything of the service is written.
      refused(() => this.persistent!.check(owner.taskId, key, persistent.map(copyInstance)));
      const keep = new Set(persistent.map(copyId));
      const unwanted = this.persistent.held(owner.taskId, key).filter((h) => !keep.has(heldId(h.instance)));
      await this.persistent.remove(
        owner.taskId,
        key,
        unwanted.map((h) => h.instance),
      );
    }
    this.registry.batchRegister(
      syncClientId(owner.taskId),
      'sync',
      key,
      copies.filter((c) => !isPersistentCopy(c)).map(copyInstance),
      { owner: this.selfId(), attributes: { generation: owner.generation } },
    );
    if (persistent.length === 0 || this.persistent === undefined) return;
    const store = this.persistent;
    await refusedAsync(() => store.upsert(owner.taskId, key, persistent.map(copyInstance)));
  }

  /** `present` speaks of the ephemeral copies (the sync client): persistent ones never lapse. */
  renewCopies(owner: CopyOwner): Promise<RenewOutcome> {
    // A new holder may find the copies only as a replica of the previous holder's node: take them
    // over first, or they would lapse with that node's Distro renewals.
    this.registry.adoptClient(syncClientId(owner.taskId), this.selfId());
    const present = this.registry.setClientExpiry(syncClientId(owner.taskId), this.clock() + owner.ttlMs);
    return Promise.resolve({ present });
  }

  async withdrawCopies(owner: CopyOwner): Promise<void> {
    this.registry.removeClient(syncClientId(owner.taskId));
    await this.persistent?.withdrawAll(owner.taskId);
  }

  listCopies(owner: CopyOwner): Promise<CopyRecord[]> {
    const data = this.registry.exportClient(syncClientId(owner.taskId));
    const ephemeral: CopyRecord[] = (data?.publications ?? [])
      .filter((p) => p.instance.metadata?.[SYNC_TASK_KEY] === owner.taskId)
      .map((p) => ({
        namespace: p.namespace,
        groupName: p.group,
        serviceName: p.service,
        clusterName: p.instance.clusterName ?? DEFAULT_CLUSTER,
        ip: p.instance.ip,
        port: p.instance.port,
        weight: p.instance.weight ?? 1,
        healthy: p.instance.healthy ?? true,
        enabled: p.instance.enabled ?? true,
        metadata: { ...p.instance.metadata },
      }));
    const persistent = (this.persistent?.list(owner.taskId) ?? []).map(({ key, instance }) => ({
      namespace: key.namespace,
      groupName: key.group,
      serviceName: key.name,
      clusterName: instance.clusterName,
      ip: instance.ip,
      port: instance.port,
      weight: instance.weight,
      healthy: instance.healthy,
      enabled: instance.enabled,
      metadata: { ...instance.metadata },
      ...persistence(false),
    }));
    return Promise.resolve([...ephemeral, ...persistent]);
  }

  check(): Promise<ReachabilityReport> {
    return Promise.resolve({ reachable: true, latencyMs: 0, version: 'local' });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function heldId(i: Instance): string {
  return copyId({ clusterName: i.clusterName, ip: i.ip, port: i.port });
}

/** Runs `work`, telling a persistent copy the region refuses (CopyRefusedError) from a failure. */
function refused(work: () => void): void {
  try {
    work();
  } catch (err) {
    if (err instanceof PersistentCopyConflict) throw new CopyRefusedError(err.message, { cause: err });
    throw err;
  }
}

async function refusedAsync(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (err instanceof PersistentCopyConflict) throw new CopyRefusedError(err.message, { cause: err });
    throw err;
  }
}
