import { Logger } from '@nestjs/common';
import { formatServiceKey } from '@/registry';
import type { NamingRegistry, ServiceKey } from '@/registry';
import type { AnswerWaiter, ConnectionTable, NacosConnection, PreparedRequest } from './connections';
import type { NotifySubscriberRequest } from './messages';
import { buildGrpcServiceInfo } from '@/nacos/view/grpc-service-info';

/** What a gRPC subscriber asked for, kept as its info in the registry's subscriber book. */
export interface GrpcSubscription {
  connectionId: string;
  clusters: string[];
  /** Who subscribed, for the client views (`/nacos/v2/ns/client/...`): the client's address, SDK version, app. */
  clientIp?: string;
  agent?: string;
  app?: string;
}

export interface PushOptions {
  /**
   * After a push, further changes to the service within this window become one push at its end.
   * The first change of a quiet service goes out at once (with the changes of the same turn).
   */
  delayMs: number;
  /** How long a client has to acknowledge a push before it is retried. */
  ackTimeoutMs: number;
  /** Retries of an unacknowledged push; each carries the service's state at that time. */
  maxRetries: number;
  /** Counts every push written and every failed one, for `/operator/push/state`. */
  tally?: { pushed(): void; pushFailed(): void };
  /** Nacos's `pushEnabled` switch: while it answers false, changes are not pushed (subscribers still query). */
  enabled?: () => boolean;
}

/**
 * Longest a fan-out writes before it yields to the event loop (requests, acknowledgements), so a
 * push to thousands of subscribers never stalls registrations. By time rather than by count: a
 * write costs 10–50 µs depending on the machine and its load.
 */
export const FAN_OUT_TURN_MS = 4;

interface DirtyService {
  key: ServiceKey;
  /** When the first unpushed change was queued (performance.now()), for stats.lastFanOutMs. */
  markedAt: number;
  /** Not before this time: the window of the previous push. */
  due: number;
}

interface Target {
  connection: NacosConnection;
  clusters: string[];
}

/**
 * One push of a service to some subscribers: one body per cluster filter, serialized once, and
 * one deadline for all their acknowledgements instead of a timer per subscriber.
 */
class PushRound {
  /** Deliveries not yet acknowledged. */
  readonly outstanding = new Set<Delivery>();
  /** Deliveries the client refused or that timed out: retried with the then-current state. */
  readonly unacknowledged: Delivery[] = [];
  timer: NodeJS.Timeout | undefined;
  /** True until the last delivery is written: a round whose first answers are in is not done. */
  writing = true;

  constructor(
    readonly key: ServiceKey,
    readonly serviceId: string,
    readonly generation: number,
    readonly attempt: number,
    readonly dispatcher: PushDispatcher,
  ) {}
}

/** A push written to one connection, waiting for its NotifySubscriberResponse. */
class Delivery implements AnswerWaiter {
  constructor(
    readonly round: PushRound,
    readonly connection: NacosConnection,
    readonly requestId: string,
  ) {}

  resolve(): void {
    this.round.dispatcher.settled(this, true);
  }

  reject(): void {
    this.round.dispatcher.settled(this, false);
  }
}

/**
 * Pushes NotifySubscriberRequest to gRPC subscribers. Changes are coalesced per service; each push
 * body is built and serialized once per cluster filter and the same bytes go to every subscriber;
 * the fan-out yields to the event loop between slices; an unacknowledged push is retried with the
 * then-current state unless a newer push of the service superseded it.
 */
export class PushDispatcher {
  private readonly logger = new Logger(PushDispatcher.name);
  private readonly dirty = new Map<string, DirtyService>();
  /** service id → end of the window of its last push (performance.now()). */
  private readonly windows = new Map<string, number>();
  /** service id → its latest round and how many of its rounds await answers (a superseded round is not retried). */
  private readonly active = new Map<string, { latest: number; rounds: number }>();
  private readonly rounds = new Set<PushRound>();
  private generation = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerDue = Infinity;
  private immediate: NodeJS.Immediate | undefined;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;
  /** Pushes written, acknowledged and failed (refused, timed out, connection gone), for metrics and tests. */
  readonly stats = { sent: 0, acked: 0, failed: 0, lastFanOutMs: 0 };

  constructor(
    private readonly registry: NamingRegistry,
    private readonly connections: ConnectionTable,
    private readonly options: PushOptions,
    private readonly now: () => number = () => performance.now(),
  ) {}

  start(): void {
    this.unsubscribe = this.registry.events.on('serviceChanged', ({ key }) => this.mark(key));
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    for (const round of this.rounds) clearTimeout(round.timer);
    this.rounds.clear();
    this.dirty.clear();
  }

  /** Queues a push of the service to its subscribers. */
  mark(key: ServiceKey): void {
    if (this.stopped || this.options.enabled?.() === false || this.registry.subscribers(key).size === 0) return;
    const serviceId = formatServiceKey(key);
    if (this.dirty.has(serviceId)) return;
    const now = this.now();
    const due = Math.max(now, this.windows.get(serviceId) ?? 0);
    this.dirty.set(serviceId, { key, markedAt: now, due });
    this.schedule(due, now);
  }

  /** Called by a Delivery when its connection answered (or failed to). */
  settled(delivery: Delivery, acknowledged: boolean): void {
    const round = delivery.round;
    if (!round.outstanding.delete(delivery)) return;
    if (acknowledged) {
      this.stats.acked++;
    } else {
      this.stats.failed++;
      this.options.tally?.pushFailed();
      round.unacknowledged.push(delivery);
    }
    if (round.outstanding.size === 0 && !round.writing) this.finish(round);
  }

