import { Controller, Delete, Get, Post, Put, Req, Res, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NamingAccessGuard } from './naming-access.guard';
import { asV1 } from './nacos-errors';
import { NacosParams } from './nacos-params';
import { NacosNamingService } from './naming.service';
import type { BeatResult } from './naming.service';
import type { ServiceInfoView } from '@/nacos/view/service-info';
import { WriteForwarder } from './write-forwarder';

/** Nacos Open API v1 instances (`/nacos/v1/ns/instance`), as the `nacos` npm and Java 1.x clients call it. */
@ApiTags('nacos v1')
@UseGuards(NamingAccessGuard)
@Controller('nacos/v1/ns/instance')
export class V1InstanceController {
  constructor(
    private readonly naming: NacosNamingService,
    private readonly forwarder: WriteForwarder,
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

  @Put('beat')
  async beat(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const params = NacosParams.fromRequest(request);
    if (await this.forwarder.relayIfElsewhere(request, reply, params, this.naming.writeTag(params))) return;
    const result: BeatResult = asV1(() => this.naming.beat(params));
    await this.naming.replicated(params);
    await reply.status(200).send(result);
  }

  @Get()
  detail(@Req() request: FastifyRequest): Record<string, unknown> {
    return asV1(() => this.naming.getInstance(NacosParams.fromRequest(request)));
  }

  @Get('list')
  list(@Req() request: FastifyRequest): ServiceInfoView {
    return asV1(() => this.naming.list(NacosParams.fromRequest(request), request.ip));
  }

  private async write(
    request: FastifyRequest,
    reply: FastifyReply,
    apply: (params: NacosParams) => void,
  ): Promise<void> {
    const params = NacosParams.fromRequest(request);
    if (await this.forwarder.relayIfElsewhere(request, reply, params, this.naming.writeTag(params))) return;
    asV1(() => apply(params));
    await this.naming.replicated(params);
    await reply.status(200).type('text/plain;charset=UTF-8').send('ok');
  }
}
