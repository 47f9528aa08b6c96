import { Controller, Delete, Get, Header, HttpCode, Inject, Post, Put, Req, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Registry } from '@/registry';
import type { NamingRegistry, ServiceKey } from '@/registry';
import { ClusterCheckers } from '@/persistent/health/cluster-checkers';
import { NamingAccessGuard } from '@/nacos/http/naming-access.guard';
import { NacosParams } from '@/nacos/http/nacos-params';
import { v1Answer } from './answers';
import { readServiceForm } from './service-form';
import { v1ServiceDetail } from './service-views';
import { StoredServices } from './stored-services';

/**
 * Nacos v1 service CRUD (`/nacos/v1/ns/service`, ServiceController): `serviceName` grouped or with
 * `groupName`; create stores a persistent service as Nacos does; writes answer `ok`, errors plain text.
 */
@ApiTags('nacos v1')
@UseGuards(NamingAccessGuard)
@Controller('nacos/v1/ns/service')
export class V1ServiceController {
  constructor(
    private readonly services: StoredServices,
    @Inject(Registry) private readonly registry: NamingRegistry,
    private readonly checkers: ClusterCheckers,
  ) {}

  @Post()
  @HttpCode(200)
  @Header('content-type', 'text/plain;charset=UTF-8')
  async create(@Req() request: FastifyRequest): Promise<string> {
    const params = NacosParams.fromRequest(request);
    await v1Answer(() => this.services.create(readServiceForm(params, { thresholdRequired: false, ephemeral: false })));
    return 'ok';
  }

  @Put()
  @Header('content-type', 'text/plain;charset=UTF-8')
  async update(@Req() request: FastifyRequest): Promise<string> {
    const params = NacosParams.fromRequest(request);
    await v1Answer(() => this.services.update(readServiceForm(params, { thresholdRequired: true, ephemeral: false })));
    return 'ok';
  }

  @Delete()
  @Header('content-type', 'text/plain;charset=UTF-8')
  async remove(@Req() request: FastifyRequest): Promise<string> {
    await v1Answer(() => this.services.delete(NacosParams.fromRequest(request).service()));
    return 'ok';
  }

  @Get()
  detail(@Req() request: FastifyRequest): Promise<Record<string, unknown>> {
    return v1Answer(() => this.describe(NacosParams.fromRequest(request).service()));
  }

  private describe(key: ServiceKey): Record<string, unknown> {
    return v1ServiceDetail(this.registry, key, (cluster) => this.checkers.get(key, cluster));
  }
}
