import { status as GrpcStatus } from '@grpc/grpc-js';
import type { RegistryInstance, ServiceSnapshot as WireSnapshot } from '@/registry-api';
import { DEFAULT_CLUSTER } from '@/registry';
import type { CopyRecord, TaskSelector } from '../reconcile/copy-plan';
import { SYNC_TASK_KEY, ServiceSelector, isPersistentCopy, persistence } from '../reconcile/copy-plan';
import { grpcAddresses } from './cluster-addresses';
import { RegistryApiClient } from './registry-api.client';
import type { PublishItem } from './registry-api.client';
import { timedCheck } from './registry-endpoint';
import type { ReachabilityReport } from './registry-endpoint';
import type { ServiceSnapshot, SourceRegistry, SourceWatch } from './source-registry';
import type { CopyOwner, RenewOutcome, ServiceCopies, TargetRegistry } from './target-registry';

const PAGE_SIZE = 500;
const WATCH_BACKOFF_MS = [500, 1000, 2000, 5000, 10000];

/**
 * Another distro-sync region, over its registry API (proto/registry/v1) on the Nacos gRPC port:
 * ephemeral copies live under the task's sync client and are kept alive by one renewal per task;
 * persistent copies (`Instance.persistent`) are persistent instances of that region, in its
 * database, until the task withdraws them. Calls go to the first address that answers; a failing
 * address sends the next call to the next one.
 */
export class DistroRegistryAdapter implements SourceRegistry, TargetRegistry {
  private readonly addresses: string[];
  private current = 0;
  private client: RegistryApiClient;
  private readonly watches = new Set<{ stop(): void }>();

  constructor(
    addresses: readonly string[],
    private readonly token: string | undefined,
    private readonly timeoutMs = 5000,
  ) {
    this.addresses = grpcAddresses(addresses);
    if (this.addresses.length === 0) throw new Error('a distro cluster needs at least one address');
    this.client = this.connect();
  }

  async snapshot(selector: TaskSelector): Promise<ServiceSnapshot[]> {
    const select = new ServiceSelector(selector);
    const out: ServiceSnapshot[] = [];
    for (const s of await this.listAll(selector, '')) {
      const snap = toSnapshot(s);
      if (select.matches(snap.key)) out.push(snap);
    }
    return out;
  }

  watch(selector: TaskSelector, onService: (s: ServiceSnapshot) => void, onError: (err: Error) => void): SourceWatch {
    const select = new ServiceSelector(selector);
    let stopped = false;
    let attempt = 0;
    let cancel: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const open = (): void => {
      if (stopped) return;
      const watch = this.client.watch(wireSelector(selector), (event) => {
        attempt = 0;
        const snap = toSnapshot(event.service);
        if (select.matches(snap.key)) onService(snap);
      });
      cancel = () => watch.cancel();
      void watch.ended.then((end) => {
        if (stopped) return;
        // The source went away or refused: report, move to the next address, and watch again.
        onError(
          new Error(`watch of ${this.addresses[this.current]} ended: ${'details' in end ? end.details : end.message}`),
        );
        this.rotate();
        timer = setTimeout(open, WATCH_BACKOFF_MS[Math.min(attempt++, WATCH_BACKOFF_MS.length - 1)]);
      });
    };
    open();
    const handle = {
      stop: () => {
        stopped = true;
        clearTimeout(timer);
        cancel?.();
      },
    };
    this.watches.add(handle);
    return {
      close: () => {
        handle.stop();
        this.watches.delete(handle);
      },
    };
  }

  async applyCopies(owner: CopyOwner, services: ServiceCopies[]): Promise<void> {
    const upserts = services.flatMap((s) => s.copies.map(toItem));
    const removed = services.flatMap((s) => s.removed.map(toItem));
    await this.call((c) => c.publish(owner.taskId, upserts, { ttlMs: owner.ttlMs, replace: false }));
    if (removed.length > 0) await this.call((c) => c.withdraw(owner.taskId, removed));
  }

  async renewCopies(owner: CopyOwner): Promise<RenewOutcome> {
    try {
      await this.call((c) => c.renew(owner.taskId, owner.ttlMs));
      return { present: true };
    } catch (err) {
      // Expired or never published (a restarted target): the caller re-applies from its ledger.
      if ((err as { code?: number }).code === GrpcStatus.NOT_FOUND) return { present: false };
      throw err;
    }
  }

