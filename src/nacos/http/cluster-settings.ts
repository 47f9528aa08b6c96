import { Inject, Injectable } from '@nestjs/common';
import { Registry, groupedName } from '@/registry';
import type { NamingRegistry } from '@/registry';
import { parseStrictInteger } from '@/common/text-rule';
import { CheckerSpecError, parseHealthChecker } from '@/persistent/health/cluster-checker';
import type { HealthCheckerSpec } from '@/persistent/health/cluster-checker';
import { ClusterCheckers } from '@/persistent/health/cluster-checkers';
import { NacosRequestError, NacosV2ErrorCode } from './nacos-errors';
import type { NacosParams } from './nacos-params';

/**
 * `PUT /cluster` of v1 and of Nacos 3's admin API (ClusterController, ClusterControllerV3 with
 * UpdateClusterForm): how the persistent instances of a cluster are health-checked, kept in the
 * region's database.
 */
@Injectable()
export class ClusterSettings {
  constructor(
    private readonly checkers: ClusterCheckers,
    @Inject(Registry) private readonly registry: NamingRegistry,
  ) {}

  /**
   * `serviceName`*, `clusterName`*, `checkPort`* (0–65535), `useInstancePort4Check`*, `healthChecker`*
   * (JSON: `{"type":"TCP"}`, `{"type":"HTTP","path":"/health","headers":"","expectedResponseCode":200}`,
   * `{"type":"NONE"}`), `metadata`; every param is checked before anything is written.
   */
  async update(params: NacosParams): Promise<void> {
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
    await this.checkers.set({ key, cluster, healthChecker, checkPort, useInstancePort, metadata });
  }
}
