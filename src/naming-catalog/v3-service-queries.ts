import { Inject, Injectable } from '@nestjs/common';
import { GROUP_SEPARATOR, Registry } from '@/registry';
import type { NamingRegistry, ServiceKey } from '@/registry';
import { ClusterCheckers } from '@/persistent/health/cluster-checkers';
import { NacosRequestError, NacosV2ErrorCode } from '@/nacos/http/nacos-errors';
import { MAX_PAGE_SIZE } from '@/nacos/http/nacos-params';
import type { NacosParams } from '@/nacos/http/nacos-params';
import { NacosNamingService } from '@/nacos/http/naming.service';
import { SubscriberAggregator } from '@/nacos/http/service-subscribers';
import type { PeerHeaders } from '@/nacos/http/naming-access.guard';
import { contains, javaPattern } from '@/nacos/http/service-names';
import { hostView } from '@/nacos/view/service-info';
import { v3ServiceDetail } from './service-views';

/** Nacos's Page (PageUtil.subPage): the items of one page and what the whole list holds. */
export interface Page<T> {
  totalCount: number;
  pageNumber: number;
  pagesAvailable: number;
  pageItems: T[];
}

/** Nacos's ServiceView, an item of the v3 service list. */
export interface ServiceView {
  name: string;
  groupName: string;
  clusterCount: number;
  ipCount: number;
  healthyInstanceCount: number;
  triggerFlag: 'true' | 'false';
}

/** Nacos 3's SubscriberInfo, an item of the v3 subscriber list. */
export interface SubscriberInfo {
  namespaceId: string;
  groupName: string;
  serviceName: string;
  ip: string;
  port: number;
  agent: string;
  appName: string;
}

/** Nacos 3's supported selector types (SelectorManager.getAllSelectorTypes), as served here. */
export const SELECTOR_TYPES: readonly string[] = ['none', 'label'];

/** A page of `items` as PageUtil.subPage cuts it: a page past the end is empty. */
export function subPage<T>(items: readonly T[], pageNo: number, pageSize: number): Page<T> {
  const start = (pageNo - 1) * pageSize;
  return {
    totalCount: items.length,
    pageNumber: pageNo,
    pagesAvailable: Math.ceil(items.length / pageSize),
    pageItems: items.slice(start, start + pageSize),
  };
}

/**
 * Nacos 3's PageForm: `pageNo` (default 1) and `pageSize` (default 100) must be integers of at least 1,
 * else 400 code 20002 in its words; `pageSize` is capped at 500 here.
 */
export function pageForm(params: NacosParams): { pageNo: number; pageSize: number } {
  const read = (name: string, fallback: number): number => {
    const value = params.integer(name);
    if (value === undefined) return fallback;
    if (value < 1) {
      throw NacosRequestError.badParam(
        NacosV2ErrorCode.ParameterValidateError,
        `Required parameter '${name}' should be positive integer, current is ${value}`,
      );
    }
    return value;
  };
  return { pageNo: read('pageNo', 1), pageSize: Math.min(read('pageSize', 100), MAX_PAGE_SIZE) };
}

/** The reads of Nacos 3's admin service API (ServiceControllerV3) that differ from v2's. */
@Injectable()
export class V3ServiceQueries {
  constructor(
    @Inject(Registry) private readonly registry: NamingRegistry,
    private readonly checkers: ClusterCheckers,
    private readonly naming: NacosNamingService,
    private readonly subscribersOf: SubscriberAggregator,
  ) {}

  detail(params: NacosParams): Record<string, unknown> {
    const key = params.service();
    return v3ServiceDetail(this.registry, key, (cluster) => this.checkers.get(key, cluster));
  }

