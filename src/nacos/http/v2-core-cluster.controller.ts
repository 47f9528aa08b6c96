import { Controller, Get, Req, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { NamingAccessGuard } from './naming-access.guard';
import { asV2 } from './nacos-errors';
import { NacosParams } from './nacos-params';
import { NamingOperator } from './naming-operator';
import type { ServerView } from './naming-operator';
import { localAddress } from './v1-operator.controller';
import { success } from './naming-writer';
import type { V2Result } from './naming-writer';

/**
 * Nacos v2 core cluster reads (`/nacos/v2/core/cluster/node/*`, NacosClusterControllerV2): the
 * region's Distro members as Nacos Members; `node/self` and `node/list` also as Nacos 3 serves them
 * (`/nacos/v3/admin/core/cluster/node/*`, NacosClusterControllerV3). The member writes (`PUT /node/list`, `/lookup`,
 * `/server/leave`) are not served: membership comes from DISTRO_MEMBERS.
 */
@ApiTags('nacos v2')
@UseGuards(NamingAccessGuard)
@Controller('nacos')
export class V2CoreClusterController {
  constructor(private readonly operator: NamingOperator) {}

  @Get(['v2/core/cluster/node/self', 'v3/admin/core/cluster/node/self'])
  self(@Req() request: FastifyRequest): V2Result<ServerView> {
    return success(this.operator.self(localAddress(request)));
  }

  /** `address` (a prefix) and `state` (a NodeState, any case) filter; an unknown state 400 code 23000. */
  @Get(['v2/core/cluster/node/list', 'v3/admin/core/cluster/node/list'])
  list(@Req() request: FastifyRequest): V2Result<ServerView[]> {
    return success(asV2(() => this.operator.nodes(NacosParams.fromRequest(request), localAddress(request))));
  }

  @Get('v2/core/cluster/node/self/health')
  selfHealth(@Req() request: FastifyRequest): V2Result<string> {
    return success(this.operator.self(localAddress(request)).state);
  }
}
