import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { HealthCheckResult } from '@nestjs/terminus';
import { Database } from '@/database';
import { ReadinessGates } from './readiness';

const DB_PING_TIMEOUT_MS = 2000;

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly database: Database,
    private readonly gates: ReadinessGates,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'The process is up (liveness probe)' })
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([() => this.indicators.check('process').up({ pid: process.pid })]);
  }

  @Get('ready')
  @ApiOperation({ summary: 'The database answers and every readiness gate is open (readiness probe)' })
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([
      async () => {
        const session = this.indicators.check('database');
        return (await this.database.ping(DB_PING_TIMEOUT_MS))
          ? session.up({ embedded: this.database.embeddedMode })
          : session.down({ message: 'database unreachable' });
      },
      ...Object.entries(this.gates.states()).map(([name, state]) => () => {
        const session = this.indicators.check(name);
        return state.open ? session.up() : session.down({ message: state.reason ?? 'not open' });
      }),
    ]);
  }
}
