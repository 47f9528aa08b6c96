import { Injectable } from '@nestjs/common';
import type { ServiceKey } from '@/registry';
import { PersistentStore, describeStoreError } from '../persistent-store';
import { storeFailure } from '../persistent-store-error';
import { DEFAULT_CLUSTER_CHECKER, clusterKey } from './cluster-checker';
import type { ClusterChecker, StoredClusterChecker } from './cluster-checker';

/**
 * The health checker of each cluster, kept in the region's database and cached on every node: the
 * node that changes one caches it at once, the others at their next reload (NACOS_PERSISTENT_RELOAD_MS).
 * The health checks read the cache; the manual health API reads the database, so a cluster just set
 * to NONE takes manual health on every node at once.
 */
@Injectable()
export class ClusterCheckers {
  private cache = new Map<string, StoredClusterChecker>();

  constructor(private readonly store: PersistentStore) {}

  /** The cluster's checker as this node last knew it; TCP on the instance's port when none was set. */
  get(key: ServiceKey, cluster: string): ClusterChecker {
    return this.cache.get(clusterKey(key, cluster)) ?? DEFAULT_CLUSTER_CHECKER;
  }

  /** The cluster's checker as the database holds it now (and cached); rejects with PersistentStoreError. */
  async current(key: ServiceKey, cluster: string): Promise<ClusterChecker> {
    const stored = await this.store.findChecker(key, cluster).catch((err: unknown) => {
      const failure = describeStoreError(err);
      throw storeFailure(err, failure.kind, failure.detail, 'the write (it needs the cluster health checker)');
    });
    if (stored === undefined) return DEFAULT_CLUSTER_CHECKER;
    this.cache.set(clusterKey(key, cluster), stored);
    return stored;
  }

  /** Creates or replaces a cluster's checker: in the database first, then here; rejects with PersistentStoreError. */
  async set(checker: StoredClusterChecker): Promise<void> {
    await this.store.saveChecker(checker).catch((err: unknown) => {
      const failure = describeStoreError(err);
      throw storeFailure(err, failure.kind, failure.detail, 'the cluster health checker write');
    });
    this.cache.set(clusterKey(checker.key, checker.cluster), checker);
  }

  /** Reads every checker from the database (start-up and each reload). */
  async reload(): Promise<void> {
    const next = new Map<string, StoredClusterChecker>();
    for (const checker of await this.store.loadCheckers()) next.set(clusterKey(checker.key, checker.cluster), checker);
    this.cache = next;
  }
}
