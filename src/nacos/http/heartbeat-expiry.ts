import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@/config';
import { ClusterRouting } from '@/distro/cluster-routing';
import { Registry } from '@/registry';
import type { NamingRegistry } from '@/registry';

/**
 * The one periodic task that turns silent ip-port instances unhealthy and removes dead ones,
 * for the clients this node is responsible for.
 */
@Injectable()
export class HeartbeatExpiry implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(HeartbeatExpiry.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(Registry) private readonly registry: NamingRegistry,
    private readonly routing: ClusterRouting,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.run(Date.now()), this.config.nacos.beat.checkMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  run(now: number): void {
    const report = this.registry.checkExpiry(now, (clientId) => this.routing.isResponsibleForClient(clientId));
    if (report.markedUnhealthy > 0 || report.removed > 0) this.logger.debug(report, 'heartbeat expiry');
  }
}
