import { Controller, Delete, Get, HttpException, HttpStatus, Put, Req, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { NamingAccessGuard } from './naming-access.guard';
import { asV2 } from './nacos-errors';
import { NacosParams } from './nacos-params';
import { NamingOperator } from './naming-operator';
import type { ServerView } from './naming-operator';
import { localAddress } from './v1-operator.controller';
import { NodeAdmin } from './node-admin';
import { success } from './naming-writer';
import type { V2Result } from './naming-writer';

/**
 * Nacos v2 core cluster calls (`/nacos/v2/core/cluster/*`, NacosClusterControllerV2), also as Nacos 3
 * serves them (`/nacos/v3/admin/core/cluster/*`, NacosClusterControllerV3): the region's Distro members
 * as Nacos Members; a report of members up (probed at once here); the addressing mode, which
 * DISTRO_MEMBERS or DISTRO_MEMBERS_DNS sets at start.
 */
@ApiTags('nacos v2')
@UseGuards(NamingAccessGuard)
@Controller('nacos')
export class V2CoreClusterController {
  constructor(
    private readonly operator: NamingOperator,
    private readonly admin: NodeAdmin,
  ) {}

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

  /** A JSON list of Members reported up: `true`; each one that is a peer here is probed now. */
  @Put(['v2/core/cluster/node/list', 'v3/admin/core/cluster/node/list'])
  reportNodes(@Req() request: FastifyRequest): V2Result<boolean> {
    asV2(() => this.admin.reportNodes(request.body));
    return success(true);
  }

  /** `type`* (`file`, `address-server`): `true` for the mode in use; another is set at start (400). */
  @Put(['v2/core/cluster/lookup', 'v3/admin/core/cluster/lookup'])
  lookup(@Req() request: FastifyRequest): V2Result<boolean> {
    asV2(() => this.admin.switchLookup(NacosParams.fromRequest(request)));
    return success(true);
  }

  /** Refused as Nacos 2 refuses it (its RestResult code 405), with HTTP 405 here. */
  @Delete('v2/core/cluster/nodes')
  leave(): never {
    throw new HttpException(
      { code: 405, message: 'DELETE /v2/core/cluster/nodes API not allow to use temporarily.', data: null },
      HttpStatus.METHOD_NOT_ALLOWED,
    );
  }
}
