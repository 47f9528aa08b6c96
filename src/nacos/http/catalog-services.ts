import { Inject, Injectable } from '@nestjs/common';
import { Registry } from '@/registry';
import type { NamingRegistry, ServiceKey } from '@/registry';
import { NacosRequestError, NacosV2ErrorCode } from './nacos-errors';
import { MAX_PAGE_SIZE } from './nacos-params';
import type { NacosParams } from './nacos-params';

/** One service as the console's catalog lists it (Nacos's ServiceView). */
export interface CatalogServiceView {
  name: string;
  groupName: string;
  clusterCount: number;
  ipCount: number;
  healthyInstanceCount: number;
  /** "true" when the share of healthy instances is at or below the protect threshold (Nacos's isProtectThreshold). */
  triggerFlag: 'true' | 'false';
}

/**
 * Nacos's console catalog of services (`GET /nacos/v1/ns/catalog/services`, CatalogController with
 * `withInstances=false`): the services of one namespace **across every group** — the one Nacos 1.x/2.x
 * listing that is not per group, which sync tasks reading a Nacos with `*` groups rely on. A service
 * matches when its group contains `groupNameParam` and its name contains `serviceNameParam` (Nacos's
 * fuzzy match; both empty = all); `hasIpCount=true` leaves out services without instances. Ordered by
 * group, then name, and paged (`pageNo` from 1, `pageSize` default 20, at most 500); `count` is the total.
 */
@Injectable()
export class CatalogServices {
  constructor(@Inject(Registry) private readonly registry: NamingRegistry) {}

  list(params: NacosParams): { count: number; serviceList: CatalogServiceView[] } {
    if (params.bool('withInstances') === true) {
      throw NacosRequestError.badParam(
        NacosV2ErrorCode.ParameterValidateError,
        "Param 'withInstances' true (the service details with their instances) is not served; read each service's instances with /nacos/v1/ns/instance/list.",
      );
    }
    const namespace = params.namespace();
    const group = params.name('groupNameParam', params.optional('groupNameParam')) ?? '';
    const service = params.name('serviceNameParam', params.optional('serviceNameParam')) ?? '';
    const pageNo = params.pageNumber('pageNo', 1);
    const pageSize = params.positiveInt('pageSize', 20, MAX_PAGE_SIZE);
    const ignoreEmpty = params.bool('hasIpCount') ?? false;
    const views: CatalogServiceView[] = [];
    for (const key of this.registry.listServicesMatching(namespace, '*', '*')) {
      if (!key.group.includes(group) || !key.name.includes(service)) continue;
      const view = this.view(key);
      if (!ignoreEmpty || view.ipCount > 0) views.push(view);
    }
    views.sort((a, b) => compare(a.groupName, b.groupName) || compare(a.name, b.name));
    const start = (pageNo - 1) * pageSize;
    return { count: views.length, serviceList: views.slice(start, start + pageSize) };
  }

  private view(key: ServiceKey): CatalogServiceView {
    const instances = this.registry.listInstances(key);
    const healthy = instances.filter((each) => each.healthy).length;
    // As Nacos's catalog computes it (not the list's protection): healthy share of every instance at or
    // below the threshold, 0 for a service without stored metadata; never for a service without instances.
    const threshold = Math.fround(this.registry.serviceMetadata(key)?.protectThreshold ?? 0);
    return {
      name: key.name,
      groupName: key.group,
      clusterCount: new Set(instances.map((each) => each.clusterName)).size,
      ipCount: instances.length,
      healthyInstanceCount: healthy,
      triggerFlag: instances.length > 0 && healthy / instances.length <= threshold ? 'true' : 'false',
    };
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
