import { Controller, Delete, Get, Patch, Post, Put, Req, Res, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NamingAccessGuard } from './naming-access.guard';
import { asV1 } from './nacos-errors';
import { NacosParams } from './nacos-params';
import { NacosNamingService } from './naming.service';
import type { BeatResult } from './naming.service';
import type { ServiceInfoView } from '@/nacos/view/service-info';
import { WriteForwarder } from './write-forwarder';
import { InstanceMaintainer } from './instance-maintainer';
import type { MaintenanceResult } from './instance-maintainer';

/** Nacos Open API v1 instances (`/nacos/v1/ns/instance`), as the `nacos` npm and Java 1.x clients call it. */
@ApiTags('nacos v1')
@UseGuards(NamingAccessGuard)
@Controller('nacos/v1/ns/instance')
export class V1InstanceController {
  constructor(
    private readonly naming: NacosNamingService,
    private readonly forwarder: WriteForwarder,
    private readonly maintainer: InstanceMaintainer,
  ) {}

  @Post()
  register(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.write(request, reply, (params) => this.naming.register(params));
  }

  @Delete()
  deregister(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.write(request, reply, (params) => this.naming.deregister(params));
  }

  @Put()
  update(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.write(request, reply, (params) => this.naming.update(params));
  }

  /** Only the given fields among metadata, weight and enabled; forwarded to the responsible node like any write. */
  @Patch()
  async patch(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const params = NacosParams.fromRequest(request);
    const handled = await this.forwarder.handle(request, reply, params, this.naming.writeTag(params), () =>
      asV1(() => this.maintainer.patch(params, ['clusterName', 'cluster'])),
    );
    if (handled === undefined) return;
    const result = await handled.value;
    await this.naming.replicatedClients(result.clientIds);
    await reply.status(200).type('text/plain;charset=UTF-8').send(result.answer);
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
    const params = NacosParams.fromRequest(request);
    const handled = await this.forwarder.handle(request, reply, params, this.naming.writeTag(params), () =>
      asV1(() => this.naming.beat(params)),
    );
    if (handled === undefined) return;
    const result: BeatResult = handled.value;
    await this.naming.replicated(params, true);
    await reply.status(200).send(result);
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

  private async write(
    request: FastifyRequest,
    reply: FastifyReply,
    apply: (params: NacosParams) => void | Promise<void>,
  ): Promise<void> {
    const params = NacosParams.fromRequest(request);
    const handled = await this.forwarder.handle(request, reply, params, this.naming.writeTag(params), () =>
      asV1(() => apply(params)),
    );
    if (handled === undefined) return;
    // A persistent write answers once its database commit is done (rejects, not applied, otherwise).
    await handled.value;
    await this.naming.replicated(params);
    await reply.status(200).type('text/plain;charset=UTF-8').send('ok');
  }
}
