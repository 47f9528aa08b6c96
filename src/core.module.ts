import { Global, Module } from '@nestjs/common';
import { AppConfig } from '@/config';
import { Registry } from '@/registry';
import { ClusterRouting } from '@/routing/cluster-routing';
import { DistroRouting } from '@/distro/distro-routing';

/**
 * The node's core, as global providers: the one Registry instance every protocol edge shares (the
 * plain, Nest-free registry), and the ClusterRouting that says which node is responsible for what,
 * bound here to Distro's. Part of the composition root beside app.module.ts: it may import any part,
 * and no part imports it.
 */
@Global()
@Module({
  providers: [
    {
      provide: Registry,
      inject: [AppConfig],
      useFactory: (config: AppConfig) =>
        new Registry({ unhealthyAfterMs: config.nacos.beat.unhealthyMs, deleteAfterMs: config.nacos.beat.deleteMs }),
    },
    // Distro's routing behaves as StandaloneRouting when no members are configured.
    DistroRouting,
    { provide: ClusterRouting, useExisting: DistroRouting },
  ],
  exports: [Registry, ClusterRouting, DistroRouting],
})
export class CoreModule {}
