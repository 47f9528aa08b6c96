import { Inject, Injectable } from '@nestjs/common';
import { Registry, groupedName, ipPortClientId } from '@/registry';
import type { NamingRegistry } from '@/registry';
import type { Instance, InstanceInput, InstancePatch, ServiceKey, ServicePage } from '@/registry';
import { UdpPushService } from '@/nacos/udp/udp-push.service';
import { NacosV2ErrorCode, NacosRequestError } from './nacos-errors';
import { MAX_PAGE_SIZE, parseMetadata, validIp, validName, validPort, validWeight } from './nacos-params';
import type { NacosParams } from './nacos-params';
import { NacosBeatConfig } from './heartbeat.config';
import { buildServiceInfo, hostView } from '@/nacos/view/service-info';
import type { BeatTimings, HostView, ServiceInfoView } from '@/nacos/view/service-info';
import { ClusterRouting } from '@/routing/cluster-routing';
import { ephemeralConflict } from '@/nacos/naming-rules';
import { NamingSwitches } from './naming-switches';
import { PersistentInstances } from '@/persistent/persistent-instances';

/** Nacos's beat answer codes. */
export const BEAT_OK = 10200;
export const BEAT_NOT_FOUND = 20404;
const MAX_BEAT_BYTES = 32 * 1024;

export interface BeatResult {
  clientBeatInterval: number;
  code: number;
  lightBeatEnabled: boolean;
}

interface ClientBeat {
  ip?: string;
  port?: number;
  cluster?: string;
  weight?: number;
  metadata?: Record<string, string>;
}

/**
 * The naming operations behind v1 and v2 HTTP: reads parameters the Nacos way, validates all
 * of them before touching the registry (so nothing is half-applied), and calls one registry method.
 */
@Injectable()
export class NacosNamingService {
  readonly timings: BeatTimings;

  constructor(
    @Inject(Registry) private readonly registry: NamingRegistry,
    private readonly udp: UdpPushService,
    beat: NacosBeatConfig,
    private readonly routing: ClusterRouting,
    private readonly switches: NamingSwitches,
    private readonly persistent: PersistentInstances,
  ) {
    const { intervalMs, unhealthyMs, deleteMs } = beat;
    this.timings = { intervalMs, unhealthyMs, deleteMs };
  }

  /**
   * A persistent instance (`ephemeral=false`) is stamped now and committed to the region's database
   * before it is applied: the returned promise settles once it is (or rejects, not applied).
   */
  register(params: NacosParams): void | Promise<void> {
    const { key, input } = this.instanceForm(params);
    const ephemeral = input.ephemeral;
    this.refuseMixing(key, ephemeral);
    if (!ephemeral) return this.persistent.register(key, input);
    const clientId = ipPortClientId(input.ip, input.port, ephemeral);
    this.registry.registerInstance(clientId, 'ipport', key, input, { now: Date.now() });
  }

  /** The instance a register's params describe, every param read and checked; nothing applied. */
  instanceForm(params: NacosParams): { key: ServiceKey; input: InstanceInput & { ephemeral: boolean } } {
    const key = params.service();
    const ephemeral = this.ephemeral(params);
    const input = {
      ip: params.ip(),
      port: params.port(),
      clusterName: params.cluster(),
      weight: params.weight(),
      healthy: params.bool('healthy'),
      enabled: params.bool('enabled', 'enable'),
      ephemeral,
      metadata: params.metadata(),
    };
    return { key, input };
  }

  /**
   * Nacos 3's client beat (`POST /nacos/v3/client/ns/instance?heartBeat=true`): its whole InstanceForm is
   * checked as a register's (a bad value is refused, never silently ignored), then the instance beats.
   */
  formBeat(params: NacosParams): BeatResult {
    this.instanceForm(params);
    return this.beat(params);
  }

  /** `ephemeral`, or the `defaultInstanceEphemeral` switch when absent (as Nacos's InstanceForm). */
  ephemeral(params: NacosParams): boolean {
    return params.bool('ephemeral') ?? this.switches.defaultInstanceEphemeral;
  }

  /** 400 when the service holds instances of the other kind (Nacos 2.x never mixes them). */
  refuseMixing(key: ServiceKey, ephemeral: boolean): void {
    const conflict = ephemeralConflict(this.registry, key, ephemeral);
    if (conflict !== undefined) throw NacosRequestError.runtime(400, conflict);
  }

  deregister(params: NacosParams): void | Promise<void> {
    const key = params.service();
    const ip = params.ip();
    const port = params.port();
    const cluster = params.cluster();
    const ephemeral = this.ephemeral(params);
    if (!ephemeral) return this.persistent.deregister(key, cluster, ip, port);
    // A tombstone even for an instance this node does not hold (yet): the answer is "deregistered".
    this.registry.withdrawIpPortInstance(ipPortClientId(ip, port, ephemeral), key, cluster, ip, port);
  }

