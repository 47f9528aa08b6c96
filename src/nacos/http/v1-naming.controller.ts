import { Controller, Get, Req, Res, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NamingAccessGuard, credentialHeaders } from './naming-access.guard';
import type { HostView } from '@/nacos/view/service-info';
import { CatalogServices } from './catalog-services';
import type { CatalogServiceView } from './catalog-services';
import { InstanceMaintainer } from './instance-maintainer';
import { asV1 } from './nacos-errors';
import { NacosParams } from './nacos-params';
import { NacosNamingService } from './naming.service';
import { ServiceNameSearch } from './service-names';
import { SubscriberAggregator, UNANSWERED_MEMBERS_HEADER } from './service-subscribers';
import type { SubscribersPage } from './service-subscribers';
import type { ServiceNames } from './service-names';

/** Nacos Open API v1 service list and the console's instance list (service CRUD and namespaces: src/naming-catalog). */
@ApiTags('nacos v1')
@UseGuards(NamingAccessGuard)
@Controller('nacos/v1')
export class V1NamingController {
  constructor(
    private readonly naming: NacosNamingService,
    private readonly maintainer: InstanceMaintainer,
    private readonly subscribersOf: SubscriberAggregator,
    private readonly names: ServiceNameSearch,
    private readonly catalog: CatalogServices,
  ) {}

  @Get('ns/service/list')
  serviceList(@Req() request: FastifyRequest): { count: number; doms: string[] } {
    const page = asV1(() => this.naming.listServices(NacosParams.fromRequest(request), 10));
    return { count: page.count, doms: page.names };
  }

  /** Grouped service names matching the regex `expr`, by namespace (`{"META-INF/services", count}` as Nacos 2.x). */
  @Get('ns/service/names')
  serviceNames(@Req() request: FastifyRequest): ServiceNames {
    return asV1(() => this.names.search(NacosParams.fromRequest(request)));
  }

  /**
   * Who subscribes to the services matching `serviceName`/`groupName` (`{subscribers, count}`), on every
   * member of the region unless `aggregation=false`; members that gave no answer are named in a header.
   */
  @Get('ns/service/subscribers')
  async subscribers(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SubscribersPage> {
    const page = await asV1(() =>
      this.subscribersOf.serviceSubscribers(NacosParams.fromRequest(request), credentialHeaders(request)),
    );
    if (page.unansweredMembers) void reply.header(UNANSWERED_MEMBERS_HEADER, page.unansweredMembers.join(','));
    return page;
  }

  /** The console's services of a namespace across every group, paged (`{count, serviceList}`, CatalogController). */
  @Get('ns/catalog/services')
  catalogServices(@Req() request: FastifyRequest): { count: number; serviceList: CatalogServiceView[] } {
    return asV1(() => this.catalog.list(NacosParams.fromRequest(request)));
  }

  /** The console's instances of one cluster, paged (`{list, count}`, CatalogController). */
  @Get('ns/catalog/instances')
  catalogInstances(@Req() request: FastifyRequest): { list: HostView[]; count: number } {
    return asV1(() => this.maintainer.catalogInstances(NacosParams.fromRequest(request)));
  }
}
