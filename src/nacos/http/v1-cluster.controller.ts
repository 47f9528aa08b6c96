import { Controller, Get, Put, Req, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { CHECKER_TYPES } from '@/persistent/health/cluster-checker';
import type { HealthCheckerSpec, HealthCheckType } from '@/persistent/health/cluster-checker';
import { NamingAccessGuard } from './naming-access.guard';
import { asV1 } from './nacos-errors';
import { NacosParams } from './nacos-params';
import { ClusterSettings } from './cluster-settings';

/**
 * Nacos v1 cluster settings (`PUT /nacos/v1/ns/cluster`) and the checker list (`GET /health/checkers`):
 * how the persistent instances of a cluster are health-checked. Kept in the region's database; the
 * node that takes the call applies it at once, the others at their next reload.
 */
@ApiTags('nacos v1')
@UseGuards(NamingAccessGuard)
@Controller('nacos/v1/ns')
export class V1ClusterController {
  constructor(private readonly settings: ClusterSettings) {}

  /**
   * `serviceName`*, `clusterName`*, `checkPort`*, `useInstancePort4Check`*, `healthChecker`* (JSON:
   * `{"type":"TCP"}`, `{"type":"HTTP","path":"/health","headers":"","expectedResponseCode":200}`,
   * `{"type":"NONE"}`), `metadata`; `ok`. As Nacos's ClusterController (2.x).
   */
  @Put('cluster')
  async update(@Req() request: FastifyRequest): Promise<string> {
    await asV1(() => this.settings.update(NacosParams.fromRequest(request)));
    return 'ok';
  }

  /** The health checkers served here, with their defaults (Nacos also lists MYSQL, which is not checked here). */
  @Get('health/checkers')
  types(): Record<HealthCheckType, HealthCheckerSpec> {
    return CHECKER_TYPES;
  }
}
