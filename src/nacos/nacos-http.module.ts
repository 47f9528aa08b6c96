import { Module } from '@nestjs/common';
import { NacosAuthController } from './http/nacos-auth.controller';
import { NacosAuthService } from './auth/nacos-auth.service';
import { NamingAccessGuard } from './http/naming-access.guard';
import { HeartbeatExpiry } from './http/heartbeat-expiry';
import { NacosNamingService } from './http/naming.service';
import { V1InstanceController } from './http/v1-instance.controller';
import { V1NamingController } from './http/v1-naming.controller';
import { V2NamingController } from './http/v2-naming.controller';
import { WriteForwarder } from './http/write-forwarder';
import { UdpPushService } from './udp/udp-push.service';

/** Nacos HTTP v1/v2 naming, UDP push to v1 subscribers, heartbeat expiry and the optional Nacos auth. */
@Module({
  controllers: [V1InstanceController, V1NamingController, V2NamingController, NacosAuthController],
  providers: [NacosNamingService, WriteForwarder, UdpPushService, HeartbeatExpiry, NacosAuthService, NamingAccessGuard],
  exports: [NacosAuthService, UdpPushService],
})
export class NacosHttpModule {}
