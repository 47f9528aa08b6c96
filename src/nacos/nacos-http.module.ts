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
import { ClientViews } from './http/client-views';
import { SubscriberAggregator } from './http/service-subscribers';
import { CatalogServices } from './http/catalog-services';
import { ServiceNameSearch } from './http/service-names';
import { PushTally } from './push-tally';
import { HostLoad } from './http/host-load';
import { InstanceMaintainer } from './http/instance-maintainer';
import { NamingOperator } from './http/naming-operator';
import { NamingSwitches } from './http/naming-switches';
import { V1HealthController } from './http/v1-health.controller';
import { V1OperatorController } from './http/v1-operator.controller';
import { V2ClientController } from './http/v2-client.controller';
import { V2CoreClusterController } from './http/v2-core-cluster.controller';
import { V2OperatorController } from './http/v2-operator.controller';
import { UdpPushService } from './udp/udp-push.service';
import { V1ClusterController } from './http/v1-cluster.controller';
import { V3AdminController, V3ClientController, V3InstanceController } from './http/v3-naming.controller';
import { NodeAdmin } from './http/node-admin';
import { ClusterSettings } from './http/cluster-settings';
import { NamingWriter } from './http/naming-writer';
import { PersistentModule } from '@/persistent/persistent.module';
import { PersistentHealthChecks } from '@/persistent/health/persistent-health-checks';

/** Nacos HTTP v1/v2/v3 naming, UDP push to v1 subscribers, heartbeat expiry and the optional Nacos auth. */
@Module({
  imports: [PersistentModule],
  controllers: [
    V1InstanceController,
    V1NamingController,
    V1HealthController,
    V1ClusterController,
    V1OperatorController,
    V2NamingController,
    V2OperatorController,
    V2ClientController,
    V2CoreClusterController,
    V3ClientController,
    V3InstanceController,
    V3AdminController,
    NacosAuthController,
  ],
  providers: [
    NacosNamingService,
    WriteForwarder,
    UdpPushService,
    HeartbeatExpiry,
    NacosAuthService,
    NamingAccessGuard,
    NamingSwitches,
    InstanceMaintainer,
    NamingOperator,
    ClientViews,
    SubscriberAggregator,
    CatalogServices,
    ServiceNameSearch,
    HostLoad,
    PushTally,
    NamingWriter,
    ClusterSettings,
    NodeAdmin,
  ],
  exports: [
    NacosAuthService,
    UdpPushService,
    NamingSwitches,
    PushTally,
    NacosNamingService,
    ClientViews,
    SubscriberAggregator,
  ],
})
export class NacosHttpModule {
  constructor(checks: PersistentHealthChecks, switches: NamingSwitches) {
    // Nacos's `check` switch (healthCheckEnabled) pauses the server-side health checks too.
    checks.enabled = () => switches.healthCheckEnabled;
  }
}