  async withdrawCopies(owner: CopyOwner): Promise<void> {
    try {
      await this.call((c) => c.withdraw(owner.taskId, 'all'));
    } catch (err) {
      if ((err as { code?: number }).code !== GrpcStatus.NOT_FOUND) throw err;
    }
  }

  async listCopies(owner: CopyOwner): Promise<CopyRecord[]> {
    const all = { namespace: '*', groupName: '*', serviceName: '*', exclude: [] };
    const out: CopyRecord[] = [];
    for (const s of await this.listAll(all, owner.taskId)) {
      for (const i of s.instances) {
        if (i.metadata[SYNC_TASK_KEY] !== owner.taskId) continue;
        out.push({
          namespace: s.namespace,
          groupName: s.group,
          serviceName: s.service,
          clusterName: i.cluster_name || DEFAULT_CLUSTER,
          ip: i.ip,
          port: i.port,
          weight: i.weight,
          healthy: i.healthy,
          enabled: i.enabled,
          metadata: { ...i.metadata },
          ...persistence(!i.persistent),
        });
      }
    }
    return out;
  }

  check(): Promise<ReachabilityReport> {
    return timedCheck(async () => {
      await this.call((c) =>
        c.list({ namespace: DEFAULT_NS, group_pattern: '*', service_pattern: '*' }, { page_size: 1 }),
      );
      return { version: 'distro-sync registry.v1' };
    }, describe);
  }

  close(): Promise<void> {
    for (const w of this.watches) w.stop();
    this.watches.clear();
    this.client.close();
    return Promise.resolve();
  }

  private async listAll(selector: TaskSelector, taskId: string): Promise<WireSnapshot[]> {
    const out: WireSnapshot[] = [];
    let token = '';
    do {
      const page = await this.call((c) =>
        c.list(wireSelector(selector), { task_id: taskId, page_size: PAGE_SIZE, page_token: token }),
      );
      out.push(...page.services);
      token = page.next_page_token;
    } while (token);
    return out;
  }

  /** One call on the current address; an unreachable address moves the next call to the next one. */
  private async call<T>(work: (c: RegistryApiClient) => Promise<T>): Promise<T> {
    try {
      return await work(this.client);
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code === GrpcStatus.UNAVAILABLE || code === GrpcStatus.DEADLINE_EXCEEDED) this.rotate();
      throw new Error(describe(err), { cause: err });
    }
  }

  private rotate(): void {
    if (this.addresses.length < 2) return;
    this.client.close();
    this.current = (this.current + 1) % this.addresses.length;
    this.client = this.connect();
  }

  private connect(): RegistryApiClient {
    return new RegistryApiClient(this.addresses[this.current], {
      token: this.token,
      timeoutMs: this.timeoutMs,
    });
  }
}

const DEFAULT_NS = 'public';

function wireSelector(s: TaskSelector): { namespace: string; group_pattern: string; service_pattern: string } {
  return { namespace: s.namespace, group_pattern: s.groupName, service_pattern: s.serviceName };
}

function toSnapshot(s: WireSnapshot): ServiceSnapshot {
  return {
    key: { namespace: s.namespace, group: s.group, name: s.service },
    instances: s.instances.map((i: RegistryInstance) => ({
      ip: i.ip,
      port: i.port,
      weight: i.weight,
      healthy: i.healthy,
      enabled: i.enabled,
      clusterName: i.cluster_name || DEFAULT_CLUSTER,
      metadata: i.metadata,
      ...persistence(!i.persistent),
    })),
  };
}

function toItem(c: CopyRecord): PublishItem {
  return {
    namespace: c.namespace,
    group: c.groupName,
    service: c.serviceName,
    instance: {
      ip: c.ip,
      port: c.port,
      weight: c.weight,
      healthy: c.healthy,
      enabled: c.enabled,
      clusterName: c.clusterName,
      metadata: c.metadata,
      persistent: isPersistentCopy(c),
    },
  };
}

function describe(err: unknown): string {
  const e = err as { code?: number; details?: string; message?: string };
  if (typeof e.code === 'number' && e.details !== undefined) return `${GrpcStatus[e.code] ?? e.code}: ${e.details}`;
  return e.message ?? String(err);
}
