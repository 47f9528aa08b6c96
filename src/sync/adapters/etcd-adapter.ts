import type { CopyRecord, TaskSelector } from '../reconcile/copy-plan';
import { EtcdClient } from './etcd-client';
import type { EtcdConnection } from './etcd-client';
import { EtcdLayout } from './etcd-layouts';
import { EtcdServiceView, EtcdSource } from './etcd-source';
import { EtcdTarget } from './etcd-target';
import type { RegistryAdapter } from './registry-adapter';
import { timedCheck } from './registry-endpoint';
import type { ReachabilityReport } from './registry-endpoint';
import type { ServiceSnapshot, SourceWatch } from './source-registry';
import type { CopyOwner, RenewOutcome, ServiceCopies } from './target-registry';

/** How long the admin API's check waits for an etcd that accepts connections but does not answer. */
const CHECK_TIMEOUT_MS = 3000;

export interface EtcdClusterSettings extends EtcdConnection {
  /** `grpc-naming` (default) or `kratos`. */
  layout: string | null;
  /** The layout's key prefix; null = its default. */
  prefix: string | null;
  /** The namespace the cluster's services are in (etcd has none). */
  namespace: string;
}

/**
 * A cluster of kind `etcd`, in both roles over one etcd client: read as a source with one range
 * read and a watch (EtcdSource), written as a target with copies on a lease the holder keeps
 * alive (EtcdTarget), both through the cluster's layout (etcd-layouts.ts).
 */
export class EtcdRegistryAdapter implements RegistryAdapter {
  private readonly client: EtcdClient;
  private readonly layout: EtcdLayout;
  private readonly source: EtcdSource;
  private readonly target: EtcdTarget;

  constructor(settings: EtcdClusterSettings) {
    this.layout = EtcdLayout.of(settings.layout, settings.prefix, settings.namespace);
    this.client = new EtcdClient(settings);
    this.source = new EtcdSource(this.client, this.layout);
    this.target = new EtcdTarget(this.client, this.layout);
  }

  snapshot(selector: TaskSelector): Promise<ServiceSnapshot[]> {
    return this.source.snapshot(selector);
  }

  watch(selector: TaskSelector, onService: (s: ServiceSnapshot) => void, onError: (err: Error) => void): SourceWatch {
    return this.source.watch(selector, onService, onError);
  }

  applyCopies(owner: CopyOwner, services: ServiceCopies[]): Promise<void> {
    return this.target.applyCopies(owner, services);
  }

  renewCopies(owner: CopyOwner): Promise<RenewOutcome> {
    return this.target.renewCopies(owner);
  }

  withdrawCopies(owner: CopyOwner): Promise<void> {
    return this.target.withdrawCopies(owner);
  }

  listCopies(owner: CopyOwner): Promise<CopyRecord[]> {
    return this.target.listCopies(owner);
  }

  /** The server's version, and what the layout's prefix holds: services, instances, other keys. */
  check(): Promise<ReachabilityReport> {
    return timedCheck(async () => {
      let timer: NodeJS.Timeout | undefined;
      const silent = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`etcd did not answer within ${CHECK_TIMEOUT_MS} ms`)),
          CHECK_TIMEOUT_MS,
        );
      });
      try {
        return await Promise.race([this.inspect(), silent]);
      } finally {
        clearTimeout(timer);
      }
    });
  }

  private async inspect(): Promise<Omit<ReachabilityReport, 'reachable' | 'latencyMs'>> {
    const version = await this.client.version();
    const { kvs } = await this.client.range(this.layout.prefix);
    const view = new EtcdServiceView(this.layout);
    view.replace(kvs);
    const services = view.snapshots();
    return {
      version: `etcd ${version}`,
      layout: `${this.layout.name} under ${JSON.stringify(this.layout.prefix)}`,
      services: services.length,
      instances: services.reduce((n, s) => n + s.instances.length, 0),
      otherKeys: kvs.filter((kv) => !this.layout.isReserved(kv.key) && this.layout.read(kv.key, kv.value).length === 0)
        .length,
    };
  }

  /** Ends the watches and the connection. Copies stay on their lease until it expires: closing is not withdrawing. */
  close(): Promise<void> {
    this.source.close();
    this.target.close();
    this.client.close();
    return Promise.resolve();
  }
}
