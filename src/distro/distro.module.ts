import { Module } from '@nestjs/common';
import { DistroController } from './distro.controller';
import { DistroService } from './distro.service';

/** Distro: the peer gRPC server, the replication engine and the operator status endpoint. */
@Module({
  controllers: [DistroController],
  providers: [DistroService],
  exports: [DistroService],
})
export class DistroModule {}
