import { Global, Module } from '@nestjs/common';
import { AppConfig } from '@/config';
import { Registry } from '@/registry';
import { ClusterRouting } from '@/routing/cluster-routing';
import { DistroRouting } from '@/distro/distro-routing';

/**
 * Hosts the plain, Nest-free registry in the app: the one Registry instance every protocol edge
 * shares, and the ClusterRouting that says which node is responsible for what.
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
export class RegistryHostModule {}
