import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { gzipSync } from 'node:zlib';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Counter } from 'prom-client';
import { AppConfig } from '@/config';
import { Metrics } from '@/observability';
import { Registry, formatServiceKey } from '@/registry';
import type { NamingRegistry } from '@/registry';
import type { ServiceKey } from '@/registry';
import { buildServiceInfo } from '@/nacos/view/service-info';
import { NamingSwitches } from '@/nacos/http/naming-switches';
import { PushTally } from '@/nacos/push-tally';
import type { BeatTimings } from '@/nacos/view/service-info';

/** Where a v1 client listens for pushes of one service, and which clusters it asked for. */
export interface UdpTarget {
  address: string;
  port: number;
  clusters: string[];
  clustersEcho: string;
  /** The poller's User-Agent and `app` param, for the client views. */
  agent?: string;
  app?: string;
}

/** What the registry's subscriber book keeps for a UDP subscriber (never replicated). */
export class UdpSubscription {
  constructor(
    readonly target: UdpTarget,
    public lastSeen: number,
  ) {}
}

interface PendingAck {
  packet: Buffer;
  address: string;
  port: number;
  retriesLeft: number;
  timer: NodeJS.Timeout;
  slot: string;
}

/** Nacos gzips push packets from this size on. */
const GZIP_FROM_BYTES = 1024;
/** Time between resends of an unacknowledged push (Nacos: 1 s). */
const RETRY_AFTER_MS = 1000;
/** Unacknowledged pushes tracked at once; beyond that new pushes go out without retries. */
const MAX_PENDING_ACKS = 10_000;
const MAX_ACK_BYTES = 64 * 1024;
/** Live subscriptions kept at most, so polling with made-up udpPorts cannot grow memory without bound. */
const MAX_SUBSCRIPTIONS = 100_000;

/**
 * UDP push to Nacos v1 subscribers: one socket per node; changes of a service within the push
 * delay are coalesced into one `dom` packet per subscriber; unacknowledged packets are resent a
 * few times; subscribers that stop polling expire.
 */
