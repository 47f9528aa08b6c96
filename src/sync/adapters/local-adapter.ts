import type { NamingRegistry } from '@/registry';
import { DEFAULT_CLUSTER } from '@/registry';
import { SYNC_TASK_KEY, ServiceSelector, copyInstance } from '../reconcile/copy-plan';
import type { CopyRecord, TaskSelector } from '../reconcile/copy-plan';
import type { ReachabilityReport } from './registry-endpoint';
import type { ServiceSnapshot, SourceRegistry, SourceWatch } from './source-registry';
import type { CopyOwner, RenewOutcome, ServiceCopies, TargetRegistry } from './target-registry';

/** The id of the registry client that holds a task's copies. */
export function syncClientId(taskId: string): string {
  return `sync:${taskId}`;
}

/**
 * The registry of this process's own region, in-process: reads are direct, copies are published
 * under the task's sync client (replicated by Distro like any other client) and kept alive by
 * one expiry renewal per task.
 */
export class LocalRegistryAdapter implements SourceRegistry, TargetRegistry {
  constructor(
    private readonly registry: NamingRegistry,
    private readonly selfId: () => string,
    private readonly clock: () => number = Date.now,
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

  applyCopies(owner: CopyOwner, services: ServiceCopies[]): Promise<void> {
    const clientId = syncClientId(owner.taskId);
    this.registry.adoptClient(clientId, this.selfId());
    for (const { key, copies } of services) {
      this.registry.batchRegister(clientId, 'sync', key, copies.map(copyInstance), {
        owner: this.selfId(),
        attributes: { generation: owner.generation },
      });
    }
    this.registry.setClientExpiry(clientId, this.clock() + owner.ttlMs);
    return Promise.resolve();
  }

  renewCopies(owner: CopyOwner): Promise<RenewOutcome> {
    // A new holder may find the copies only as a replica of the previous holder's node: take them
    // over first, or they would lapse with that node's Distro renewals.
    this.registry.adoptClient(syncClientId(owner.taskId), this.selfId());
    const present = this.registry.setClientExpiry(syncClientId(owner.taskId), this.clock() + owner.ttlMs);
    return Promise.resolve({ present });
  }

  withdrawCopies(owner: CopyOwner): Promise<void> {
    this.registry.removeClient(syncClientId(owner.taskId));
    return Promise.resolve();
  }

  listCopies(owner: CopyOwner): Promise<CopyRecord[]> {
    const data = this.registry.exportClient(syncClientId(owner.taskId));
    if (!data) return Promise.resolve([]);
    return Promise.resolve(
      data.publications
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
        })),
    );
  }

  check(): Promise<ReachabilityReport> {
    return Promise.resolve({ reachable: true, latencyMs: 0, version: 'local' });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
