import { Controller, Delete, Get, Post, Put, Req, Res, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NamingAccessGuard } from './naming-access.guard';
import { asV2 } from './nacos-errors';
import { NacosParams } from './nacos-params';
import { NacosNamingService } from './naming.service';
import type { ServiceInfoView } from '@/nacos/view/service-info';
import { WriteForwarder } from './write-forwarder';

/** The v2 envelope of every answer. */
export interface V2Result<T> {
  code: number;
  message: string;
  data: T;
}

function success<T>(data: T): V2Result<T> {
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

  @Get('instance/list')
  list(@Req() request: FastifyRequest): V2Result<ServiceInfoView> {
    return success(asV2(() => this.naming.list(NacosParams.fromRequest(request), request.ip)));
  }

  @Get('service/list')
  serviceList(@Req() request: FastifyRequest): V2Result<{ count: number; services: string[] }> {
    const page = asV2(() => this.naming.listServices(NacosParams.fromRequest(request), 20));
    return success({ count: page.count, services: page.names });
  }

  private async write(
    request: FastifyRequest,
    reply: FastifyReply,
    apply: (params: NacosParams) => void,
  ): Promise<void> {
    const params = NacosParams.fromRequest(request);
    if (await this.forwarder.relayIfElsewhere(request, reply, params, this.naming.writeTag(params))) return;
    asV2(() => apply(params));
    await this.naming.replicated(params);
    await reply.status(200).send(success('ok'));
  }
}
