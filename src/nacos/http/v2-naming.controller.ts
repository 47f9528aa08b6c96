import { Controller, Delete, Get, Param, Patch, Post, Put, Req, Res, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NamingAccessGuard } from './naming-access.guard';
import { asV2 } from './nacos-errors';
import { NacosParams } from './nacos-params';
import { NacosNamingService } from './naming.service';
import { InstanceMaintainer } from './instance-maintainer';
import type { Maintenance, MaintenanceResult } from './instance-maintainer';
import type { ServiceInfoView } from '@/nacos/view/service-info';
import { NamingWriter, sendEnvelope, sendText, success } from './naming-writer';
import type { V2Result } from './naming-writer';

/** Where Nacos 3 serves what the v2 call does, the same way (its admin API, and the client API's DELETE). */
const V3_ADMIN = 'v3/admin/ns';

/**
 * Nacos Open API v2 naming (`/nacos/v2/ns`): ungrouped `serviceName` plus `groupName`, `{code, message, data}`.
 * The calls Nacos 3 kept unchanged in its admin API (`/nacos/v3/admin/ns/...`: instance writes, the
 * metadata batches, manual health) are served here on both paths.
 */
@ApiTags('nacos v2')
@UseGuards(NamingAccessGuard)
@Controller('nacos')
export class V2NamingController {
  constructor(
    private readonly naming: NacosNamingService,
    private readonly maintainer: InstanceMaintainer,
    private readonly writer: NamingWriter,
  ) {}

  @Post(['v2/ns/instance', `${V3_ADMIN}/instance`])
  register(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.writer.write(request, reply, (params) => this.naming.register(params));
  }

  @Delete(['v2/ns/instance', `${V3_ADMIN}/instance`, 'v3/client/ns/instance'])
  deregister(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.writer.write(request, reply, (params) => this.naming.deregister(params));
  }

  @Put(['v2/ns/instance', `${V3_ADMIN}/instance`])
  update(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.writer.write(request, reply, (params) => this.naming.update(params));
  }

  /** InstanceDetailInfoVo: `{serviceName: "group@@name", ip, port, clusterName, weight, healthy, instanceId, metadata}`. */
  @Get('v2/ns/instance')
  detail(@Req() request: FastifyRequest): V2Result<Record<string, unknown>> {
    return success(
      asV2(() => {
        const params = NacosParams.fromRequest(request);
        const { service, ...rest } = this.naming.getInstance(params);
        return { serviceName: service, ...rest };
      }),
    );
  }

  /** As v1: the bare `{clientBeatInterval, code, lightBeatEnabled}`, no envelope (errors keep it). */
  @Put('v2/ns/instance/beat')
  async beat(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const result = await this.writer.beat(request, reply, asV2);
    if (result !== undefined) await reply.status(200).send(result);
  }

  /**
   * PATCH as InstanceControllerV2 declares it: `weight`, `enabled` and `metadata` must be sent (a blank
   * `metadata` leaves it as it is), the cluster is `cluster`; answers a bare `ok` (errors keep the envelope).
   */
  @Patch('v2/ns/instance')
  patch(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const run = (params: NacosParams): Maintenance<'ok'> => {
      for (const name of ['weight', 'enabled', 'metadata']) {
        if (!params.present(name)) throw params.missing(name);
      }
      return this.maintainer.patch(params, ['cluster']);
    };
    return this.writer.maintain(request, reply, run, sendText);
  }

  @Put(['v2/ns/instance/metadata/batch', `${V3_ADMIN}/instance/metadata/batch`])
  batchUpdateMetadata(@Req() request: FastifyRequest): Promise<V2Result<{ updated: string[] }>> {
    return this.batch(request, 'update');
  }

  @Delete(['v2/ns/instance/metadata/batch', `${V3_ADMIN}/instance/metadata/batch`])
  batchDeleteMetadata(@Req() request: FastifyRequest): Promise<V2Result<{ updated: string[] }>> {
    return this.batch(request, 'delete');
  }

  /** Manual health of a persistent instance (as v1); forwarded to the responsible node. */
  @Put(['v2/ns/health', 'v2/ns/health/instance', `${V3_ADMIN}/health/instance`])
  health(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.writer.maintain(request, reply, (params) => this.maintainer.setHealth(params), sendEnvelope);
  }

  /** As v1's `/instance/statuses` with the key in the path: the bare `{"ips":[...]}`, no envelope (errors keep it). */
  @Get('v2/ns/instance/statuses/:key')
  statuses(@Param('key') key: string): { ips: string[] } {
    return asV2(() => this.maintainer.instanceStatuses(key));
  }

  @Get('v2/ns/instance/list')
  list(@Req() request: FastifyRequest): V2Result<ServiceInfoView> {
    return success(
      asV2(() => this.naming.list(NacosParams.fromRequest(request), request.ip, request.headers['user-agent'])),
    );
  }

  @Get('v2/ns/service/list')
  serviceList(@Req() request: FastifyRequest): V2Result<{ count: number; services: string[] }> {
    const page = asV2(() => this.naming.listServices(NacosParams.fromRequest(request), 20));
    return success({ count: page.count, services: page.names });
  }

  private async batch(request: FastifyRequest, mode: 'update' | 'delete'): Promise<V2Result<{ updated: string[] }>> {
    const result: MaintenanceResult<{ updated: string[] }> = await asV2(() =>
      this.maintainer.batchMetadata(NacosParams.fromRequest(request), mode),
    );
    await this.naming.replicatedClients(result.clientIds);
    return success(result.answer);
  }
}
