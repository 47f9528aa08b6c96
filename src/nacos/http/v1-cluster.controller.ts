import { Controller, Get, Inject, Put, Req, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Registry, groupedName } from '@/registry';
import type { NamingRegistry } from '@/registry';
import { parseStrictInteger } from '@/common/text-rule';
import { CHECKER_TYPES, CheckerSpecError, parseHealthChecker } from '@/persistent/health/cluster-checker';
import type { HealthCheckerSpec, HealthCheckType } from '@/persistent/health/cluster-checker';
import { ClusterCheckers } from '@/persistent/health/cluster-checkers';
import { NamingAccessGuard } from './naming-access.guard';
import { NacosRequestError, NacosV2ErrorCode, asV1 } from './nacos-errors';
import { NacosParams } from './nacos-params';

/**
 * Nacos v1 cluster settings (`PUT /nacos/v1/ns/cluster`) and the checker list (`GET /health/checkers`):
 * how the persistent instances of a cluster are health-checked. Kept in the region's database; the
 * node that takes the call applies it at once, the others at their next reload.
 */
@ApiTags('nacos v1')
@UseGuards(NamingAccessGuard)
@Controller('nacos/v1/ns')
export class V1ClusterController {
  constructor(
    private readonly checkers: ClusterCheckers,
    @Inject(Registry) private readonly registry: NamingRegistry,
  ) {}

  /**
   * `serviceName`*, `clusterName`*, `checkPort`*, `useInstancePort4Check`*, `healthChecker`* (JSON:
   * `{"type":"TCP"}`, `{"type":"HTTP","path":"/health","headers":"","expectedResponseCode":200}`,
   * `{"type":"NONE"}`), `metadata`; `ok`. As Nacos's ClusterController (2.x).
   */
  @Put('cluster')
  async update(@Req() request: FastifyRequest): Promise<string> {
    await asV1(() => {
      const params = NacosParams.fromRequest(request);
      const key = params.service();
      const cluster = params.name('clusterName', params.required('clusterName')) as string;
      const checkPort = parseStrictInteger(params.required('checkPort'));
      if (checkPort === undefined || checkPort > 65535) {
        throw NacosRequestError.badParam(
          NacosV2ErrorCode.ParameterValidateError,
          "Param 'checkPort' must be an integer 0-65535.",
        );
      }
      params.required('useInstancePort4Check');
      const useInstancePort = params.bool('useInstancePort4Check') as boolean;
      let healthChecker: HealthCheckerSpec;
      try {
        healthChecker = parseHealthChecker(params.required('healthChecker'));
      } catch (err) {
        if (!(err instanceof CheckerSpecError)) throw err;
        throw NacosRequestError.badParam(NacosV2ErrorCode.ParameterValidateError, err.message);
      }
      const metadata = params.metadata() ?? {};
      if (this.registry.getService(key) === undefined) {
        throw NacosRequestError.badParam(
          NacosV2ErrorCode.ServiceNotExist,
          `service not found:${groupedName(key.group, key.name)}`,
        );
      }
      return this.checkers.set({ key, cluster, healthChecker, checkPort, useInstancePort, metadata });
    });
    return 'ok';
  }

  /** The health checkers served here, with their defaults (Nacos also lists MYSQL, which is not checked here). */
  @Get('health/checkers')
  types(): Record<HealthCheckType, HealthCheckerSpec> {
    return CHECKER_TYPES;
  }
}
