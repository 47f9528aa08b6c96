import { Controller, Delete, Get, Param, Patch, Post, Put, Req, Res, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NamingAccessGuard } from './naming-access.guard';
import { NacosRequestError, NacosV2ErrorCode, asV2 } from './nacos-errors';
import { NacosParams } from './nacos-params';
import { NacosNamingService } from './naming.service';
import type { BeatResult } from './naming.service';
import { InstanceMaintainer } from './instance-maintainer';
import type { MaintenanceResult } from './instance-maintainer';
import type { ServiceInfoView } from '@/nacos/view/service-info';
import { WriteForwarder } from './write-forwarder';

/** The v2 envelope of every answer. */
export interface V2Result<T> {
  code: number;
  message: string;
  data: T;
}

export function success<T>(data: T): V2Result<T> {
  return { code: 0, message: 'success', data };
}

/** Nacos Open API v2 naming (`/nacos/v2/ns`): ungrouped `serviceName` plus `groupName`, `{code, message, data}`. */
@ApiTags('nacos v2')
@UseGuards(NamingAccessGuard)
@Controller('nacos/v2/ns')
export class V2NamingController {
  constructor(
    private readonly naming: NacosNamingService,
    private readonly forwarder: WriteForwarder,
    private readonly maintainer: InstanceMaintainer,
  ) {}

  @Post('instance')
  register(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.write(request, reply, (params) => this.naming.register(params));
  }

  @Delete('instance')
  deregister(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.write(request, reply, (params) => this.naming.deregister(params));
  }

  @Put('instance')
  update(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.write(request, reply, (params) => this.naming.update(params));
  }

  /** InstanceDetailInfoVo: `{serviceName: "group@@name", ip, port, clusterName, weight, healthy, instanceId, metadata}`. */
  @Get('instance')
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
  @Put('instance/beat')
  async beat(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const params = NacosParams.fromRequest(request);
    const handled = await this.forwarder.handle(request, reply, params, this.naming.writeTag(params), () =>
      asV2(() => this.naming.beat(params)),
    );
    if (handled === undefined) return;
    const result: BeatResult = handled.value;
    await this.naming.replicated(params, true);
    await reply.status(200).send(result);
  }

  /**
   * PATCH as InstanceControllerV2 declares it: `weight`, `enabled` and `metadata` must be sent (a blank
   * `metadata` leaves it as it is), the cluster is `cluster`; answers a bare `ok` (errors keep the envelope).
   */
  @Patch('instance')
  async patch(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const params = NacosParams.fromRequest(request);
    const handled = await this.forwarder.handle(request, reply, params, this.naming.writeTag(params), () =>
      asV2(() => {
        for (const name of ['weight', 'enabled', 'metadata']) {
          if (!params.present(name)) {
            throw NacosRequestError.badParam(NacosV2ErrorCode.ParameterMissing, `Param '${name}' is required.`);
          }
        }
        return this.maintainer.patch(params, ['cluster']);
      }),
    );
    if (handled === undefined) return;
    const result = await handled.value;
    await this.naming.replicatedClients(result.clientIds);
    await reply.status(200).type('text/plain;charset=UTF-8').send(result.answer);
  }

  @Put('instance/metadata/batch')
  batchUpdateMetadata(@Req() request: FastifyRequest): Promise<V2Result<{ updated: string[] }>> {
    return this.batch(request, 'update');
  }

  @Delete('instance/metadata/batch')
  batchDeleteMetadata(@Req() request: FastifyRequest): Promise<V2Result<{ updated: string[] }>> {
    return this.batch(request, 'delete');
  }

  /** Manual health of a persistent instance (as v1); forwarded to the responsible node. */
  @Put(['health', 'health/instance'])
  async health(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const params = NacosParams.fromRequest(request);
    const handled = await this.forwarder.handle(request, reply, params, this.naming.writeTag(params), () =>
      asV2(() => this.maintainer.setHealth(params)),
    );
    if (handled === undefined) return;
    const result = await handled.value;
    await this.naming.replicatedClients(result.clientIds);
    await reply.status(200).send(success(result.answer));
  }

  /** As v1's `/instance/statuses` with the key in the path: the bare `{"ips":[...]}`, no envelope (errors keep it). */
  @Get('instance/statuses/:key')
  statuses(@Param('key') key: string): { ips: string[] } {
    return asV2(() => this.maintainer.instanceStatuses(key));
  }

  @Get('instance/list')
  list(@Req() request: FastifyRequest): V2Result<ServiceInfoView> {
    return success(
      asV2(() => this.naming.list(NacosParams.fromRequest(request), request.ip, request.headers['user-agent'])),
    );
  }

  @Get('service/list')
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

  private async write(
    request: FastifyRequest,
    reply: FastifyReply,
    apply: (params: NacosParams) => void | Promise<void>,
  ): Promise<void> {
    const params = NacosParams.fromRequest(request);
    const handled = await this.forwarder.handle(request, reply, params, this.naming.writeTag(params), () =>
      asV2(() => apply(params)),
    );
    if (handled === undefined) return;
    // A persistent write answers once its database commit is done (rejects, not applied, otherwise).
    await handled.value;
    await this.naming.replicated(params);
    await reply.status(200).send(success('ok'));
  }
}
