import { Controller, Get, Req, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { NamingAccessGuard } from './naming-access.guard';
import { asV2 } from './nacos-errors';
import { NacosParams } from './nacos-params';
import { ClientViews } from './client-views';
import { success } from './naming-writer';
import type { V2Result } from './naming-writer';

/**
 * Nacos v2 client views (`/nacos/v2/ns/client/*`, ClientInfoControllerV2): which clients the region
 * holds, which node holds each, what it publishes and subscribes to. Nacos 3 serves them unchanged in
 * its admin API (`/nacos/v3/admin/ns/client/*`, ClientControllerV3), so both paths are served here.
 */
@ApiTags('nacos v2')
@UseGuards(NamingAccessGuard)
@Controller(['nacos/v2/ns/client', 'nacos/v3/admin/ns/client'])
export class V2ClientController {
  constructor(private readonly views: ClientViews) {}

  @Get('list')
  list(): V2Result<string[]> {
    return success(this.views.list());
  }

  @Get()
  detail(@Req() request: FastifyRequest): V2Result<Record<string, unknown>> {
    return success(asV2(() => this.views.detail(NacosParams.fromRequest(request))));
  }

  @Get('publish/list')
  published(@Req() request: FastifyRequest): V2Result<Array<Record<string, unknown>>> {
    return success(asV2(() => this.views.published(NacosParams.fromRequest(request))));
  }

  @Get('subscribe/list')
  subscribed(@Req() request: FastifyRequest): V2Result<unknown[]> {
    return success(asV2(() => this.views.subscribed(NacosParams.fromRequest(request))));
  }

  @Get('service/publisher/list')
  publishers(@Req() request: FastifyRequest): V2Result<Array<Record<string, unknown>>> {
    return success(asV2(() => this.views.publishers(NacosParams.fromRequest(request))));
  }

  @Get('service/subscriber/list')
  subscribers(@Req() request: FastifyRequest): V2Result<unknown[]> {
    return success(asV2(() => this.views.subscribers(NacosParams.fromRequest(request))));
  }
}
