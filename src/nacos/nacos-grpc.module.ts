import { Module } from '@nestjs/common';
import { NacosHttpModule } from '@/nacos/nacos-http.module';
import { NacosGrpcServer } from '@/nacos/grpc/nacos-grpc.server';
import { PersistentModule } from '@/persistent/persistent.module';

/**
 * The Nacos 2.x gRPC client protocol and the registry API for sync tasks, on NACOS_GRPC_PORT.
 * Reuses the Nacos auth of the HTTP edge (NACOS_AUTH_*), so one login works on both. The registry
 * API writes sync tasks' persistent copies through PersistentCopies (the region's database).
 */
@Module({
  imports: [NacosHttpModule, PersistentModule],
  providers: [NacosGrpcServer],
  exports: [NacosGrpcServer],
})
export class NacosGrpcModule {}
