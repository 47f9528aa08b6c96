import { EventEmitter } from 'node:events';
import { eventually } from '../../../tools/support/eventually';
import { NacosRegistryAdapter } from './nacos-adapter';
import type { ServiceSnapshot } from './source-registry';

/**
 * A Nacos 2.x server as the adapter's connections see it: each connection (a fake NacosTransport)
 * subscribes services by namespace, group and name, and a change is pushed to every connection
 * subscribed to it as Nacos's PushExecutorRpcImpl does — NotifySubscriberRequest.buildNotifySubscriberRequest
 * sets the serviceInfo (name, groupName, clusters, hosts) and no namespace.
 */
const mockNacos = {
  hosts: new Map<string, string[]>(),
  connections: [] as Array<{ namespace: string; subscribed: Set<string>; emit: (event: string, arg: unknown) => void }>,
  info(namespace: string, groupName: string, name: string) {
    const ips = mockNacos.hosts.get(`${namespace}/${groupName}/${name}`) ?? [];
    const hosts = ips.map((ip) => ({ ip, port: 80, weight: 1, healthy: true, enabled: true, clusterName: 'DEFAULT' }));
    return { name, groupName, clusters: '', hosts };
  },
  set(namespace: string, groupName: string, name: string, ...ips: string[]) {
    const id = `${namespace}/${groupName}/${name}`;
    mockNacos.hosts.set(id, ips);
    for (const connection of mockNacos.connections) {
      if (connection.subscribed.has(id)) {
        connection.emit('push', { module: 'naming', serviceInfo: mockNacos.info(namespace, groupName, name) });
      }
    }
  },
};

jest.mock('./nacos-grpc-client/nacos-grpc-transport', () => {
  const actual = jest.requireActual<Record<string, unknown>>('./nacos-grpc-client/nacos-grpc-transport');
  class FakeTransport extends EventEmitter {
    readonly subscribed = new Set<string>();
    readonly server = 'fake:9848';
    readonly connectionId = 'fake';
    constructor(readonly options: { namespace?: string }) {
      super();
      mockNacos.connections.push({
        namespace: options.namespace ?? '',
        subscribed: this.subscribed,
        emit: (e, a) => this.emit(e, a),
      });
    }
    start(): Promise<void> {
      return Promise.resolve();
    }
    close(): void {}
    request(type: string, body: Record<string, unknown>): Promise<unknown> {
      const [ns, group, name] = [body.namespace as string, body.groupName as string, body.serviceName as string];
      if (type === 'ServiceListRequest') {
        const prefix = `${ns}/${group}/`;
        const names = [...mockNacos.hosts.keys()]
          .filter((id) => id.startsWith(prefix))
          .map((id) => id.slice(prefix.length));
        return Promise.resolve({ count: names.length, serviceNames: names });
      }
      if (type === 'SubscribeServiceRequest') {
        if (body.subscribe === true) this.subscribed.add(`${ns}/${group}/${name}`);
        else this.subscribed.delete(`${ns}/${group}/${name}`);
      }
      return Promise.resolve({ serviceInfo: mockNacos.info(ns, group, name) });
    }
  }
  return { ...actual, NacosTransport: FakeTransport };
});

jest.mock('./nacos-v1-client', () => {
  const actual = jest.requireActual<Record<string, unknown>>('./nacos-v1-client');
  class FakeV1Client {
    namespaces(): Promise<string[]> {
      return Promise.resolve(['public', 'dev']);
    }
  }
  return { ...actual, NacosV1Client: FakeV1Client };
});

describe('NacosRegistryAdapter as a source across namespaces, against Nacos 2.x pushes', () => {
  it("should copy a push of one namespace's service to that namespace only, never to a namesake", async () => {
    mockNacos.set('public', 'DEFAULT_GROUP', 'orders', '10.0.0.1');
    mockNacos.set('dev', 'DEFAULT_GROUP', 'orders', '10.9.0.1');
    const adapter = new NacosRegistryAdapter({ addresses: ['nacos:8848'], namespace: 'public', relistIntervalMs: 50 });
    const latest = new Map<string, string[]>();
    const errors: Error[] = [];
    const watch = adapter.watch(
      { namespace: '*', groupName: 'DEFAULT_GROUP', serviceName: '*', exclude: [] },
      (s: ServiceSnapshot) => latest.set(`${s.key.namespace}/${s.key.name}`, s.instances.map((i) => i.ip).sort()),
      (e) => errors.push(e),
    );
    try {
      await eventually(() => expect(latest.size).toBe(2), { timeoutMs: 2000 });

      mockNacos.set('dev', 'DEFAULT_GROUP', 'orders', '10.9.0.1', '10.9.0.2');

      await eventually(() => expect(latest.get('dev/orders')).toEqual(['10.9.0.1', '10.9.0.2']), { timeoutMs: 2000 });
      expect(latest.get('public/orders')).toEqual(['10.0.0.1']);
      expect(errors).toEqual([]);
    } finally {
      watch.close();
      await adapter.close();
    }
  });
});
