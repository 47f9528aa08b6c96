import { Controller, Put, Req, Res, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NamingAccessGuard } from './naming-access.guard';
import { asV1 } from './nacos-errors';
import { NacosParams } from './nacos-params';
import { NacosNamingService } from './naming.service';
import { InstanceMaintainer } from './instance-maintainer';
import { WriteForwarder } from './write-forwarder';

/** Nacos v1 manual health (`PUT /nacos/v1/ns/health[/instance]`): persistent instances only, as in Nacos. */
@ApiTags('nacos v1')
@UseGuards(NamingAccessGuard)
@Controller('nacos/v1/ns/health')
export class V1HealthController {
  constructor(
    private readonly naming: NacosNamingService,
    private readonly forwarder: WriteForwarder,
    private readonly maintainer: InstanceMaintainer,
  ) {}

  @Put(['', 'instance'])
  async update(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const params = NacosParams.fromRequest(request);
    const handled = await this.forwarder.handle(request, reply, params, this.naming.writeTag(params), () =>
      asV1(() => this.maintainer.setHealth(params)),
    );
    if (handled === undefined) return;
    const result = await handled.value;
    await this.naming.replicatedClients(result.clientIds);
    await reply.status(200).type('text/plain;charset=UTF-8').send(result.answer);
  }
}
