import { Inject, Injectable } from '@nestjs/common';
import { GROUP_SEPARATOR, Registry, versionTime } from '@/registry';
import type { ClientInfo, NamingRegistry, ServiceKey } from '@/registry';
import { ClusterRouting } from '@/routing/cluster-routing';
import { UdpPushService, UdpSubscription } from '@/nacos/udp/udp-push.service';
import type { GrpcSubscription } from '@/nacos/grpc/push';
import { NacosRequestError, NacosV2ErrorCode } from './nacos-errors';
import type { NacosParams } from './nacos-params';

interface SubscribedService {
  namespace: string;
  group: string;
  serviceName: string;
  subscriberInfo: { app: string; agent: string; addr: string };
}

/** A subscriber as Nacos's `/service/subscribers` serializes its Subscriber. */
export interface SubscriberView {
  addrStr: string;
  agent: string;
  app: string;
  ip: string;
  port: number;
  namespaceId: string;
  serviceName: string;
  cluster: string;
}

/** An ip-port client id `ip:port#ephemeral` split, or undefined for any other id. */
function ipPortParts(clientId: string): { ip: string; port: number; ephemeral: boolean } | undefined {
  const hash = clientId.lastIndexOf('#');
  const colon = clientId.lastIndexOf(':', hash);
  if (hash < 0 || colon < 0) return undefined;
  const port = Number(clientId.slice(colon + 1, hash));
  return { ip: clientId.slice(0, colon), port, ephemeral: clientId.slice(hash + 1) !== 'false' };
}

/** A connection id `<ms>_<ip>_<port>_<n>` split, or undefined. */
function connectionParts(clientId: string): { ip: string; port: string } | undefined {
  const parts = clientId.split('_');
  return parts.length >= 3 ? { ip: parts[1], port: parts[2] } : undefined;
}

/**
 * Nacos's client views (`/nacos/v2/ns/client/...`, ClientInfoControllerV2): every client the
 * region holds (this node's own and the replicas Distro brought), what each publishes, and who
 * subscribes where. Subscriptions live on the node the subscriber talks to, as in Nacos.
 */
@Injectable()
export class ClientViews {
  constructor(
    @Inject(Registry) private readonly registry: NamingRegistry,
    private readonly routing: ClusterRouting,
    private readonly udp: UdpPushService,
  ) {}

  list(): string[] {
    const ids: string[] = [];
    for (const client of this.registry.clients()) ids.push(client.id);
    return ids;
  }

  /**
   * ClientSummaryInfo, plus `responsibleServer`: the member holding the client (a connection's or a
   * sync task's owner, the member responsible for an ip-port client) — which node to ask about it.
   */
  detail(params: NacosParams): Record<string, unknown> {
    const clientId = this.knownClientId(params);
    const client = this.registry.getClient(clientId);
    const ipPort = ipPortParts(clientId);
    const result: Record<string, unknown> = {
      clientId,
      ephemeral: ipPort?.ephemeral ?? true,
      lastUpdatedTime: client === undefined ? 0 : versionTime(client.revision),
    };
    if (client?.kind === 'ipport' && ipPort !== undefined) {
      result.clientType = 'ipPort';
      result.clientIp = ipPort.ip;
      result.clientPort = String(ipPort.port);
    } else if (client?.kind === 'sync') {
      result.clientType = 'sync';
    } else {
      result.clientType = 'connection';
      const attributes = client?.attributes ?? {};
      for (const name of ['connectType', 'appName', 'version'] as const) {
        if (typeof attributes[name] === 'string') result[name] = attributes[name];
      }
      const parts = connectionParts(clientId);
      if (parts !== undefined) {
        result.clientIp = parts.ip;
        result.clientPort = parts.port;
      }
    }
    result.responsibleServer = this.holder(clientId, client);
    return result;
  }

  published(params: NacosParams): Array<Record<string, unknown>> {
    const clientId = this.knownClientId(params);
    return (this.registry.exportClient(clientId)?.publications ?? []).map(
      ({ namespace, group, service, instance }) => ({
        namespace,
        group,
        serviceName: service,
        registeredInstance: { ip: instance.ip, port: instance.port, cluster: instance.clusterName ?? 'DEFAULT' },
      }),
    );
  }

  subscribed(params: NacosParams): SubscribedService[] {
    const clientId = this.knownClientId(params);
    const entry = (key: ServiceKey, app: string, agent: string, addr: string): SubscribedService => ({
      namespace: key.namespace,
      group: key.group,
      serviceName: key.name,
      subscriberInfo: { app, agent, addr },
    });
    const ipPort = ipPortParts(clientId);
    if (ipPort !== undefined) {
      return this.udp
        .subscriptionsOf(ipPort.ip, ipPort.port)
        .map(({ key, target }) =>
          entry(key, target.app ?? 'unknown', target.agent ?? '', `${target.address}:${target.port}`),
        );
    }
    return this.registry.subscriptionsOf(clientId).map((key) => {
      const info = this.registry.subscribers(key).get(clientId) as GrpcSubscription | undefined;
      return entry(key, info?.app ?? 'unknown', info?.agent ?? '', info?.clientIp ?? '');
    });
  }

