import { formatServiceKey } from './model';
import type { ServiceKey } from './model';

interface ServiceSubscribers {
  key: ServiceKey;
  byId: Map<string, unknown>;
}

const NONE: ReadonlyMap<string, unknown> = new Map();

/**
 * Who watches which service on this node (never replicated). `info` is whatever the transport
 * needs to push: a UDP address, a gRPC connection id, a sync task.
 */
export class SubscriberBook {
  private readonly byService = new Map<string, ServiceSubscribers>();
  /** subscriber id → service ids, so a closing connection is forgotten in one call. */
  private readonly bySubscriber = new Map<string, Set<string>>();

  /** Adds or refreshes a subscription; returns true when it is new. */
  subscribe(key: ServiceKey, subscriberId: string, info: unknown): boolean {
    const serviceId = formatServiceKey(key);
    let entry = this.byService.get(serviceId);
    if (entry === undefined) {
      entry = { key: { namespace: key.namespace, group: key.group, name: key.name }, byId: new Map() };
      this.byService.set(serviceId, entry);
    }
    const isNew = !entry.byId.has(subscriberId);
    entry.byId.set(subscriberId, info);
    let services = this.bySubscriber.get(subscriberId);
    if (services === undefined) {
      services = new Set();
      this.bySubscriber.set(subscriberId, services);
    }
    services.add(serviceId);
    return isNew;
  }

  /** Returns true when the subscription existed. */
  unsubscribe(key: ServiceKey, subscriberId: string): boolean {
    const serviceId = formatServiceKey(key);
    const removed = this.forget(serviceId, subscriberId);
    const services = this.bySubscriber.get(subscriberId);
    if (services !== undefined) {
      services.delete(serviceId);
      if (services.size === 0) this.bySubscriber.delete(subscriberId);
    }
    return removed;
  }

  /** Subscriber id → info for one service. */
  subscribers(key: ServiceKey): ReadonlyMap<string, unknown> {
    return this.byService.get(formatServiceKey(key))?.byId ?? NONE;
  }

  /** Every service someone watches on this node. */
  services(): ServiceKey[] {
    const out: ServiceKey[] = [];
    for (const entry of this.byService.values()) out.push({ ...entry.key });
    return out;
  }

  /** The services one subscriber watches. */
  servicesOf(subscriberId: string): ServiceKey[] {
    const out: ServiceKey[] = [];
    for (const serviceId of this.bySubscriber.get(subscriberId) ?? []) {
      const key = this.byService.get(serviceId)?.key;
      if (key !== undefined) out.push({ ...key });
    }
    return out;
  }

  /** Drops every subscription of one subscriber; returns the services it watched. */
  removeEverywhere(subscriberId: string): ServiceKey[] {
    const services = this.bySubscriber.get(subscriberId);
    if (services === undefined) return [];
    this.bySubscriber.delete(subscriberId);
    const left: ServiceKey[] = [];
    for (const serviceId of services) {
      const key = this.byService.get(serviceId)?.key;
      if (key !== undefined && this.forget(serviceId, subscriberId)) left.push(key);
    }
    return left;
  }

  /** Number of (service, subscriber) pairs. */
  get size(): number {
    let total = 0;
    for (const entry of this.byService.values()) total += entry.byId.size;
    return total;
  }

  private forget(serviceId: string, subscriberId: string): boolean {
    const entry = this.byService.get(serviceId);
    if (entry === undefined || !entry.byId.delete(subscriberId)) return false;
    if (entry.byId.size === 0) this.byService.delete(serviceId);
    return true;
  }
}
