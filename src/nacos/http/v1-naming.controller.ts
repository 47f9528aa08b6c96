import { Controller, Get, Inject, Req, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Registry } from '@/registry';
import type { NamingRegistry } from '@/registry';
import { NamingAccessGuard } from './naming-access.guard';
import type { HostView } from '@/nacos/view/service-info';
import { InstanceMaintainer } from './instance-maintainer';
import { asV1 } from './nacos-errors';
import { NacosParams } from './nacos-params';
import { NacosNamingService } from './naming.service';

/** Nacos Open API v1 services, the console's instance list and namespace list. */
@ApiTags('nacos v1')
@UseGuards(NamingAccessGuard)
@Controller('nacos/v1')
export class V1NamingController {
  constructor(
    private readonly naming: NacosNamingService,
    @Inject(Registry) private readonly registry: NamingRegistry,
    private readonly maintainer: InstanceMaintainer,
  ) {}

  @Get('ns/service/list')
  serviceList(@Req() request: FastifyRequest): { count: number; doms: string[] } {
    const page = asV1(() => this.naming.listServices(NacosParams.fromRequest(request), 10));
    return { count: page.count, doms: page.names };
  }

  /** The console's instances of one cluster, paged (`{list, count}`, CatalogController). */
  @Get('ns/catalog/instances')
  catalogInstances(@Req() request: FastifyRequest): { list: HostView[]; count: number } {
    return asV1(() => this.maintainer.catalogInstances(NacosParams.fromRequest(request)));
  }

  @Get('console/namespaces')
  namespaces(): { code: number; message: null; data: Array<Record<string, unknown>> } {
    const data = this.registry.namespaces().map((name) =>
      name === 'public'
        ? {
            namespace: '',
            namespaceShowName: 'public',
            namespaceDesc: 'Public Namespace',
            quota: 200,
            configCount: 0,
            type: 0,
          }
        : { namespace: name, namespaceShowName: name, namespaceDesc: '', quota: 200, configCount: 0, type: 2 },
    );
    data.sort((a, b) => a.type - b.type);
    return { code: 200, message: null, data };
  }
}
