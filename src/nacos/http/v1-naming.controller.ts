import { Controller, Get, Req, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { NamingAccessGuard } from './naming-access.guard';
import type { HostView } from '@/nacos/view/service-info';
import { InstanceMaintainer } from './instance-maintainer';
import { asV1 } from './nacos-errors';
import { NacosParams } from './nacos-params';
import { NacosNamingService } from './naming.service';

/** Nacos Open API v1 service list and the console's instance list (service CRUD and namespaces: src/naming-catalog). */
@ApiTags('nacos v1')
@UseGuards(NamingAccessGuard)
@Controller('nacos/v1')
export class V1NamingController {
  constructor(
    private readonly naming: NacosNamingService,
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
}
