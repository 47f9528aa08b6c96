import { Global, Module } from '@nestjs/common';
import { Registry } from '@/registry';
import { ClusterRouting, StandaloneRouting } from '@/distro/cluster-routing';

/**
 * Hosts the plain, Nest-free registry in the app: the one Registry instance every protocol edge
 * shares, and the ClusterRouting that says which node is responsible for what.
 */
@Global()
@Module({
  providers: [
    { provide: Registry, useFactory: () => new Registry() },
    { provide: ClusterRouting, useClass: StandaloneRouting },
  ],
  exports: [Registry, ClusterRouting],
})
export class RegistryHostModule {}
