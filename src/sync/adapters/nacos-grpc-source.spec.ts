import { formatServiceKey } from '@/registry';
import type { ServiceKey } from '@/registry';
import { eventually } from '../../../tools/support/eventually';
import type { TaskSelector } from '../reconcile/copy-plan';
import type { NacosNamingClient } from './nacos-grpc-client';
import { NacosGrpcSource } from './nacos-grpc-source';
import type { NacosServiceListing } from './nacos-service-listing';
import type { ServiceSnapshot } from './source-registry';

const SELECTOR: TaskSelector = { namespace: '*', groupName: '*', serviceName: '*', exclude: [] };
const key = (namespace: string, group: string, name: string): ServiceKey => ({ namespace, group, name });
const host = (ip: string) => ({ ip, port: 80, weight: 1, healthy: true, enabled: true, clusterName: 'DEFAULT' });

/** A Nacos whose services and their hosts the test sets; counts subscriptions in flight. */
class FakeNacos {
  services = new Map<string, { key: ServiceKey; hosts: string[] }>();
  listingFails = false;
  subscribed = new Map<string, (info: { hosts: ReturnType<typeof host>[] }) => void>();
  inFlight = 0;
  mostInFlight = 0;
  subscribeCalls = 0;
  /** When set, subscriptions wait for it instead of 2 ms. */
  gate: Promise<void> | undefined;

  set(k: ServiceKey, ...ips: string[]): void {
    this.services.set(formatServiceKey(k), { key: k, hosts: ips });
    this.subscribed.get(formatServiceKey(k))?.({ hosts: ips.map(host) });
  }

  listing(): NacosServiceListing {
    return {
      matching: () =>
        this.listingFails
          ? Promise.reject(new Error('console answered 503'))
          : Promise.resolve([...this.services.values()].map((s) => s.key)),
    } as unknown as NacosServiceListing;
  }

  clientFor(): (namespace: string) => NacosNamingClient {
    const client = this.client();
    return () => client;
  }

  client(): NacosNamingClient {
    const ref = (name: string, r: { group?: string; namespace?: string }) =>
      formatServiceKey(key(r.namespace ?? 'public', r.group ?? 'DEFAULT_GROUP', name));
    return {
      query: (name: string, r: { group?: string; namespace?: string }) =>
        Promise.resolve({ hosts: (this.services.get(ref(name, r))?.hosts ?? []).map(host) }),
      subscribe: async (name: string, listener: (info: unknown) => void, r: { group?: string; namespace?: string }) => {
        this.subscribeCalls++;
        this.mostInFlight = Math.max(this.mostInFlight, ++this.inFlight);
        await (this.gate ?? new Promise((resolve) => setTimeout(resolve, 2)));
        this.inFlight--;
        this.subscribed.set(ref(name, r), listener);
        return { hosts: (this.services.get(ref(name, r))?.hosts ?? []).map(host) };
      },
      unsubscribe: (name: string, _l: unknown, r: { group?: string; namespace?: string }) => {
        this.subscribed.delete(ref(name, r));
        return Promise.resolve();
      },
    } as unknown as NacosNamingClient;
  }
}

describe(NacosGrpcSource.name, () => {
  it('should snapshot every listed service across namespaces, querying each in its namespace', async () => {
    const nacos = new FakeNacos();
    nacos.set(key('public', 'DEFAULT_GROUP', 'orders'), '10.0.0.1');
    nacos.set(key('dev', 'shop', 'cart'), '10.0.0.2', '10.0.0.3');
    const sut = new NacosGrpcSource(nacos.clientFor(), nacos.listing());

    const snapshot = await sut.snapshot(SELECTOR);

    expect(snapshot.map((s) => `${formatServiceKey(s.key)} ${s.instances.length}`).sort()).toEqual([
      'dev##shop@@cart 2',
      'public##DEFAULT_GROUP@@orders 1',
    ]);
  });

  it('should subscribe services as they appear, a bounded number at a time, and report vanished ones empty', async () => {
    const nacos = new FakeNacos();
    for (let i = 0; i < 30; i++) nacos.set(key(`ns-${i % 3}`, `g-${i % 2}`, `svc-${i}`), `10.1.0.${i}`);
    const seen = new Map<string, number>();
    const errors: Error[] = [];
    const sut = new NacosGrpcSource(nacos.clientFor(), nacos.listing(), { relistIntervalMs: 20, concurrency: 4 });
    const watch = sut.watch(
      SELECTOR,
      (s: ServiceSnapshot) => seen.set(formatServiceKey(s.key), s.instances.length),
      (e) => errors.push(e),
    );
    try {
      await eventually(() => expect(seen.size).toBe(30));
      expect(nacos.mostInFlight).toBeLessThanOrEqual(4);

      // A service added later (in a new namespace) is found at the next listing; pushes flow.
      nacos.set(key('late', 'DEFAULT_GROUP', 'added'), '10.2.0.1');
      await eventually(() => expect(seen.get('late##DEFAULT_GROUP@@added')).toBe(1));
      nacos.set(key('late', 'DEFAULT_GROUP', 'added'), '10.2.0.1', '10.2.0.2');
      await eventually(() => expect(seen.get('late##DEFAULT_GROUP@@added')).toBe(2));

      // A listing that fails changes nothing and is reported.
      nacos.listingFails = true;
      nacos.services.delete('ns-0##g-0@@svc-0');
      await eventually(() => expect(errors.length).toBeGreaterThan(0));
      expect(seen.get('ns-0##g-0@@svc-0')).toBe(1);

      // Gone from a complete listing: reported with no instances and unsubscribed.
      nacos.listingFails = false;
      await eventually(() => expect(seen.get('ns-0##g-0@@svc-0')).toBe(0));
      expect(nacos.subscribed.has('ns-0##g-0@@svc-0')).toBe(false);
    } finally {
      watch.close();
    }
    await eventually(() => expect(nacos.subscribed.size).toBe(0));
  });

  it('should subscribe nothing more once closed, and end the subscriptions in flight when it closed', async () => {
    const nacos = new FakeNacos();
    for (let i = 0; i < 20; i++) nacos.set(key('public', 'DEFAULT_GROUP', `svc-${i}`), `10.3.0.${i}`);
    let release: () => void = () => undefined;
    nacos.gate = new Promise<void>((resolve) => (release = resolve));
    const watch = new NacosGrpcSource(nacos.clientFor(), nacos.listing(), { concurrency: 4 }).watch(
      SELECTOR,
      () => undefined,
      () => undefined,
    );
    await eventually(() => expect(nacos.inFlight).toBe(4));

    watch.close();
    release();
    await eventually(() => expect(nacos.inFlight).toBe(0));
    await new Promise((resolve) => setImmediate(resolve));

    // Before: the first round went on subscribing the other 16 after close, and nothing ended them.
    expect(nacos.subscribeCalls).toBe(4);
    expect([...nacos.subscribed.keys()]).toEqual([]);
  });
});
