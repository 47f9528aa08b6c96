import { Inject, Injectable } from '@nestjs/common';
import { Registry } from '@/registry';
import type { NamingRegistry } from '@/registry';
import { ClusterRouting } from '@/routing/cluster-routing';
import type { ClusterMember } from '@/routing/cluster-routing';
import { HostLoad } from './host-load';
import { NacosRequestError, NacosV2ErrorCode } from './nacos-errors';
import type { NacosParams } from './nacos-params';

/** Nacos's full metrics (`onlyStatus=false`), v1 (`/operator/metrics`). */
export interface NamingMetrics {
  status: string;
  serviceCount: number;
  instanceCount: number;
  subscribeCount: number;
  responsibleServiceCount: number;
  responsibleInstanceCount: number;
  clientCount: number;
  connectionBasedClientCount: number;
  ephemeralIpPortClientCount: number;
  persistentIpPortClientCount: number;
  responsibleClientCount: number;
  cpu: number;
  load: number;
  mem: number;
}

/** The metrics without the figures an answer leaves out (v2 and v3 drop some of v1's). */
export function metricsWithout<K extends keyof NamingMetrics>(
  metrics: NamingMetrics,
  keys: readonly K[],
): Omit<NamingMetrics, K> {
  const out: Partial<NamingMetrics> = { ...metrics };
  for (const key of keys) delete out[key];
  return out as Omit<NamingMetrics, K>;
}

/** A Distro member as Nacos 1.x–2.1 serialized its Member in `/operator/servers`. */
export interface ServerView {
  ip: string;
  port: number;
  state: ClusterMember['state'];
  extendInfo: Record<string, unknown>;
  address: string;
  failAccessCnt: number;
  abilities: Record<string, Record<string, boolean>>;
}

/** Nacos's NodeState names; a member here is only ever UP, SUSPICIOUS or DOWN. */
const NODE_STATES = ['STARTING', 'UP', 'SUSPICIOUS', 'DOWN', 'ISOLATION'];

/** How long the figures that walk every client are reused (see NamingOperator.metrics). */
export const CLIENT_WALK_MS = 1000;

type ClientWalk = Pick<
  NamingMetrics,
  | 'responsibleServiceCount'
  | 'responsibleInstanceCount'
  | 'connectionBasedClientCount'
  | 'ephemeralIpPortClientCount'
  | 'persistentIpPortClientCount'
  | 'responsibleClientCount'
>;

/** What the operator calls tell about this node and its region: metrics and the Distro members. */
@Injectable()
export class NamingOperator {
  private walk: ClientWalk | undefined;
  private walkedAt = 0;

  constructor(
    @Inject(Registry) private readonly registry: NamingRegistry,
    private readonly routing: ClusterRouting,
    private readonly host: HostLoad,
  ) {}

  /**
   * Counts as Nacos's OperatorController: clients by Nacos's id rule (an id with `#` is an ip-port
   * client, `#false` persistent; any other id, gRPC connections and sync tasks, connection-based);
   * responsible = the clients this node is responsible for, their instances and the services those
   * are in. The sizes are read live; the figures that walk every client are recomputed at most once
   * per CLIENT_WALK_MS, so a poller (the Distro benchmark polls every few ms) costs no walk per answer.
   */
  metrics(now: number = Date.now()): NamingMetrics {
    const counts = this.registry.counts();
    if (this.walk === undefined || now - this.walkedAt >= CLIENT_WALK_MS) {
      this.walk = this.walkClients();
      this.walkedAt = now;
    }
    const walked = this.walk;
    return {
      status: 'UP',
      serviceCount: counts.services,
      instanceCount: counts.instances,
      subscribeCount: this.registry.subscriptionCount(),
      responsibleServiceCount: walked.responsibleServiceCount,
      responsibleInstanceCount: walked.responsibleInstanceCount,
      clientCount: counts.clients,
      connectionBasedClientCount: walked.connectionBasedClientCount,
      ephemeralIpPortClientCount: walked.ephemeralIpPortClientCount,
      persistentIpPortClientCount: walked.persistentIpPortClientCount,
      responsibleClientCount: walked.responsibleClientCount,
      cpu: this.host.cpu(),
      load: this.host.load(),
      mem: this.host.mem(),
    };
  }

