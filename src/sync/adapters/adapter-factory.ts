import { Injectable } from '@nestjs/common';
import type { ClusterKind } from '../entities';
import type { ClusterEntity } from '../entities';
import type { ClusterSecrets } from '../clusters/credential-sealer';
import type { RegistryAdapter } from './registry-adapter';

export type AdapterBuilder = (cluster: ClusterEntity, secrets: ClusterSecrets) => RegistryAdapter;

/** Builds the adapter for a cluster by its kind; each kind's module registers its builder. */
@Injectable()
export class AdapterFactory {
  private readonly builders = new Map<ClusterKind, AdapterBuilder>();

  register(kind: ClusterKind, builder: AdapterBuilder): void {
    this.builders.set(kind, builder);
  }

  supports(kind: ClusterKind): boolean {
    return this.builders.has(kind);
  }

  create(cluster: ClusterEntity, secrets: ClusterSecrets): RegistryAdapter {
    const builder = this.builders.get(cluster.kind);
    if (!builder) throw new Error(`no adapter for clusters of kind ${cluster.kind}`);
    return builder(cluster, secrets);
  }
}