  update(params: NacosParams): void | Promise<void> {
    const key = params.service();
    const ip = params.ip();
    const port = params.port();
    const cluster = params.cluster();
    const clientId = ipPortClientId(ip, port, this.ephemeral(params));
    const patch: InstancePatch = {};
    const weight = params.weight();
    if (weight !== undefined) patch.weight = weight;
    const enabled = params.bool('enabled', 'enable');
    if (enabled !== undefined) patch.enabled = enabled;
    const metadata = params.metadata();
    if (metadata !== undefined) patch.metadata = metadata;
    if (this.registry.getPublication(clientId, key, cluster, ip, port) === undefined) {
      throw NacosRequestError.badParam(
        NacosV2ErrorCode.InstanceError,
        `instance not exist: ${ip}:${port} in cluster ${cluster} of ${describe(key)}`,
      );
    }
    if (!this.ephemeral(params)) return this.persistent.update(key, cluster, ip, port, patch);
    this.registry.updateInstance(clientId, key, cluster, ip, port, patch);
  }

  /** A v1 heartbeat; an unknown instance is registered from the `beat` body when there is one. */
  beat(params: NacosParams): BeatResult {
    const key = params.service();
    const beat = this.clientBeat(params);
    // Params the beat body overrides are still held to the rule when sent: a refused value is never
    // silently ignored.
    const paramIp = params.has('ip') ? params.ip() : undefined;
    const paramPort = params.has('port') ? params.port() : undefined;
    const paramCluster = params.has('clusterName') ? params.cluster() : undefined;
    const ip = beat?.ip ?? paramIp ?? params.ip();
    const port = beat?.port ?? paramPort ?? params.port();
    const cluster = beat?.cluster ?? paramCluster ?? params.cluster();
    const clientId = ipPortClientId(ip, port, true);
    const now = Date.now();
    let code = BEAT_OK;
    if (!this.registry.beat(clientId, key, cluster, ip, port, now)) {
      if (beat === undefined) {
        code = BEAT_NOT_FOUND;
      } else {
        this.refuseMixing(key, true);
        const input: InstanceInput = { ip, port, clusterName: cluster, weight: beat.weight, metadata: beat.metadata };
        this.registry.registerInstance(clientId, 'ipport', key, input, { now });
      }
    }
    return {
      clientBeatInterval: this.switches.clientBeatInterval,
      code,
      lightBeatEnabled: this.switches.lightBeatEnabled,
    };
  }

  /**
   * Waits until the write these params made has reached another member (Distro; bounded by
   * DISTRO_REPLICATION_TIMEOUT_MS), so the answer that follows is one the region keeps.
   */
  async replicated(params: NacosParams, ephemeral: boolean = this.ephemeral(params)): Promise<void> {
    const tag = this.writeTag(params);
    if (tag === undefined) return;
    const at = tag.lastIndexOf(':');
    await this.routing.replicated(ipPortClientId(tag.slice(0, at), Number(tag.slice(at + 1)), ephemeral));
  }

  /** As `replicated`, for writes that name the clients they changed (PATCH, health, metadata batches). */
  async replicatedClients(clientIds: readonly string[]): Promise<void> {
    await Promise.all([...new Set(clientIds)].map((clientId) => this.routing.replicated(clientId)));
  }

  /** `ip:port` a write is about (Distro responsibility tag), or undefined when it names none. */
  writeTag(params: NacosParams): string | undefined {
    let ip = params.optional('ip');
    let port = params.optional('port');
    const rawBeat = params.optional('beat');
    if ((ip === undefined || port === undefined) && rawBeat !== undefined) {
      try {
        const beat = JSON.parse(rawBeat) as { ip?: unknown; port?: unknown };
        if (typeof beat.ip === 'string') ip = beat.ip;
        if (typeof beat.port === 'number' || typeof beat.port === 'string') port = String(beat.port);
      } catch {
        return undefined;
      }
    }
    return ip !== undefined && port !== undefined ? `${ip}:${port}` : undefined;
  }

  /** ServiceInfo of a service; with `udpPort` the caller becomes a UDP push subscriber. */
  list(params: NacosParams, remoteIp: string, userAgent?: string): ServiceInfoView {
    const key = params.service();
    const { list, echo } = params.clusters();
    const healthyOnly = params.bool('healthyOnly') === true;
    const udpPort = params.udpPort();
    const clientIp = params.optional('clientIP');
    if (udpPort > 0) {
      const address = clientIp === undefined ? remoteIp : validIp('clientIP', clientIp);
      const app = params.name('app', params.optional('app')) ?? 'unknown';
      this.udp.subscribe(key, {
        address,
        port: udpPort,
        clusters: list,
        clustersEcho: echo,
        agent: userAgent ?? '',
        app,
      });
    }
    return buildServiceInfo(this.registry, key, { clusters: list, clustersEcho: echo, healthyOnly }, this.timings);
  }

  /**
   * Nacos 3's client instance list (InstanceOpenApiController): the enabled hosts of one cluster
   * (`clusterName`, default DEFAULT), healthy or not, as the ServiceInfo lists them.
   */
  clusterHosts(params: NacosParams): HostView[] {
    const key = params.service();
    const cluster = params.cluster();
    const query = { clusters: [cluster], clustersEcho: cluster, healthyOnly: false };
    return buildServiceInfo(this.registry, key, query, this.timings).hosts;
  }