  /** Who publishes in a service (every client's publications, listed or not), filtered by ip and port. */
  publishers(params: NacosParams): Array<Record<string, unknown>> {
    const key = params.service();
    const { ip, port } = this.addressFilter(params);
    return this.registry
      .publishers(key)
      .filter(
        ({ instance }) => (ip === undefined || instance.ip === ip) && (port === undefined || instance.port === port),
      )
      .map(({ clientId, instance }) => ({
        ip: instance.ip,
        port: instance.port,
        cluster: instance.clusterName,
        clientId,
      }));
  }

  /** Who subscribes to a service on this node (UDP v1 pollers and gRPC connections), filtered by ip and port. */
  subscribers(params: NacosParams): Array<{ clientId: string; ip: string; port: number }> {
    const key = params.service();
    const { ip, port } = this.addressFilter(params);
    const out: Array<{ clientId: string; ip: string; port: number }> = [];
    const seen = new Set<string>();
    for (const [subscriberId, info] of this.registry.subscribers(key)) {
      const item =
        info instanceof UdpSubscription
          ? {
              clientId: `${info.target.address}:${info.target.port}#true`,
              ip: info.target.address,
              port: info.target.port,
            }
          : { clientId: subscriberId, ip: (info as GrpcSubscription).clientIp ?? '', port: 0 };
      if ((ip !== undefined && item.ip !== ip) || (port !== undefined && item.port !== port)) continue;
      if (seen.has(item.clientId)) continue;
      seen.add(item.clientId);
      out.push(item);
    }
    return out;
  }

  /**
   * Nacos's `/service/subscribers` on this node alone (its `aggregation=false`): subscribers of every
   * service in the namespace whose name contains `serviceName` and whose group contains `groupName`
   * (Nacos's fuzzy match), one per subscriber identity, unpaged (SubscriberAggregator pages the merge).
   */
  localServiceSubscribers(pattern: ServiceKey): SubscriberView[] {
    return this.subscribersOf(
      this.registry
        .subscribedServices()
        .filter(
          (key) =>
            key.namespace === pattern.namespace && key.name.includes(pattern.name) && key.group.includes(pattern.group),
        ),
    );
  }

  /** This node's subscribers of the services, one per subscriber identity, ordered by service and address. */
  subscribersOf(keys: readonly ServiceKey[]): SubscriberView[] {
    const all: SubscriberView[] = [];
    const seen = new Set<string>();
    for (const key of keys) {
      for (const [subscriberId, info] of this.registry.subscribers(key)) {
        const view = subscriberView(key, subscriberId, info);
        const identity = subscriberIdentity(view);
        if (seen.has(identity)) continue;
        seen.add(identity);
        all.push(view);
      }
    }
    return all.sort((a, b) => a.serviceName.localeCompare(b.serviceName) || a.addrStr.localeCompare(b.addrStr));
  }

  private addressFilter(params: NacosParams): { ip?: string; port?: number } {
    // `ephemeral` only names Nacos's Service singleton, which the instances' kind decides here: checked, not used.
    params.bool('ephemeral');
    return {
      ip: params.has('ip') ? params.ip() : undefined,
      port: params.has('port') ? params.port() : undefined,
    };
  }

  /** `clientId`, known here as a client (a publisher) or a subscriber; else 404 as Nacos's checkClientId. */
  private knownClientId(params: NacosParams): string {
    const clientId = params.name('clientId', params.required('clientId')) as string;
    const ipPort = ipPortParts(clientId);
    const known =
      this.registry.getClient(clientId) !== undefined ||
      this.registry.subscriptionsOf(clientId).length > 0 ||
      (ipPort !== undefined && this.udp.subscriptionsOf(ipPort.ip, ipPort.port).length > 0);
    if (!known) {
      throw NacosRequestError.plain(404, NacosV2ErrorCode.ResourceNotFound, `clientId [ ${clientId} ] not exist`);
    }
    return clientId;
  }

  private holder(clientId: string, client: ClientInfo | undefined): string {
    if (client?.kind === 'ipport') {
      return this.routing.responsibleMember(clientId.slice(0, clientId.lastIndexOf('#'))) ?? this.routing.selfId();
    }
    return client?.owner ?? this.routing.selfId();
  }
}

/** What makes two subscriber entries one (Nacos de-duplicates the merged lists by Subscriber.toString). */
export function subscriberIdentity(view: SubscriberView): string {
  return `${view.namespaceId}|${view.serviceName}|${view.addrStr}|${view.agent}|${view.app}|${view.cluster}`;
}

function subscriberView(key: ServiceKey, subscriberId: string, info: unknown): SubscriberView {
  const serviceName = `${key.group}${GROUP_SEPARATOR}${key.name}`;
  if (info instanceof UdpSubscription) {
    const { target } = info;
    return {
      addrStr: `${target.address}:${target.port}`,
      agent: target.agent ?? '',
      app: target.app ?? 'unknown',
      ip: target.address,
      port: target.port,
      namespaceId: key.namespace,
      serviceName,
      cluster: target.clustersEcho,
    };
  }
  const grpc = info as GrpcSubscription;
  const ip = grpc.clientIp ?? connectionParts(subscriberId)?.ip ?? '';
  return {
    addrStr: ip,
    agent: grpc.agent ?? '',
    app: grpc.app ?? 'unknown',
    ip,
    port: 0,
    namespaceId: key.namespace,
    serviceName,
    cluster: (grpc.clusters ?? []).join(','),
  };
}
