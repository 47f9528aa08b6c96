import { DEFAULT_CLUSTER, DEFAULT_GROUP, formatServiceKey, serviceKey } from '@/registry';
import type { ServiceKey } from '@/registry';
import type { NacosInstance, NacosServiceInfo, NotifySubscriberRequest } from '@/nacos/grpc/messages';
import { NacosTransport } from './nacos-grpc-transport';
import type { NacosTransportOptions } from './nacos-grpc-transport';

export type NacosNamingClientOptions = NacosTransportOptions;

/** Where a call points: group defaults to DEFAULT_GROUP, namespace to the client's. */
export interface ServiceRef {
  group?: string;
  /** A namespace other than the client's (Nacos's gRPC requests each name theirs). */
  namespace?: string;
}

export type ServiceListener = (serviceInfo: NacosServiceInfo) => void;

interface Subscription {
  key: ServiceKey;
  clusters: string;
  listeners: Set<ServiceListener>;
}

/** What the client published for one service, replayed after every reconnect. */
type Published =
  { kind: 'single'; instances: Map<string, NacosInstance> } | { kind: 'batch'; instances: NacosInstance[] };

function addressOf(instance: NacosInstance): string {
  return `${instance.clusterName || DEFAULT_CLUSTER}#${instance.ip}:${instance.port}`;
}

/**
 * A Nacos 2.x naming client over gRPC, for sync tasks and tests. Like the official SDKs it keeps
 * what it registered and subscribed and redoes all of it on every new connection, so a server
 * restart or a failover to another server is invisible to its user.
 */
export class NacosNamingClient {
  private readonly transport: NacosTransport;
  private readonly namespace: string;
  private readonly published = new Map<string, { key: ServiceKey; published: Published }>();
  private readonly subscriptions = new Map<string, Subscription>();
  private redoing: Promise<void> | undefined;

  constructor(options: NacosNamingClientOptions) {
    this.namespace = options.namespace || 'public';
    this.transport = new NacosTransport(options);
    this.transport.on('connected', () => {
      this.redoing = this.redo().finally(() => (this.redoing = undefined));
    });
    this.transport.on('push', (request) => this.onPush(request));
  }

  /** Connects now (otherwise the first call connects); rejects when no server answers. */
  async connect(): Promise<void> {
    await this.transport.start();
  }

  /** The gRPC server in use, if connected. */
  get server(): string | undefined {
    return this.transport.server;
  }

  get connectionId(): string | undefined {
    return this.transport.connectionId;
  }

  async register(service: string, instance: NacosInstance, ref: ServiceRef = {}): Promise<void> {
    const key = this.key(service, ref);
    await this.ready();
    await this.sendInstance('registerInstance', key, instance);
    const entry = this.entry(key, 'single');
    if (entry.kind === 'single') entry.instances.set(addressOf(instance), instance);
  }

  async deregister(service: string, instance: NacosInstance, ref: ServiceRef = {}): Promise<void> {
    const key = this.key(service, ref);
    await this.ready();
    const id = formatServiceKey(key);
    const entry = this.published.get(id)?.published;
    if (entry?.kind === 'batch') {
      const rest = entry.instances.filter((each) => addressOf(each) !== addressOf(instance));
      await this.sendBatch('batchRegisterInstance', key, rest);
      entry.instances = rest;
    } else {
      await this.sendInstance('deregisterInstance', key, instance);
      entry?.instances.delete(addressOf(instance));
    }
    if (entry !== undefined && (entry.kind === 'batch' ? entry.instances.length : entry.instances.size) === 0) {
      this.published.delete(id);
    }
  }

  /**
   * Registers or deregisters a persistent instance (`ephemeral: false`) with Nacos 2.3+'s
   * PersistentInstanceRequest: it belongs to the server (client `ip:port#false`), not to this
   * connection, so it is not redone on a reconnect. A server without the request answers
   * NacosClientError 302 (no handler).
   */
  async persistent(
    type: 'registerInstance' | 'deregisterInstance',
    service: string,
    instance: NacosInstance,
    ref: ServiceRef = {},
  ): Promise<void> {
    const key = this.key(service, ref);
    await this.ready();
    await this.transport.request('PersistentInstanceRequest', {
      ...this.naming(key),
      type,
      instance: { ...instance, ephemeral: false },
    });
  }

  /** Makes `instances` everything this client publishes in the service. */
  async batchRegister(service: string, instances: NacosInstance[], ref: ServiceRef = {}): Promise<void> {
    const key = this.key(service, ref);
    await this.ready();
    await this.sendBatch('batchRegisterInstance', key, instances);
    this.published.set(formatServiceKey(key), { key, published: { kind: 'batch', instances: [...instances] } });
  }

  async query(
    service: string,
    ref: ServiceRef & { clusters?: string[]; healthyOnly?: boolean } = {},
  ): Promise<NacosServiceInfo> {
    const key = this.key(service, ref);
    const response = await this.transport.request('ServiceQueryRequest', {
      ...this.naming(key),
      cluster: (ref.clusters ?? []).join(','),
      healthyOnly: ref.healthyOnly ?? false,
      udpPort: 0,
    });
    return response.serviceInfo;
  }