@Injectable()
export class UdpPushService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(UdpPushService.name);
  private socket: Socket | undefined;
  private readonly dirty = new Map<string, ServiceKey>();
  private flushTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private unlisten: (() => void) | undefined;
  private readonly acks = new Map<number, PendingAck>();
  /** subscriber|service → ack id of its newest unacknowledged push, so a newer push supersedes it. */
  private readonly ackBySlot = new Map<string, number>();
  /** Every live UDP subscription, keyed subscriber|service, for expiry sweeps. */
  private readonly subscriptions = new Map<string, { key: ServiceKey; subscriberId: string; entry: UdpSubscription }>();
  private lastAckId = 0;
  private readonly pushes: Counter<'result'>;
  private readonly timings: BeatTimings;

  constructor(
    @Inject(Registry) private readonly registry: NamingRegistry,
    private readonly config: AppConfig,
    metrics: Metrics,
    private readonly switches: NamingSwitches,
    private readonly tally: PushTally,
  ) {
    const { intervalMs, unhealthyMs, deleteMs } = config.nacos.beat;
    this.timings = { intervalMs, unhealthyMs, deleteMs };
    this.pushes = new Counter({
      name: 'nacos_udp_push_total',
      help: 'UDP push packets to Nacos v1 subscribers by result (sent, retried, acked, failed)',
      labelNames: ['result'],
      registers: [metrics.registry],
    });
  }

  onModuleInit(): void {
    const socket = createSocket(isIP(this.config.node.host) === 6 ? 'udp6' : 'udp4');
    socket.on('message', (message) => this.onAck(message));
    socket.on('error', (err) => this.logger.warn({ err }, 'UDP push socket error'));
    socket.bind(0, this.config.node.host);
    socket.unref();
    this.socket = socket;
    this.unlisten = this.registry.events.on('serviceChanged', ({ key }) => this.markDirty(key));
    const ttl = this.config.nacos.udp.subscriberTtlMs;
    this.sweepTimer = setInterval(() => this.expireSubscribers(Date.now()), Math.max(50, Math.min(5000, ttl / 3)));
    this.sweepTimer.unref();
  }

  onApplicationShutdown(): void {
    this.unlisten?.();
    clearTimeout(this.flushTimer);
    clearInterval(this.sweepTimer);
    for (const pending of this.acks.values()) clearTimeout(pending.timer);
    this.acks.clear();
    this.ackBySlot.clear();
    this.socket?.close();
    this.socket = undefined;
  }

  /** Adds or refreshes a subscriber (each poll of `/instance/list` with a udpPort refreshes it). */
  subscribe(key: ServiceKey, target: UdpTarget, now: number = Date.now()): void {
    const subscriberId = `udp:${target.address}:${target.port}:${target.clustersEcho}`;
    const slot = `${subscriberId}|${formatServiceKey(key)}`;
    const known = this.subscriptions.get(slot);
    if (known !== undefined) {
      known.entry.lastSeen = now;
      return;
    }
    if (this.subscriptions.size >= MAX_SUBSCRIPTIONS) {
      this.logger.warn(
        { subscriber: subscriberId, limit: MAX_SUBSCRIPTIONS },
        'UDP subscriber limit reached; not subscribed',
      );
      return;
    }
    const entry = new UdpSubscription(target, now);
    this.subscriptions.set(slot, { key, subscriberId, entry });
    this.registry.subscribe(key, subscriberId, entry);
  }

  /** The live subscriptions of the v1 client listening on `address:port` (its ip-port client `address:port#true`). */
  subscriptionsOf(address: string, port: number): Array<{ key: ServiceKey; target: UdpTarget }> {
    const out: Array<{ key: ServiceKey; target: UdpTarget }> = [];
    for (const { key, entry } of this.subscriptions.values()) {
      if (entry.target.address === address && entry.target.port === port) out.push({ key, target: entry.target });
    }
    return out;
  }

  /** Number of live UDP subscriptions (subscriber × service). */
  get subscriptionCount(): number {
    return this.subscriptions.size;
  }

  /** Pushes every service changed since the last flush, one packet per subscriber. */
  flush(now: number = Date.now()): void {
    this.flushTimer = undefined;
    const keys = [...this.dirty.values()];
    this.dirty.clear();
    for (const key of keys) this.pushService(key, now);
  }

  expireSubscribers(now: number): void {
    const ttl = this.config.nacos.udp.subscriberTtlMs;
    for (const [slot, { key, subscriberId, entry }] of this.subscriptions) {
      if (now - entry.lastSeen <= ttl) continue;
      this.subscriptions.delete(slot);
      this.registry.unsubscribe(key, subscriberId);
      this.logger.debug({ subscriber: subscriberId, service: formatServiceKey(key) }, 'UDP subscriber expired');
    }
  }

  private markDirty(key: ServiceKey): void {
    if (!this.hasUdpSubscriber(key)) return;
    this.dirty.set(formatServiceKey(key), key);
    if (this.flushTimer === undefined) {
      this.flushTimer = setTimeout(() => this.flush(), this.config.nacos.udp.pushDelayMs);
      this.flushTimer.unref();
    }
  }

  private hasUdpSubscriber(key: ServiceKey): boolean {
    for (const info of this.registry.subscribers(key).values()) if (info instanceof UdpSubscription) return true;
    return false;
  }

  private pushService(key: ServiceKey, now: number): void {
    // The `pushEnabled` switch: subscribers keep polling, nothing is pushed.
    if (!this.switches.pushEnabled) return;
    const packets = new Map<string, ReturnType<typeof buildServiceInfo>>();
    for (const [subscriberId, info] of this.registry.subscribers(key)) {
      if (!(info instanceof UdpSubscription)) continue;
      const { target } = info;
      let serviceInfo = packets.get(target.clustersEcho);
      if (serviceInfo === undefined) {
        const query = { clusters: target.clusters, clustersEcho: target.clustersEcho, healthyOnly: false };
        serviceInfo = buildServiceInfo(this.registry, key, query, this.timings, now);
        packets.set(target.clustersEcho, serviceInfo);
      }
      this.send(`${subscriberId}|${formatServiceKey(key)}`, target, JSON.stringify(serviceInfo));
    }
  }

  private send(slot: string, target: UdpTarget, data: string): void {
    const socket = this.socket;
    if (socket === undefined) return;
    const ackId = (this.lastAckId = Math.max(this.lastAckId + 1, Date.now() * 1000));
    const json = Buffer.from(JSON.stringify({ type: 'dom', data, lastRefTime: ackId }));
    const packet = json.length >= GZIP_FROM_BYTES ? gzipSync(json) : json;
    const superseded = this.ackBySlot.get(slot);
    if (superseded !== undefined) this.dropAck(superseded);
    this.transmit(packet, target.address, target.port, 'sent');
    this.tally.pushed();
    if (this.acks.size >= MAX_PENDING_ACKS || this.config.nacos.udp.retries === 0) return;
    const pending: PendingAck = {
      packet,
      address: target.address,
      port: target.port,
      retriesLeft: this.config.nacos.udp.retries,
      timer: this.retryTimer(ackId),
      slot,
    };
    this.acks.set(ackId, pending);
    this.ackBySlot.set(slot, ackId);
  }

  private retryTimer(ackId: number): NodeJS.Timeout {
    const timer = setTimeout(() => this.retry(ackId), RETRY_AFTER_MS);
    timer.unref();
    return timer;
  }

  private retry(ackId: number): void {
    const pending = this.acks.get(ackId);
    if (pending === undefined) return;
    if (pending.retriesLeft <= 0) {
      this.dropAck(ackId);
      this.pushes.inc({ result: 'failed' });
      this.tally.pushFailed();
      this.logger.debug({ subscriber: pending.slot }, 'UDP push not acknowledged; giving up');
      return;
    }
    pending.retriesLeft--;
    pending.timer = this.retryTimer(ackId);
    this.transmit(pending.packet, pending.address, pending.port, 'retried');
  }

  private transmit(packet: Buffer, address: string, port: number, result: 'sent' | 'retried'): void {
    this.socket?.send(packet, port, address, (err) => {
      if (err) this.logger.debug({ err, address, port }, 'UDP push send failed');
    });
    this.pushes.inc({ result });
  }

  private onAck(message: Buffer): void {
    if (message.length > MAX_ACK_BYTES) return;
    let ack: unknown;
    try {
      ack = JSON.parse(message.toString('utf8'));
    } catch {
      return;
    }
    if (ack === null || typeof ack !== 'object') return;
    const { type, lastRefTime } = ack as { type?: unknown; lastRefTime?: unknown };
    if (type !== 'push-ack' || typeof lastRefTime !== 'number' || !this.acks.has(lastRefTime)) return;
    this.dropAck(lastRefTime);
    this.pushes.inc({ result: 'acked' });
  }

  private dropAck(ackId: number): void {
    const pending = this.acks.get(ackId);
    if (pending === undefined) return;
    clearTimeout(pending.timer);
    this.acks.delete(ackId);
    if (this.ackBySlot.get(pending.slot) === ackId) this.ackBySlot.delete(pending.slot);
  }
}