  /**
   * The members of the region; `healthy` keeps the UP ones only (Nacos's `healthy=true`). A node
   * without peers names itself by `selfAddress`, the address the request reached.
   */
  servers(healthy: boolean, selfAddress: string): ServerView[] {
    return this.routing
      .members()
      .filter((member) => !healthy || member.state === 'UP')
      .map((member) => serverView(member.self && !member.id.includes(':') ? { ...member, id: selfAddress } : member));
  }

  /** This node as a Member (`/nacos/v2/core/cluster/node/self`), named as in servers(). */
  self(selfAddress: string): ServerView {
    const self = this.routing.members().find((member) => member.self) ?? this.routing.members()[0];
    return serverView(!self.id.includes(':') ? { ...self, id: selfAddress } : self);
  }

  /**
   * The members whose address starts with `address` (when given) and whose state is `state` (a
   * NodeState, any case, when given), as Nacos's NacosClusterOperationService.listNodes; an
   * unknown state is refused as NacosClusterControllerV2 does (400, code 23000).
   */
  nodes(params: NacosParams, selfAddress: string): ServerView[] {
    const address = params.optional('address')?.trim() || undefined;
    const raw = params.optional('state')?.trim() || undefined;
    const state = raw?.toUpperCase();
    if (state !== undefined && !NODE_STATES.includes(state)) {
      throw NacosRequestError.badParam(NacosV2ErrorCode.IllegalState, `Illegal state: ${raw}`);
    }
    return this.servers(false, selfAddress).filter(
      (member) =>
        (address === undefined || member.address.startsWith(address)) &&
        (state === undefined || member.state === state),
    );
  }

  /**
   * The member Distro makes responsible for the ip-port client `ip:port` (Nacos's DistroMapper
   * `mapSrv`, `/operator/distro/client`); this node by its address when it is the one.
   */
  /** `ip`*, `port`*: `{responsibleServer}`, the member responsible for the ip-port client `ip:port`. */
  responsibleFor(params: NacosParams, selfAddress: string): { responsibleServer: string } {
    const ip = params.ip();
    const port = params.port();
    return { responsibleServer: this.responsibleServer(ip, port, selfAddress) };
  }

  responsibleServer(ip: string, port: number, selfAddress: string): string {
    const member = this.routing.responsibleMember(`${ip}:${port}`);
    if (member !== undefined) return member;
    const self = this.routing.selfId();
    return self.includes(':') ? self : selfAddress;
  }

  private walkClients(): ClientWalk {
    const walk: ClientWalk = {
      responsibleServiceCount: 0,
      responsibleInstanceCount: 0,
      connectionBasedClientCount: 0,
      ephemeralIpPortClientCount: 0,
      persistentIpPortClientCount: 0,
      responsibleClientCount: 0,
    };
    const responsible: string[] = [];
    for (const client of this.registry.clients()) {
      if (!client.id.includes('#')) walk.connectionBasedClientCount++;
      else if (client.id.endsWith('#false')) walk.persistentIpPortClientCount++;
      else walk.ephemeralIpPortClientCount++;
      if (!this.routing.isResponsibleForClient(client.id)) continue;
      walk.responsibleClientCount++;
      walk.responsibleInstanceCount += client.publicationCount;
      responsible.push(client.id);
    }
    const services = new Set<string>();
    for (const clientId of responsible) {
      for (const publication of this.registry.exportClient(clientId)?.publications ?? []) {
        services.add(`${publication.namespace}##${publication.group}@@${publication.service}`);
      }
    }
    walk.responsibleServiceCount = services.size;
    return walk;
  }
}

function serverView(member: ClusterMember): ServerView {
  const at = member.id.lastIndexOf(':');
  const ip = at > 0 ? member.id.slice(0, at).replace(/^\[|\]$/g, '') : member.id;
  const port = at > 0 ? Number(member.id.slice(at + 1)) : -1;
  const extendInfo: Record<string, unknown> = {};
  if (member.lastContact !== undefined) extendInfo.lastRefreshTime = member.lastContact;
  return {
    ip,
    port: Number.isInteger(port) ? port : -1,
    state: member.state,
    extendInfo,
    address: member.id,
    failAccessCnt: member.failures,
    abilities: {
      remoteAbility: { supportRemoteConnection: true, grpcReportEnabled: true },
      configAbility: { supportRemoteMetrics: false },
      namingAbility: { supportJraft: false },
    },
  };
}