  async listServices(
    options: ServiceRef & { pageNo?: number; pageSize?: number } = {},
  ): Promise<{ count: number; serviceNames: string[] }> {
    const response = await this.transport.request('ServiceListRequest', {
      module: 'naming',
      namespace: options.namespace ?? this.namespace,
      groupName: options.group ?? DEFAULT_GROUP,
      serviceName: '',
      pageNo: options.pageNo ?? 1,
      pageSize: options.pageSize ?? 100,
      selector: null,
    });
    return { count: response.count, serviceNames: response.serviceNames };
  }

  /** Subscribes and returns the current state; `listener` gets every pushed state after that. */
  async subscribe(
    service: string,
    listener: ServiceListener,
    ref: ServiceRef & { clusters?: string[] } = {},
  ): Promise<NacosServiceInfo> {
    const key = this.key(service, ref);
    const clusters = (ref.clusters ?? []).join(',');
    const id = `${formatServiceKey(key)}@@${clusters}`;
    const subscription = this.subscriptions.get(id) ?? { key, clusters, listeners: new Set<ServiceListener>() };
    subscription.listeners.add(listener);
    this.subscriptions.set(id, subscription);
    await this.ready();
    const response = await this.transport.request('SubscribeServiceRequest', {
      ...this.naming(key),
      subscribe: true,
      clusters,
    });
    return response.serviceInfo;
  }

  /** Removes a listener (all when omitted); the server subscription ends with the last one. */
  async unsubscribe(
    service: string,
    listener?: ServiceListener,
    ref: ServiceRef & { clusters?: string[] } = {},
  ): Promise<void> {
    const key = this.key(service, ref);
    const clusters = (ref.clusters ?? []).join(',');
    const id = `${formatServiceKey(key)}@@${clusters}`;
    const subscription = this.subscriptions.get(id);
    if (subscription === undefined) return;
    if (listener !== undefined) subscription.listeners.delete(listener);
    if (listener !== undefined && subscription.listeners.size > 0) return;
    this.subscriptions.delete(id);
    await this.transport.request('SubscribeServiceRequest', { ...this.naming(key), subscribe: false, clusters });
  }

  /** Closes the connection; the server drops this client's instances and subscriptions. */
  close(): void {
    this.transport.close();
  }

  private key(service: string, ref: ServiceRef): ServiceKey {
    return serviceKey(ref.namespace ?? this.namespace, ref.group, service);
  }

  private naming(key: ServiceKey): { module: string; namespace: string; groupName: string; serviceName: string } {
    return { module: 'naming', namespace: key.namespace, groupName: key.group, serviceName: key.name };
  }

  /** Writes wait for a redo in progress, so they are not overwritten by the replay. */
  private async ready(): Promise<void> {
    if (this.redoing !== undefined) await this.redoing;
  }

  private entry(key: ServiceKey, kind: 'single'): Published {
    const id = formatServiceKey(key);
    const existing = this.published.get(id);
    if (existing !== undefined && existing.published.kind === kind) return existing.published;
    const created: Published = { kind, instances: new Map() };
    this.published.set(id, { key, published: created });
    return created;
  }

  private async sendInstance(
    type: 'registerInstance' | 'deregisterInstance',
    key: ServiceKey,
    instance: NacosInstance,
  ): Promise<void> {
    await this.transport.request('InstanceRequest', {
      ...this.naming(key),
      type,
      instance: { ephemeral: true, ...instance },
    });
  }

  private async sendBatch(type: 'batchRegisterInstance', key: ServiceKey, instances: NacosInstance[]): Promise<void> {
    await this.transport.request('BatchInstanceRequest', {
      ...this.naming(key),
      type,
      instances: instances.map((each) => ({ ephemeral: true, ...each })),
    });
  }

  /** Replays registrations and subscriptions on a new connection; listeners get the fresh state. */
  private async redo(): Promise<void> {
    try {
      for (const { key, published } of this.published.values()) {
        if (published.kind === 'batch') await this.sendBatch('batchRegisterInstance', key, published.instances);
        else
          for (const instance of published.instances.values())
            await this.sendInstance('registerInstance', key, instance);
      }
      for (const subscription of this.subscriptions.values()) {
        const response = await this.transport.request('SubscribeServiceRequest', {
          ...this.naming(subscription.key),
          subscribe: true,
          clusters: subscription.clusters,
        });
        for (const listener of subscription.listeners) listener(response.serviceInfo);
      }
    } catch {
      // The connection failed again during the replay; the next `connected` replays everything.
    }
  }

  private onPush(request: NotifySubscriberRequest): void {
    const info = request.serviceInfo;
    if (info === undefined || info === null) return;
    const key = serviceKey(request.namespace || this.namespace, info.groupName, info.name);
    const subscription = this.subscriptions.get(`${formatServiceKey(key)}@@${info.clusters ?? ''}`);
    if (subscription === undefined) return;
    for (const listener of subscription.listeners) {
      try {
        listener(info);
      } catch {
        // A throwing listener must not stop the others or the acknowledgement.
      }
    }
  }
}
