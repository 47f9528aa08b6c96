import { Controller, Get, Post, Put, Req, Res, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CHECKER_TYPES } from '@/persistent/health/cluster-checker';
import type { HealthCheckerSpec, HealthCheckType } from '@/persistent/health/cluster-checker';
import { hostView } from '@/nacos/view/service-info';
import type { HostView } from '@/nacos/view/service-info';
import { NamingAccessGuard } from './naming-access.guard';
import { NacosV2ErrorCode, asV2 } from './nacos-errors';
import { NacosParams } from './nacos-params';
import { BEAT_OK, NacosNamingService } from './naming.service';
import { InstanceMaintainer } from './instance-maintainer';
import { NamingOperator, metricsWithout } from './naming-operator';
import type { NamingMetrics } from './naming-operator';
import { ClusterSettings } from './cluster-settings';
import { NamingWriter, sendEnvelope, success } from './naming-writer';
import type { V2Result } from './naming-writer';
import { localAddress, onlyStatus } from './v1-operator.controller';
import { NodeAdmin } from './node-admin';

/**
 * Nacos 3's client API (`/nacos/v3/client/ns/instance`, InstanceOpenApiController): register (or, with
 * `heartBeat=true`, beat) and list; its DELETE is v2's and served by V2NamingController.
 */
@ApiTags('nacos v3')
@UseGuards(NamingAccessGuard)
@Controller('nacos/v3/client/ns/instance')
export class V3ClientController {
  constructor(
    private readonly naming: NacosNamingService,
    private readonly writer: NamingWriter,
  ) {}

  /**
   * InstanceForm; `heartBeat=true` only beats the instance (forwarded like a write): `"ok"`, or for an
   * instance that is not there HTTP 200 with code 21003, telling the caller to register again.
   */
  @Post()
  async register(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const params = NacosParams.fromRequest(request);
    if (asV2(() => params.bool('heartBeat')) !== true) {
      return this.writer.write(request, reply, (each) => this.naming.register(each));
    }
    const result = await this.writer.beat(request, reply, asV2, (each) => this.naming.formBeat(each));
    if (result === undefined) return;
    const notFound = { code: NacosV2ErrorCode.InstanceNotFound, message: 'instance not found', data: null };
    await reply.status(200).send(result.code === BEAT_OK ? success('ok') : notFound);
  }

  /** `serviceName`*, `groupName`, `namespaceId`, `clusterName` (DEFAULT): the cluster's enabled instances. */
  @Get('list')
  list(@Req() request: FastifyRequest): V2Result<HostView[]> {
    return success(asV2(() => this.naming.clusterHosts(NacosParams.fromRequest(request))));
  }
}

/**
 * Nacos 3's admin instance reads and partial update (`/nacos/v3/admin/ns/instance`, InstanceControllerV3);
 * its register, deregister, update and metadata batches are v2's, served by V2NamingController.
 */
@ApiTags('nacos v3')
@UseGuards(NamingAccessGuard)
@Controller('nacos/v3/admin/ns/instance')
export class V3InstanceController {
  constructor(
    private readonly naming: NacosNamingService,
    private readonly maintainer: InstanceMaintainer,
    private readonly writer: NamingWriter,
  ) {}

  /** The Instance at `ip`:`port` in `clusterName` (DEFAULT); 404 code 20004 when it is not there. */
  @Get()
  detail(@Req() request: FastifyRequest): V2Result<HostView> {
    return success(
      asV2(() => hostView(this.naming.addressedInstance(NacosParams.fromRequest(request)), this.naming.timings)),
    );
  }

  /** Only the sent fields among `metadata`, `weight` and `enabled`, in `clusterName` (as v1's PATCH). */
  @Put('partial')
  partial(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.writer.maintain(
      request,
      reply,
      (params) => this.maintainer.patch(params, ['clusterName']),
      sendEnvelope,
    );
  }

  /** Every instance of `clusterName` (DEFAULT), disabled ones included; `healthyOnly`; 404 for an unknown one. */
  @Get('list')
  list(@Req() request: FastifyRequest): V2Result<HostView[]> {
    return success(asV2(() => this.naming.allClusterHosts(NacosParams.fromRequest(request))));
  }
}

/** What Nacos 3's MetricsInfo leaves out of v1's metrics: the responsible service and instance counts, the host load. */
const V3_LEFT_OUT = ['responsibleServiceCount', 'responsibleInstanceCount', 'cpu', 'load', 'mem'] as const;
type V3Metrics = Omit<NamingMetrics, (typeof V3_LEFT_OUT)[number]>;

/**
 * The rest of Nacos 3's naming admin API (`/nacos/v3/admin/ns/...`): metrics (OperatorControllerV3),
 * cluster settings (ClusterControllerV3), the checker types (HealthControllerV3), the Distro member
 * responsible for a client (ClientControllerV3).
 */
@ApiTags('nacos v3')
@UseGuards(NamingAccessGuard)
@Controller('nacos/v3/admin/ns')
export class V3AdminController {
  constructor(
    private readonly operator: NamingOperator,
    private readonly settings: ClusterSettings,
    private readonly admin: NodeAdmin,
  ) {}

  /** `logName`*, `logLevel`*: one named logger's level on this node (NodeAdmin.setLogLevel); `"ok"`. */
  @Put('ops/log')
  setLogLevel(@Req() request: FastifyRequest): V2Result<string> {
    asV2(() => this.admin.setLogLevel(NacosParams.fromRequest(request)));
    return success('ok');
  }

  /** `onlyStatus` (true): `{status}`, else every count. */
  @Get('ops/metrics')
  metrics(@Req() request: FastifyRequest): V2Result<{ status: string } | V3Metrics> {
    const params = NacosParams.fromRequest(request);
    if (asV2(() => onlyStatus(params))) return success({ status: 'UP' });
    return success(metricsWithout(this.operator.metrics(), V3_LEFT_OUT));
  }

  @Put('cluster')
  async cluster(@Req() request: FastifyRequest): Promise<V2Result<string>> {
    await asV2(() => this.settings.update(NacosParams.fromRequest(request)));
    return success('ok');
  }

  @Get('health/checkers')
  checkers(): V2Result<Record<HealthCheckType, HealthCheckerSpec>> {
    return success(CHECKER_TYPES);
  }

  /** `ip`*, `port`*: `{responsibleServer}`. */
  @Get('client/distro')
  distro(@Req() request: FastifyRequest): V2Result<{ responsibleServer: string }> {
    return success(asV2(() => this.operator.responsibleFor(NacosParams.fromRequest(request), localAddress(request))));
  }
}
