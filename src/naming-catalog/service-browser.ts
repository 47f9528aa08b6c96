import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { Registry } from '@/registry';
import type { Instance, NamingRegistry, ServiceKey } from '@/registry';

/**
 * The metadata keys a sync task's copy carries (Nacos-Sync's own names, written by sync/reconcile):
 * the source cluster's name and the task that wrote it. An instance without them is a registration.
 */
const SYNC_SOURCE_KEY = 'syncSource';
const SYNC_TASK_KEY = 'syncTaskId';

/** The console's service page lists at most this many services of one namespace. */
export const MAX_BROWSED_SERVICES = 2000;

export interface BrowsedService {
  group: string;
  name: string;
  instances: number;
  /** Instances that are copies written by a sync task. */
  copies: number;
}

export interface BrowsedNamespace {
  namespace: string;
  services: BrowsedService[];
  /** Services in the namespace; `services` stops at MAX_BROWSED_SERVICES. */
  total: number;
}

export interface BrowsedInstance {
  ip: string;
  port: number;
  clusterName: string;
  weight: number;
  healthy: boolean;
  enabled: boolean;
  ephemeral: boolean;
  metadata: Record<string, string>;
  /** Set on a copy: the source cluster and the task that wrote it. */
  copyOf: { sourceCluster: string; taskId: string } | null;
}

/** A read of this node's registry for the console: namespaces → groups → services → instances. */
@Injectable()
export class ServiceBrowser {
  constructor(@Inject(Registry) private readonly registry: NamingRegistry) {}

  namespaces(): string[] {
    return this.registry.namespaces();
  }

  /** Sizes of the whole registry on this node. */
  counts(): { namespaces: number; services: number; instances: number } {
    const { namespaces, services, instances } = this.registry.counts();
    return { namespaces, services, instances };
  }

  /** The services of one namespace (all groups), sorted by group then name, with their copy counts. */
  services(namespace: string): BrowsedNamespace {
    const keys = this.registry
      .listServicesMatching(namespace, '*', '*')
      .filter((k) => k.namespace === namespace)
      .sort((x, y) => x.group.localeCompare(y.group) || x.name.localeCompare(y.name));
    const services = keys.slice(0, MAX_BROWSED_SERVICES).map((key) => {
      const list = this.registry.listInstances(key);
      return {
        group: key.group,
        name: key.name,
        instances: list.length,
        copies: list.filter((i) => copyOf(i) !== null).length,
      };
    });
    return { namespace, services, total: keys.length };
  }

  /** The instances of one service, each copy marked with where it came from; 404 for an unknown service. */
  instances(key: ServiceKey): BrowsedInstance[] {
    if (!this.registry.getService(key) && !this.registry.serviceMetadata(key)) {
      throw new NotFoundException(`no service ${key.name} in group ${key.group} of namespace ${key.namespace}`);
    }
    return this.registry.listInstances(key).map((i) => ({
      ip: i.ip,
      port: i.port,
      clusterName: i.clusterName,
      weight: i.weight,
      healthy: i.healthy,
      enabled: i.enabled,
      ephemeral: i.ephemeral,
      metadata: { ...i.metadata },
      copyOf: copyOf(i),
    }));
  }
}

function copyOf(i: Instance): BrowsedInstance['copyOf'] {
  const taskId = i.metadata[SYNC_TASK_KEY];
  if (taskId === undefined) return null;
  return { sourceCluster: i.metadata[SYNC_SOURCE_KEY] ?? '', taskId };
}
