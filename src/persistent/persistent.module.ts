import { Module } from '@nestjs/common';
import { ClusterCheckers } from './health/cluster-checkers';
import { PersistentHealthChecks } from './health/persistent-health-checks';
import { PersistentCopies } from './persistent-copies';
import { PersistentInstances } from './persistent-instances';
import { PersistentStore } from './persistent-store';

/**
 * Persistent instances (`ephemeral=false`) kept in the region's database and loaded by every node,
 * the health checker of each cluster, and the server-side TCP/HTTP checks of the instances this node
 * is responsible for. The Nacos edges write through PersistentInstances; ephemeral writes never come here.
 * PersistentCopies is the part sync tasks write their persistent copies through (the `local` target
 * and the registry API serving `distro` targets).
 */
@Module({
  providers: [PersistentStore, ClusterCheckers, PersistentInstances, PersistentHealthChecks, PersistentCopies],
  exports: [PersistentInstances, ClusterCheckers, PersistentHealthChecks, PersistentCopies],
})
export class PersistentModule {}