  /**
   * Nacos 3's admin instance list (CatalogServiceV2Impl.listInstances): every host of one cluster,
   * disabled and unhealthy ones included (`healthyOnly=true` keeps the healthy); an unknown service
   * or cluster is a 404 with Nacos's message (code 30000, as its NacosException is answered).
   */
  allClusterHosts(params: NacosParams): HostView[] {
    const key = params.service();
    const cluster = params.cluster();
    const healthyOnly = params.bool('healthyOnly') === true;
    const summary = this.registry.getService(key);
    const notFound = (message: string): NacosRequestError =>
      NacosRequestError.plain(404, NacosV2ErrorCode.ServerError, message);
    if (summary === undefined) throw notFound(`service ${groupedName(key.group, key.name)} is not found!`);
    if (!summary.clusters.includes(cluster)) throw notFound(`cluster ${cluster} is not found!`);
    return this.registry
      .listInstances(key, { clusters: [cluster] })
      .filter((instance) => !healthyOnly || instance.healthy)
      .map((instance) => hostView(instance, this.timings));
  }

  getInstance(params: NacosParams): Record<string, unknown> {
    const key = params.service();
    const instance = this.addressedInstance(params);
    return {
      service: groupedName(key.group, key.name),
      ip: instance.ip,
      port: instance.port,
      clusterName: instance.clusterName,
      weight: instance.weight,
      healthy: instance.healthy,
      instanceId: instance.instanceId,
      metadata: { ...instance.metadata },
    };
  }

  /** The instance `serviceName`, `ip`, `port` and `clusterName` name, or 404 as `listedInstance`. */
  addressedInstance(params: NacosParams): Instance {
    const key = params.service();
    const ip = params.ip();
    const port = params.port();
    return this.listedInstance(key, params.cluster(), ip, port);
  }

  /**
   * The instance listed at an address, or 404 in Nacos's words (InstanceOperatorClientImpl.getInstance0):
   * `no ips found for cluster <c> in service <g@@s>` when the service lists none, `no matched ip found!` otherwise.
   */
  listedInstance(key: ServiceKey, cluster: string, ip: string, port: number): Instance {
    const found = this.registry.getInstance(key, cluster, ip, port);
    if (found !== undefined) return found;
    const message =
      (this.registry.getService(key)?.instanceCount ?? 0) === 0
        ? `no ips found for cluster ${cluster} in service ${groupedName(key.group, key.name)}`
        : 'no matched ip found!';
    throw NacosRequestError.plain(404, NacosV2ErrorCode.ResourceNotFound, message);
  }

  listServices(params: NacosParams, defaultPageSize: number): ServicePage {
    const namespace = params.namespace();
    const group = params.name('groupName', params.optional('groupName')) ?? 'DEFAULT_GROUP';
    // Nacos reads a page below 1 as page 1 (ServiceUtil.pageServiceName).
    const pageNo = params.pageNumber('pageNo', 1);
    const pageSize = params.positiveInt('pageSize', defaultPageSize, MAX_PAGE_SIZE);
    return this.registry.listServices(namespace, { group, pageNo, pageSize });
  }

  private clientBeat(params: NacosParams): ClientBeat | undefined {
    const raw = params.optional('beat');
    if (raw === undefined) return undefined;
    const invalid = (why: string): NacosRequestError =>
      NacosRequestError.badParam(NacosV2ErrorCode.ParameterValidateError, `Param 'beat' ${why}.`);
    if (Buffer.byteLength(raw) > MAX_BEAT_BYTES) throw invalid(`exceeds ${MAX_BEAT_BYTES} bytes`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw invalid('is not valid JSON');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid('must be a JSON object');
    const beat = parsed as Record<string, unknown>;
    const out: ClientBeat = {};
    if (beat.ip !== undefined && beat.ip !== null)
      out.ip = validIp('beat.ip', typeof beat.ip === 'string' ? beat.ip : '');
    if (beat.port !== undefined && beat.port !== null) {
      out.port = validPort(
        'beat.port',
        typeof beat.port === 'number' || typeof beat.port === 'string' ? beat.port : '',
      );
    }
    if (beat.cluster !== undefined && beat.cluster !== null && beat.cluster !== '') {
      if (typeof beat.cluster !== 'string') throw invalid('cluster must be a string');
      out.cluster = validName('beat.cluster', beat.cluster);
    }
    if (beat.weight !== undefined && beat.weight !== null) {
      out.weight = validWeight(typeof beat.weight === 'number' || typeof beat.weight === 'string' ? beat.weight : '');
    }
    if (beat.metadata !== undefined && beat.metadata !== null)
      out.metadata = parseMetadata(JSON.stringify(beat.metadata));
    return out;
  }
}

function describe(key: ServiceKey): string {
  return `${key.namespace}##${groupedName(key.group, key.name)}`;
}
