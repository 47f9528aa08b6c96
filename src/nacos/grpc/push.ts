import { Logger } from '@nestjs/common';
import { formatServiceKey } from '@/registry';
import type { Registry, ServiceKey } from '@/registry';
import type { ConnectionTable, NacosConnection, PreparedRequest } from './connections';
import type { NotifySubscriberRequest } from './messages';
import { buildServiceInfo } from './service-info';

/** What a gRPC subscriber asked for, kept as its info in the registry's subscriber book. */
export interface GrpcSubscription {
  connectionId: string;
  clusters: string[];
}

export interface PushOptions {
  /** Changes to one service within this window become one push (0 = the same event-loop turn). */
  delayMs: number;
  /** How long a client has to acknowledge a push before it is retried. */
  ackTimeoutMs: number;
  /** Retries of an unacknowledged push; each carries the service's state at that time. */
  maxRetries: number;
}

/** Subscribers served per event-loop turn, so a fan-out to thousands never stalls registrations. */
const FAN_OUT_SLICE = 100;

/**
 * Pushes NotifySubscriberRequest to gRPC subscribers. Changes are coalesced per service; each push
 * body is built once per cluster filter; the fan-out yields to the event loop between slices; an
 * unacknowledged push is retried with the then-current state unless a newer push superseded it.
 */
export class PushDispatcher {
  private readonly logger = new Logger(PushDispatcher.name);
  private readonly dirty = new Map<string, ServiceKey>();
  /** connection id → service id → generation of the latest push, so stale retries stop. */
  private readonly generations = new Map<string, Map<string, number>>();
  private generation = 0;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;
  /** Pushes sent and acknowledged, for metrics and tests. */
  readonly stats = { sent: 0, acked: 0, failed: 0, lastFanOutMs: 0 };
  private markedAt = 0;

  constructor(
    private readonly registry: Registry,
    private readonly connections: ConnectionTable,
    private readonly options: PushOptions,
  ) {}

  start(): void {
    this.unsubscribe = this.registry.events.on('serviceChanged', ({ key }) => this.mark(key));
    this.connections.on('closed', (connection) => this.generations.delete(connection.id));
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.dirty.clear();
  }

  /** Queues a push of the service to its subscribers. */
  mark(key: ServiceKey): void {
    if (this.stopped || this.registry.subscribers(key).size === 0) return;
    this.dirty.set(formatServiceKey(key), key);
    if (this.timer === undefined) {
      this.markedAt = performance.now();
      this.timer = setTimeout(() => this.flush(), this.options.delayMs);
    }
  }

  private flush(): void {
    this.timer = undefined;
    const keys = [...this.dirty.values()];
    this.dirty.clear();
    for (const key of keys) this.fanOut(key, this.markedAt);
  }

  /** `since`: when the change was queued; the time to the last write is kept in stats.lastFanOutMs. */
  private fanOut(key: ServiceKey, since: number): void {
    const targets: Array<{ connection: NacosConnection; clusters: string[] }> = [];
    for (const info of this.registry.subscribers(key).values()) {
      const subscription = info as GrpcSubscription;
      const connection = this.connections.get(subscription.connectionId);
      if (connection !== undefined) targets.push({ connection, clusters: subscription.clusters });
    }
    const prepared = new Map<string, PreparedRequest>();
    const serviceId = formatServiceKey(key);
    const generation = ++this.generation;
    const send = (from: number): void => {
      if (this.stopped) return;
      const end = Math.min(from + FAN_OUT_SLICE, targets.length);
      for (let i = from; i < end; i++) {
        const { connection, clusters } = targets[i];
        const filter = clusters.join(',');
        let request = prepared.get(filter);
        if (request === undefined) {
          request = this.prepare(key, clusters);
          prepared.set(filter, request);
        }
        this.send(connection, key, serviceId, request, generation, 0);
      }
      if (end < targets.length) setImmediate(() => send(end));
      else this.stats.lastFanOutMs = performance.now() - since;
    };
    send(0);
  }

  /** The push of a service's current state for one cluster filter, serialized once. */
  private prepare(key: ServiceKey, clusters: string[]): PreparedRequest {
    return this.connections.prepare('NotifySubscriberRequest', this.body(key, clusters));
  }

  private body(key: ServiceKey, clusters: string[]): string {
    const request: Omit<NotifySubscriberRequest, 'requestId'> = {
      module: 'naming',
      headers: {},
      namespace: key.namespace,
      serviceName: key.name,
      groupName: key.group,
      serviceInfo: buildServiceInfo(this.registry, key, clusters),
    };
    return JSON.stringify(request);
  }

  private send(
    connection: NacosConnection,
    key: ServiceKey,
    serviceId: string,
    request: PreparedRequest,
    generation: number,
    attempt: number,
  ): void {
    let byService = this.generations.get(connection.id);
    if (byService === undefined) {
      byService = new Map();
      this.generations.set(connection.id, byService);
    }
    byService.set(serviceId, generation);
    this.stats.sent++;
    this.connections.send(connection, request, this.options.ackTimeoutMs).then(
      () => {
        this.stats.acked++;
      },
      (err: unknown) => {
        this.stats.failed++;
        const current = this.generations.get(connection.id)?.get(serviceId);
        if (this.stopped || current !== generation || this.connections.get(connection.id) === undefined) return;
        if (attempt >= this.options.maxRetries) {
          this.logger.warn(
            { connectionId: connection.id, service: serviceId, err: String(err) },
            'push not acknowledged, giving up',
          );
          return;
        }
        const subscription = this.registry.subscribers(key).get(connection.id) as GrpcSubscription | undefined;
        if (subscription === undefined) return;
        this.send(connection, key, serviceId, this.prepare(key, subscription.clusters), generation, attempt + 1);
      },
    );
  }
}