  private schedule(due: number, now: number): void {
    if (due <= now) {
      // The changes made in this turn (a batch, several requests read together) make one push.
      this.immediate ??= setImmediate(() => {
        this.immediate = undefined;
        this.flush();
      });
      return;
    }
    if (this.timer !== undefined && this.timerDue <= due) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerDue = Infinity;
        this.flush();
      },
      Math.ceil(due - now),
    );
  }

  private flush(): void {
    if (this.stopped) return;
    const now = this.now();
    for (const [serviceId, end] of this.windows) if (end <= now) this.windows.delete(serviceId);
    let next = Infinity;
    for (const [serviceId, entry] of this.dirty) {
      // A timer may fire a little early; anything due within a millisecond goes now.
      if (entry.due > now + 1) {
        next = Math.min(next, entry.due);
        continue;
      }
      this.dirty.delete(serviceId);
      if (this.options.delayMs > 0) this.windows.set(serviceId, now + this.options.delayMs);
      this.fanOut(entry.key, serviceId, this.targets(entry.key), 0, entry.markedAt);
    }
    if (next !== Infinity) this.schedule(next, now);
  }

  private targets(key: ServiceKey, only?: ReadonlySet<string>): Target[] {
    const targets: Target[] = [];
    for (const [subscriberId, info] of this.registry.subscribers(key)) {
      if (only !== undefined && !only.has(subscriberId)) continue;
      const subscription = info as GrpcSubscription;
      const connection = this.connections.get(subscription.connectionId);
      if (connection !== undefined) targets.push({ connection, clusters: subscription.clusters });
    }
    return targets;
  }

  /** `since`: when the change was queued; the time to the last write is kept in stats.lastFanOutMs. */
  private fanOut(key: ServiceKey, serviceId: string, targets: Target[], attempt: number, since: number): void {
    if (targets.length === 0) return;
    const generation = ++this.generation;
    const active = this.active.get(serviceId);
    if (active === undefined) this.active.set(serviceId, { latest: generation, rounds: 1 });
    else {
      active.latest = generation;
      active.rounds++;
    }
    const round = new PushRound(key, serviceId, generation, attempt, this);
    this.rounds.add(round);
    round.timer = setTimeout(() => this.expire(round), this.options.ackTimeoutMs);
    const prepared = new Map<string, PreparedRequest>();
    const send = (from: number): void => {
      // Stopping clears the round's timer; nothing is written or awaited any more.
      if (this.stopped) return;
      const turnEnds = this.now() + FAN_OUT_TURN_MS;
      let i = from;
      for (; i < targets.length && (i === from || this.now() < turnEnds); i++) {
        const { connection, clusters } = targets[i];
        const filter = clusters.join(',');
        let request = prepared.get(filter);
        if (request === undefined) {
          request = this.prepare(key, clusters);
          prepared.set(filter, request);
        }
        const delivery = new Delivery(round, connection, request.requestId);
        round.outstanding.add(delivery);
        this.stats.sent++;
        this.options.tally?.pushed();
        if (this.connections.post(connection, request, delivery) !== undefined) this.settled(delivery, false);
      }
      if (i < targets.length) {
        setImmediate(() => send(i));
        return;
      }
      this.stats.lastFanOutMs = this.now() - since;
      round.writing = false;
      if (round.outstanding.size === 0) this.finish(round);
    };
    send(0);
  }

  /** The push of a service's current state for one cluster filter, serialized once. */
  private prepare(key: ServiceKey, clusters: string[]): PreparedRequest {
    const request: Omit<NotifySubscriberRequest, 'requestId'> = {
      module: 'naming',
      headers: {},
      namespace: key.namespace,
      serviceName: key.name,
      groupName: key.group,
      serviceInfo: buildGrpcServiceInfo(this.registry, key, clusters),
    };
    return this.connections.prepare('NotifySubscriberRequest', JSON.stringify(request));
  }

  /** The round's deadline: what is still unanswered counts as failed. */
  private expire(round: PushRound): void {
    round.timer = undefined;
    for (const delivery of round.outstanding) {
      this.connections.forget(delivery.connection, delivery.requestId);
      this.stats.failed++;
      this.options.tally?.pushFailed();
      round.unacknowledged.push(delivery);
    }
    round.outstanding.clear();
    this.finish(round);
  }

  /** Every delivery of the round is settled: retries what failed, unless a newer push replaced it. */
  private finish(round: PushRound): void {
    if (round.timer !== undefined) clearTimeout(round.timer);
    round.timer = undefined;
    this.rounds.delete(round);
    const active = this.active.get(round.serviceId);
    const superseded = active !== undefined && active.latest !== round.generation;
    if (active !== undefined && --active.rounds === 0) this.active.delete(round.serviceId);
    const failed = round.unacknowledged.filter((each) => this.connections.get(each.connection.id) !== undefined);
    if (this.stopped || superseded || failed.length === 0) return;
    if (round.attempt >= this.options.maxRetries) {
      this.logger.warn({ connections: failed.length, service: round.serviceId }, 'push not acknowledged, giving up');
      return;
    }
    // Only connections still subscribed, with the state of the service as it is now.
    const only = new Set(failed.map((each) => each.connection.id));
    const targets = this.targets(round.key, only);
    this.fanOut(round.key, round.serviceId, targets, round.attempt + 1, this.now());
  }
}
