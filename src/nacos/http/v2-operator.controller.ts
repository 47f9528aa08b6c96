import { Controller, Get, Put, Req, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { NamingAccessGuard } from './naming-access.guard';
import { NacosRequestError, NacosV2ErrorCode, asV2 } from './nacos-errors';
import { NacosParams } from './nacos-params';
import { NamingOperator, metricsWithout } from './naming-operator';
import type { NamingMetrics } from './naming-operator';
import { NamingSwitches, SwitchUpdateError } from './naming-switches';
import { onlyStatus } from './v1-operator.controller';
import { success } from './naming-writer';
import type { V2Result } from './naming-writer';

/** MetricsInfoVo: v1's metrics without the responsible service and instance counts. */
type V2Metrics = Omit<NamingMetrics, 'responsibleServiceCount' | 'responsibleInstanceCount'>;

/**
 * Nacos v2 operator calls (`/nacos/v2/ns/operator/*`, also `/ops/*`): switches and metrics in the envelope.
 * Nacos 3's admin API serves the switches unchanged (`/nacos/v3/admin/ns/ops/switches`); its metrics differ
 * (V3AdminController).
 */
@ApiTags('nacos v2')
@UseGuards(NamingAccessGuard)
@Controller('nacos')
export class V2OperatorController {
  constructor(
    private readonly switches: NamingSwitches,
    private readonly operator: NamingOperator,
  ) {}

  @Get(['v2/ns/operator/switches', 'v2/ns/ops/switches', 'v3/admin/ns/ops/switches'])
  getSwitches(): V2Result<Record<string, unknown>> {
    return success(this.switches.view());
  }

  /**
   * A bad value, or an entry that is read-only or unknown here, is a 400 with code 20002. (Nacos's
   * OperatorControllerV2 answers a bad value with 500 and code 30000; a refused input is never a 5xx here.)
   */
  @Put(['v2/ns/operator/switches', 'v2/ns/ops/switches', 'v3/admin/ns/ops/switches'])
  updateSwitch(@Req() request: FastifyRequest): V2Result<string> {
    const params = NacosParams.fromRequest(request);
    asV2(() => {
      params.bool('debug');
      const entry = params.required('entry');
      const value = params.required('value');
      try {
        this.switches.update(entry, value);
      } catch (error) {
        if (!(error instanceof SwitchUpdateError)) throw error;
        throw NacosRequestError.badParam(NacosV2ErrorCode.ParameterValidateError, error.message);
      }
    });
    return success('ok');
  }

  @Get(['v2/ns/operator/metrics', 'v2/ns/ops/metrics'])
  metrics(@Req() request: FastifyRequest): V2Result<{ status: string } | V2Metrics> {
    const params = NacosParams.fromRequest(request);
    if (asV2(() => onlyStatus(params))) return success({ status: 'UP' });
    return success(metricsWithout(this.operator.metrics(), ['responsibleServiceCount', 'responsibleInstanceCount']));
  }
}
