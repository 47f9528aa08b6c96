import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ClusterRouting } from '@/routing/cluster-routing';
import { Registry } from '@/registry';
import { NacosBeatConfig } from './heartbeat.config';
import { NamingSwitches } from './naming-switches';
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
    private readonly beat: NacosBeatConfig,
    private readonly switches: NamingSwitches,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.run(Date.now()), this.beat.checkMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  run(now: number): void {
    // The `check` switch (healthCheckEnabled=false): Nacos skips its beat checks, instances keep their health.
    if (!this.switches.healthCheckEnabled) return;
    const report = this.registry.checkExpiry(now, (clientId) => this.routing.isResponsibleForClient(clientId));
    if (report.markedUnhealthy > 0 || report.removed > 0) this.logger.debug(report, 'heartbeat expiry');
  }
}
