import { Controller, Get, Req, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { NamingAccessGuard, credentialHeaders } from '@/nacos/http/naming-access.guard';
import { asV2 } from '@/nacos/http/nacos-errors';
import { NacosParams } from '@/nacos/http/nacos-params';
import { success } from '@/nacos/http/naming-writer';
import type { V2Result } from '@/nacos/http/naming-writer';
import { StoredNamespaces } from './stored-namespaces';
import { SELECTOR_TYPES, V3ServiceQueries } from './v3-service-queries';
import type { Page, ServiceView, SubscriberInfo } from './v3-service-queries';

/**
 * The reads of Nacos 3's admin API that v2 does not have or answers otherwise: the service detail,
 * list, subscribers and selector types (`/nacos/v3/admin/ns/service/...`, ServiceControllerV3) and the
 * namespace id check (`/nacos/v3/admin/core/namespace/check`, NamespaceControllerV3). The calls v3 kept
 * as v2 has them are served by the v2 controllers on both paths.
 */
@ApiTags('nacos v3')
@UseGuards(NamingAccessGuard)
@Controller('nacos/v3/admin')
export class V3CatalogController {
  constructor(
    private readonly queries: V3ServiceQueries,
    private readonly namespaces: StoredNamespaces,
  ) {}

  @Get('ns/service')
  detail(@Req() request: FastifyRequest): V2Result<Record<string, unknown>> {
    return success(asV2(() => this.queries.detail(NacosParams.fromRequest(request))));
  }

  @Get('ns/service/list')
  list(@Req() request: FastifyRequest): V2Result<Page<ServiceView> | Page<Record<string, unknown>>> {
    return success(asV2(() => this.queries.list(NacosParams.fromRequest(request))));
  }

  @Get('ns/service/subscribers')
  async subscribers(@Req() request: FastifyRequest): Promise<V2Result<Page<SubscriberInfo>>> {
    return success(
      await asV2(() => this.queries.subscribers(NacosParams.fromRequest(request), credentialHeaders(request))),
    );
  }

  @Get('ns/service/selector/types')
  selectorTypes(): V2Result<string[]> {
    return success([...SELECTOR_TYPES]);
  }

  /** `namespaceId`*: 1 when the namespace exists (`public` included), 0 otherwise. */
  @Get('core/namespace/check')
  check(@Req() request: FastifyRequest): V2Result<number> {
    return success(
      asV2(() => {
        const params = NacosParams.fromRequest(request);
        const id = params.name('namespaceId', params.required('namespaceId')) as string;
        return this.namespaces.exists(id) ? 1 : 0;
      }),
    );
  }
}