  /**
   * `namespaceId`, `groupNameParam` and `serviceNameParam` (Nacos's fuzzy regex `.*g.*@@.*s.*`),
   * `ignoreEmptyService`, `withInstances`, `pageNo`, `pageSize`: a Page of ServiceViews, or with
   * `withInstances=true` of the services' instances by cluster, as CatalogServiceV2Impl pages them.
   */
  list(params: NacosParams): Page<ServiceView> | Page<Record<string, unknown>> {
    const namespace = params.namespace();
    const group = contains('groupNameParam', params.optional('groupNameParam') ?? '');
    const name = contains('serviceNameParam', params.optional('serviceNameParam') ?? '');
    const ignoreEmpty = params.bool('ignoreEmptyService') === true;
    const withInstances = params.bool('withInstances') === true;
    const { pageNo, pageSize } = pageForm(params);
    const pattern = javaPattern([group, GROUP_SEPARATOR, name]);
    let keys = this.registry
      .listServicesMatching(namespace, '*', '*')
      .filter((key) => pattern.test(`${key.group}${GROUP_SEPARATOR}${key.name}`))
      .sort((a, b) => a.group.localeCompare(b.group) || a.name.localeCompare(b.name));
    if (withInstances) {
      const page = subPage(keys, pageNo, pageSize);
      return { ...page, pageItems: page.pageItems.map((key) => this.withInstances(key)) };
    }
    if (ignoreEmpty) keys = keys.filter((key) => (this.registry.getService(key)?.instanceCount ?? 0) > 0);
    const page = subPage(keys, pageNo, pageSize);
    return { ...page, pageItems: page.pageItems.map((key) => this.serviceView(key)) };
  }

  /**
   * `serviceName`*, `groupName`, `namespaceId`, `aggregation` (default true: every member of the region,
   * as v1's call), `pageNo`, `pageSize`: the subscribers of that one service.
   */
  async subscribers(params: NacosParams, headers: PeerHeaders = {}): Promise<Page<SubscriberInfo>> {
    const key = params.service();
    const aggregation = params.bool('aggregation') ?? true;
    const { pageNo, pageSize } = pageForm(params);
    const { merged } = await this.subscribersOf.regionSubscribers(params, key, aggregation, headers);
    // The members match names as v1 does (contains): this call names one service exactly.
    const serviceName = `${key.group}${GROUP_SEPARATOR}${key.name}`;
    const infos = merged
      .filter((view) => view.namespaceId === key.namespace && view.serviceName === serviceName)
      .map((view) => ({
        namespaceId: key.namespace,
        groupName: key.group,
        serviceName: key.name,
        ip: view.ip,
        port: view.port,
        agent: view.agent,
        appName: view.app,
      }));
    return subPage(infos, pageNo, pageSize);
  }

  private serviceView(key: ServiceKey): ServiceView {
    const instances = this.registry.listInstances(key);
    const healthy = instances.filter((instance) => instance.healthy).length;
    const threshold = this.registry.serviceMetadata(key)?.protectThreshold ?? 0;
    return {
      name: key.name,
      groupName: key.group,
      clusterCount: this.registry.getService(key)?.clusters.length ?? 0,
      ipCount: instances.length,
      healthyInstanceCount: healthy,
      // Java's `healthy * 1.0 / ipCount <= threshold`: NaN (no instances) compares false.
      triggerFlag: instances.length > 0 && healthy / instances.length <= threshold ? 'true' : 'false',
    };
  }

  /** A ServiceDetailInfo as `withInstances` fills it: name, group, metadata, and the hosts by cluster only. */
  private withInstances(key: ServiceKey): Record<string, unknown> {
    const clusterMap: Record<string, Record<string, unknown>> = {};
    for (const instance of this.registry.listInstances(key)) {
      const cluster = (clusterMap[instance.clusterName] ??= {
        clusterName: null,
        healthChecker: null,
        healthyCheckPort: 80,
        useInstancePortForCheck: true,
        metadata: null,
        hosts: [],
      });
      (cluster.hosts as unknown[]).push(hostView(instance, this.naming.timings));
    }
    return {
      namespaceId: null,
      serviceName: key.name,
      groupName: key.group,
      clusterMap,
      metadata: { ...(this.registry.serviceMetadata(key)?.metadata ?? {}) },
      protectThreshold: 0,
      selector: null,
      ephemeral: null,
    };
  }
}
