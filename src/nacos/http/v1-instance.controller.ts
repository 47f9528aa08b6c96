import { Controller, Delete, Get, Patch, Post, Put, Req, Res, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NamingAccessGuard } from './naming-access.guard';
import { asV1 } from './nacos-errors';
import { NacosParams } from './nacos-params';
import { NacosNamingService } from './naming.service';
import type { ServiceInfoView } from '@/nacos/view/service-info';
import { NamingWriter, sendText } from './naming-writer';
import { InstanceMaintainer } from './instance-maintainer';
import type { MaintenanceResult } from './instance-maintainer';

/** Nacos Open API v1 instances (`/nacos/v1/ns/instance`), as the `nacos` npm and Java 1.x clients call it. */
@ApiTags('nacos v1')
@UseGuards(NamingAccessGuard)
@Controller('nacos/v1/ns/instance')
export class V1InstanceController {
  constructor(
    private readonly naming: NacosNamingService,
    private readonly maintainer: InstanceMaintainer,
    private readonly writer: NamingWriter,
  ) {}

  @Post()
  register(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.writer.write(request, reply, (params) => this.naming.register(params), asV1, sendText);
  }

  @Delete()
  deregister(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.writer.write(request, reply, (params) => this.naming.deregister(params), asV1, sendText);
  }

  @Put()
  update(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.writer.write(request, reply, (params) => this.naming.update(params), asV1, sendText);
  }

  /** Only the given fields among metadata, weight and enabled; forwarded to the responsible node like any write. */
  @Patch()
  patch(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const run = (params: NacosParams) => this.maintainer.patch(params, ['clusterName', 'cluster']);
    return this.writer.maintain(request, reply, run, sendText, asV1);
  }

  @Put('metadata/batch')
  batchUpdateMetadata(@Req() request: FastifyRequest): Promise<{ updated: string[] }> {
    return this.batch(request, 'update');
  }

  @Delete('metadata/batch')
  batchDeleteMetadata(@Req() request: FastifyRequest): Promise<{ updated: string[] }> {
    return this.batch(request, 'delete');
  }

  @Put('beat')
  async beat(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const result = await this.writer.beat(request, reply, asV1);
    if (result !== undefined) await reply.status(200).send(result);
  }

  @Get()
  detail(@Req() request: FastifyRequest): Record<string, unknown> {
    return asV1(() => this.naming.getInstance(NacosParams.fromRequest(request)));
  }

  /** `key`* = `(namespace##)?group@@name`: `{"ips":["ip:port_<healthy>", ...]}`, every instance of the service. */
  @Get('statuses')
  statuses(@Req() request: FastifyRequest): { ips: string[] } {
    const params = NacosParams.fromRequest(request);
    return asV1(() => this.maintainer.instanceStatuses(params.required('key')));
  }

  @Get('list')
  list(@Req() request: FastifyRequest): ServiceInfoView {
    return asV1(() => this.naming.list(NacosParams.fromRequest(request), request.ip, request.headers['user-agent']));
  }

  /** Applied here, on whichever node receives it: it may touch instances of many ip-port clients (stand-in writes). */
  private async batch(request: FastifyRequest, mode: 'update' | 'delete'): Promise<{ updated: string[] }> {
    const result: MaintenanceResult<{ updated: string[] }> = await asV1(() =>
      this.maintainer.batchMetadata(NacosParams.fromRequest(request), mode),
    );
    await this.naming.replicatedClients(result.clientIds);
    return result.answer;
  }
}
