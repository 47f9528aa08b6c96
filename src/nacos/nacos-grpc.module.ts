import { Module } from '@nestjs/common';
import { NacosHttpModule } from '@/nacos/nacos-http.module';
import { NacosGrpcServer } from '@/nacos/grpc/nacos-grpc.server';

/**
 * The Nacos 2.x gRPC client protocol and the registry API for sync tasks, on NACOS_GRPC_PORT.
 * Reuses the Nacos auth of the HTTP edge (NACOS_AUTH_*), so one login works on both.
 */
@Module({
  imports: [NacosHttpModule],
  providers: [NacosGrpcServer],
  exports: [NacosGrpcServer],
})
export class NacosGrpcModule {}
