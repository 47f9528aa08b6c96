import { Controller, Get, HttpException, Put, Req, Res, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NamingAccessGuard } from './naming-access.guard';
import { asV1 } from './nacos-errors';
import { NacosParams } from './nacos-params';
import { NamingOperator } from './naming-operator';
import type { NamingMetrics, ServerView } from './naming-operator';
import { NamingSwitches, SwitchUpdateError } from './naming-switches';
import { NodeAdmin } from './node-admin';
import { PushTally } from '@/nacos/push-tally';
import type { PushState } from '@/nacos/push-tally';

/** `onlyStatus` as Nacos reads it: true unless sent as a false value. */
export function onlyStatus(params: NacosParams): boolean {
  return params.bool('onlyStatus') ?? true;
}

/** The address a request reached (`ip:port`), how a node without peers names itself. */
export function localAddress(request: FastifyRequest): string {
  const { localAddress: ip = '127.0.0.1', localPort = 0 } = request.socket;
  return `${ip.replace(/^::ffff:/, '')}:${localPort}`;
}

/**
 * Nacos v1 operator calls (`/nacos/v1/ns/operator/*`, also served as `/ops/*`): switches, servers,
 * metrics, the Distro owner of an ip-port client.
 */
@ApiTags('nacos v1')
@UseGuards(NamingAccessGuard)
@Controller(['nacos/v1/ns/operator', 'nacos/v1/ns/ops'])
export class V1OperatorController {
  constructor(
    private readonly switches: NamingSwitches,
    private readonly operator: NamingOperator,
    private readonly tally: PushTally,
    private readonly admin: NodeAdmin,
  ) {}

  /** `logName`*, `logLevel`*: one named logger's level on this node (NodeAdmin.setLogLevel); `ok`. */
  @Put('log')
  async setLogLevel(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    asV1(() => this.admin.setLogLevel(NacosParams.fromRequest(request)));
    await reply.status(200).type('text/plain;charset=UTF-8').send('ok');
  }

  @Get('switches')
  getSwitches(): Record<string, unknown> {
    return this.switches.view();
  }

  /** `entry`, `value` (and `debug`, accepted: a change here always applies to this node only). */
  @Put('switches')
  async updateSwitch(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const params = NacosParams.fromRequest(request);
    const { entry, value } = asV1(() => {
      params.bool('debug');
      return { entry: params.required('entry'), value: params.required('value') };
    });
    try {
      this.switches.update(entry, value);
    } catch (error) {
      if (error instanceof SwitchUpdateError) throw new HttpException(error.message, 400);
      throw error;
    }
    await reply.status(200).type('text/plain;charset=UTF-8').send('ok');
  }

  /** The Distro members (Nacos 1.x–2.1 `{servers: [Member]}`; `healthy=true` keeps the UP ones). */
  @Get('servers')
  servers(@Req() request: FastifyRequest): { servers: ServerView[] } {
    const params = NacosParams.fromRequest(request);
    const healthy = asV1(() => params.bool('healthy')) ?? false;
    return { servers: this.operator.servers(healthy, localAddress(request)) };
  }

  /**
   * `{succeed, total, ratio, reset}` of this node's pushes (gRPC and UDP) since start-up or the last
   * `reset=true`, which zeroes them after the answer; `detail=true` adds `detail: {}` — Nacos's
   * `avgPushCost` and `maxPushCost` are not measured here, so they are not sent.
   */
  @Get('push/state')
  pushState(@Req() request: FastifyRequest): PushState & { detail?: Record<string, never>; reset: boolean } {
    const params = NacosParams.fromRequest(request);
    const { detail, reset } = asV1(() => ({ detail: params.bool('detail'), reset: params.bool('reset') ?? false }));
    const answer: PushState & { detail?: Record<string, never>; reset: boolean } = { ...this.tally.state(), reset };
    if (detail === true) answer.detail = {};
    if (reset) this.tally.reset();
    return answer;
  }

  /** `ip`*, `port`*: `{responsibleServer}`, the member Distro makes responsible for the ip-port client `ip:port`. */
  @Get('distro/client')
  distroClient(@Req() request: FastifyRequest): { responsibleServer: string } {
    return asV1(() => this.operator.responsibleFor(NacosParams.fromRequest(request), localAddress(request)));
  }

  /** `{status}` by default (`onlyStatus=true`, what the npm client reads); every count with `onlyStatus=false`. */
  @Get('metrics')
  metrics(@Req() request: FastifyRequest): { status: string } | NamingMetrics {
    const params = NacosParams.fromRequest(request);
    if (asV1(() => onlyStatus(params))) return { status: 'UP' };
    return this.operator.metrics();
  }
}
