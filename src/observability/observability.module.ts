import { Global, Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { LogLevels } from './log-levels';
import { Metrics } from './metrics';
import { MetricsController } from './metrics.controller';
import { ReadinessGates } from './readiness';

@Global()
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController, MetricsController],
  providers: [Metrics, ReadinessGates],
  exports: [Metrics, ReadinessGates],
})
export class ObservabilityModule {
  /** With the node's LogLevels (made with its root logger, before Nest starts). */
  static forRoot(levels: LogLevels): DynamicModule {
    return {
      module: ObservabilityModule,
      providers: [{ provide: LogLevels, useValue: levels }],
      exports: [LogLevels],
    };
  }
}
