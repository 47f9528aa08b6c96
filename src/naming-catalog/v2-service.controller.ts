import { Controller, Delete, Get, HttpCode, Inject, Post, Put, Req, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Registry } from '@/registry';
import type { NamingRegistry, ServiceKey } from '@/registry';
import { ClusterCheckers } from '@/persistent/health/cluster-checkers';
import { NamingAccessGuard } from '@/nacos/http/naming-access.guard';
import { NacosParams } from '@/nacos/http/nacos-params';
import { success } from '@/nacos/http/naming-writer';
import type { V2Result } from '@/nacos/http/naming-writer';
import { v2Answer } from './answers';
import { readServiceForm } from './service-form';
import { v2ServiceDetail } from './service-views';
import { StoredServices } from './stored-services';

/**
 * Nacos v2 service CRUD (`/nacos/v2/ns/service`, ServiceControllerV2 with ServiceForm): `serviceName`
 * with `groupName`; create stores `ephemeral` (default false); answers in the v2 envelope. Nacos 3's admin
 * API creates, updates and deletes the same way (`/nacos/v3/admin/ns/service`, ServiceControllerV3), so
 * those are served on both paths; its detail differs (V3CatalogController).
 */
@ApiTags('nacos v2')
@UseGuards(NamingAccessGuard)
@Controller('nacos')
export class V2ServiceController {
  constructor(
    private readonly services: StoredServices,
    @Inject(Registry) private readonly registry: NamingRegistry,
    private readonly checkers: ClusterCheckers,
  ) {}

  @Post(['v2/ns/service', 'v3/admin/ns/service'])
  @HttpCode(200)
  async create(@Req() request: FastifyRequest): Promise<V2Result<string>> {
    await v2Answer(() => {
      const params = NacosParams.fromRequest(request);
      const ephemeral = params.bool('ephemeral') ?? false;
      return this.services.create(readServiceForm(params, { thresholdRequired: false, ephemeral }));
    });
    return success('ok');
  }

  @Put(['v2/ns/service', 'v3/admin/ns/service'])
  async update(@Req() request: FastifyRequest): Promise<V2Result<string>> {
    await v2Answer(() => {
      const params = NacosParams.fromRequest(request);
      return this.services.update(readServiceForm(params, { thresholdRequired: false, ephemeral: false }));
    });
    return success('ok');
  }

  @Delete(['v2/ns/service', 'v3/admin/ns/service'])
  async remove(@Req() request: FastifyRequest): Promise<V2Result<string>> {
    await v2Answer(() => this.services.delete(NacosParams.fromRequest(request).service()));
    return success('ok');
  }

  @Get('v2/ns/service')
  async detail(@Req() request: FastifyRequest): Promise<V2Result<Record<string, unknown>>> {
    return success(await v2Answer(() => this.describe(NacosParams.fromRequest(request).service())));
  }

  private describe(key: ServiceKey): Record<string, unknown> {
    return v2ServiceDetail(this.registry, key, (cluster) => this.checkers.get(key, cluster));
  }
}
