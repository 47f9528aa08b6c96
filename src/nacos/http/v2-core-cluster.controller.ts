import { Controller, Get, Req, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { NamingAccessGuard } from './naming-access.guard';
import { NacosRequestError, NacosV2ErrorCode, asV2 } from './nacos-errors';
import { NacosParams } from './nacos-params';
import { NamingOperator } from './naming-operator';
import type { ServerView } from './naming-operator';
import { localAddress } from './v1-operator.controller';
import { success } from './v2-naming.controller';
import type { V2Result } from './v2-naming.controller';

/** Nacos's NodeState names; a member here is only ever UP, SUSPICIOUS or DOWN. */
const NODE_STATES = ['STARTING', 'UP', 'SUSPICIOUS', 'DOWN', 'ISOLATION'];

/**
 * Nacos v2 core cluster reads (`/nacos/v2/core/cluster/node/*`, NacosClusterControllerV2): the
 * region's Distro members as Nacos Members. The member writes (`PUT /node/list`, `/lookup`,
 * `/server/leave`) are not served: membership comes from DISTRO_MEMBERS.
 */
@ApiTags('nacos v2')
@UseGuards(NamingAccessGuard)
@Controller('nacos/v2/core/cluster')
export class V2CoreClusterController {
  constructor(private readonly operator: NamingOperator) {}

  @Get('node/self')
  self(@Req() request: FastifyRequest): V2Result<ServerView> {
    return success(this.operator.self(localAddress(request)));
  }

  /** `address` (a prefix) and `state` (a NodeState, any case) filter; an unknown state 400 code 23000. */
  @Get('node/list')
  list(@Req() request: FastifyRequest): V2Result<ServerView[]> {
    const params = NacosParams.fromRequest(request);
    return success(
      asV2(() => {
        const address = params.optional('address')?.trim() || undefined;
        const raw = params.optional('state')?.trim() || undefined;
        const state = raw?.toUpperCase();
        if (state !== undefined && !NODE_STATES.includes(state)) {
          throw NacosRequestError.badParam(NacosV2ErrorCode.IllegalState, `Illegal state: ${raw}`);
        }
        return this.operator.nodes(address, state, localAddress(request));
      }),
    );
  }

  @Get('node/self/health')
  selfHealth(@Req() request: FastifyRequest): V2Result<string> {
    return success(this.operator.self(localAddress(request)).state);
  }
}
