import { Registry } from '@/registry';
import { ClusterRouting } from '@/routing/cluster-routing';
import type { ClusterMember, ForwardedHttpRequest, ForwardedHttpResponse } from '@/routing/cluster-routing';
import { MemberUnreachableError } from '@/routing/cluster-routing';
import { UdpSubscription } from '@/nacos/udp/udp-push.service';
import type { UdpPushService } from '@/nacos/udp/udp-push.service';
import { ClientViews } from './client-views';
import type { SubscriberView } from './client-views';
import { NacosParams } from './nacos-params';
import { SubscriberAggregator } from './service-subscribers';

/** A member of a region where `10.9.*` ip-port clients belong to `peer:9849`. */
class FakeRouting extends ClusterRouting {
  selfId(): string {
    return 'self:9849';
  }
  initialized(): boolean {
    return true;
  }
  responsibleMember(tag: string): string | undefined {
    return tag.startsWith('10.9.') ? 'peer:9849' : undefined;
  }
  isResponsibleForClient(): boolean {
    return true;
  }
  forwardHttp(): Promise<ForwardedHttpResponse> {
    return Promise.reject(new Error('not used'));
  }
  replicated(): Promise<void> {
    return Promise.resolve();
  }
}

/** No v1 UDP pollers on this node. */
const noUdp = { subscriptionsOf: () => [] } as unknown as UdpPushService;
const svc = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'orders' };

describe(ClientViews.name, () => {
  describe('detail', () => {
    it('should name the member holding each client: responsible for ip-port, owner for the others', () => {
      const registry = new Registry();
      registry.registerInstance('10.9.0.1:80#true', 'ipport', svc, { ip: '10.9.0.1', port: 80 });
      registry.registerInstance('10.1.0.1:80#true', 'ipport', svc, { ip: '10.1.0.1', port: 80 });
      registry.registerInstance(
        '1_10.2.0.1_5000_1',
        'connection',
        svc,
        { ip: '10.2.0.1', port: 80 },
        { owner: 'other:9849' },
      );
      registry.registerInstance('sync:t1', 'sync', svc, { ip: '10.3.0.1', port: 80 }, { owner: 'third:9849' });
      const sut = new ClientViews(registry, new FakeRouting(), noUdp);
      const holder = (clientId: string) => sut.detail(NacosParams.of({ clientId })).responsibleServer;

      expect(holder('10.9.0.1:80#true')).toBe('peer:9849');
      expect(holder('10.1.0.1:80#true')).toBe('self:9849');
      expect(holder('1_10.2.0.1_5000_1')).toBe('other:9849');
      expect(holder('sync:t1')).toBe('third:9849');
      expect(sut.detail(NacosParams.of({ clientId: 'sync:t1' }))).toMatchObject({
        clientType: 'sync',
        ephemeral: true,
      });
      // A replica's connection details stay with the node holding the connection: only what its id tells.
      expect(sut.detail(NacosParams.of({ clientId: '1_10.2.0.1_5000_1' }))).toEqual({
        clientId: '1_10.2.0.1_5000_1',
        ephemeral: true,
        lastUpdatedTime: expect.any(Number),
        clientType: 'connection',
        clientIp: '10.2.0.1',
        clientPort: '5000',
        responsibleServer: 'other:9849',
      });
    });
  });

  describe('serviceSubscribers', () => {
    const udp = (address: string, port: number) =>
      new UdpSubscription(
        { address, port, clusters: [], clustersEcho: '', agent: 'Nacos-Java-Client:v1', app: 'shop' },
        0,
      );
    const grpc = {
      connectionId: 'c1',
      clusters: ['A', 'B'],
      clientIp: '10.2.0.1',
      agent: 'Nacos-Java-Client:v2.5.0',
      app: 'web',
    };

    function setUp(routing: ClusterRouting = new FakeRouting()): SubscriberAggregator {
      const registry = new Registry();
      registry.subscribe(svc, '10.1.0.1:9000', udp('10.1.0.1', 9000));
      registry.subscribe(svc, '1_10.2.0.1_5000_1', grpc);
      registry.subscribe({ ...svc, name: 'orders-v2' }, '10.1.0.2:9000', udp('10.1.0.2', 9000));
      registry.subscribe({ ...svc, name: 'stock' }, '10.1.0.3:9000', udp('10.1.0.3', 9000));
      registry.subscribe({ ...svc, namespace: 'dev' }, '10.1.0.4:9000', udp('10.1.0.4', 9000));
      return new SubscriberAggregator(new ClientViews(registry, routing, noUdp), routing);
    }

    it('should list the subscribers of every service whose name contains the pattern, in Nacos Subscriber shape', async () => {
      const result = await setUp().serviceSubscribers(NacosParams.of({ serviceName: 'orders' }));

      expect(result.count).toBe(3);
      expect(result.subscribers).toEqual([
        {
          addrStr: '10.1.0.1:9000',
          agent: 'Nacos-Java-Client:v1',
          app: 'shop',
          ip: '10.1.0.1',
          port: 9000,
          namespaceId: 'public',
          serviceName: 'DEFAULT_GROUP@@orders',
          cluster: '',
        },
        {
          addrStr: '10.2.0.1',
          agent: 'Nacos-Java-Client:v2.5.0',
          app: 'web',
          ip: '10.2.0.1',
          port: 0,
          namespaceId: 'public',
          serviceName: 'DEFAULT_GROUP@@orders',
          cluster: 'A,B',
        },
        expect.objectContaining({ addrStr: '10.1.0.2:9000', serviceName: 'DEFAULT_GROUP@@orders-v2' }),
      ]);
    });

    it('should page with the total as count, and keep to the namespace and group asked', async () => {
      const sut = setUp();
      const page = await sut.serviceSubscribers(NacosParams.of({ serviceName: 'orders', pageNo: '2', pageSize: '2' }));
      const beyond = await sut.serviceSubscribers(
        NacosParams.of({ serviceName: 'orders', pageNo: '9', pageSize: '2' }),
      );
      const dev = await sut.serviceSubscribers(NacosParams.of({ serviceName: 'orders', namespaceId: 'dev' }));
      const otherGroup = await sut.serviceSubscribers(NacosParams.of({ serviceName: 'orders', groupName: 'G2' }));

      expect(page).toEqual({ count: 3, subscribers: [expect.objectContaining({ addrStr: '10.1.0.2:9000' })] });
      expect(beyond).toEqual({ count: 3, subscribers: [] });
      expect(dev.subscribers.map((s) => s.addrStr)).toEqual(['10.1.0.4:9000']);
      expect(otherGroup).toEqual({ count: 0, subscribers: [] });
    });

    it('should refuse a missing serviceName and bad paging or aggregation values, asking no member', async () => {
      const routing = new PeeredRouting({});
      const sut = setUp(routing);

      await expect(sut.serviceSubscribers(NacosParams.of({}))).rejects.toThrow(/serviceName/);
      await expect(sut.serviceSubscribers(NacosParams.of({ serviceName: 'a', pageSize: '0' }))).rejects.toThrow(
        /pageSize/,
      );
      await expect(sut.serviceSubscribers(NacosParams.of({ serviceName: 'a', pageNo: 'x' }))).rejects.toThrow(/pageNo/);
      await expect(
        sut.serviceSubscribers(NacosParams.of({ serviceName: 'a', aggregation: 'maybe' })),
      ).rejects.toThrow();
      expect(routing.asked).toEqual([]);
    });

    it("should merge every member's own subscribers, de-duplicated, then page the merge", async () => {
      const peerList = [
        view('10.7.0.1:9000', 'DEFAULT_GROUP@@orders'),
        // The same subscriber this node holds (a v1 poller that also asked another node): listed once.
        { ...view('10.1.0.1:9000', 'DEFAULT_GROUP@@orders'), agent: 'Nacos-Java-Client:v1', app: 'shop' },
      ];
      const routing = new PeeredRouting({
        'b:9849': answer(peerList),
        'c:9849': answer([view('10.8.0.1', 'DEFAULT_GROUP@@orders-v2')]),
      });
      const sut = setUp(routing);

      const all = await sut.serviceSubscribers(NacosParams.of({ serviceName: 'orders', accessToken: 't' }));
      const second = await sut.serviceSubscribers(
        NacosParams.of({ serviceName: 'orders', pageNo: '2', pageSize: '2' }),
      );

      expect(all.count).toBe(5);
      expect(all.unansweredMembers).toBeUndefined();
      expect(all.subscribers.map((s) => s.addrStr)).toEqual([
        '10.1.0.1:9000',
        '10.2.0.1',
        '10.7.0.1:9000',
        '10.1.0.2:9000',
        '10.8.0.1',
      ]);
      expect(second.subscribers.map((s) => s.addrStr)).toEqual(['10.7.0.1:9000', '10.1.0.2:9000']);
      // Each member is asked for its own list, whole, with the caller's params (its credentials included)
      // and the service as this node read it (group and namespace spelt out).
      const asked = new URL(`http://x${routing.asked[0].url}`);
      expect(asked.pathname).toBe('/nacos/v1/ns/service/subscribers');
      expect(Object.fromEntries(asked.searchParams)).toEqual({
        serviceName: 'orders',
        groupName: 'DEFAULT_GROUP',
        namespaceId: 'public',
        accessToken: 't',
        aggregation: 'false',
        pageNo: '1',
        pageSize: '10000',
      });
    });

    it('should answer with what it gathered and name the members that gave no or a bad answer', async () => {
      const routing = new PeeredRouting({
        'b:9849': answer([view('10.7.0.1:9000', 'DEFAULT_GROUP@@orders')]),
        'c:9849': new MemberUnreachableError('c:9849', 'timeout'),
        'd:9849': { status: 200, headers: {}, body: '{"subscribers":[{"addrStr":1}]}' },
        'e:9849': { status: 403, headers: {}, body: 'unknown user!' },
      });

      const result = await setUp(routing).serviceSubscribers(NacosParams.of({ serviceName: 'orders' }));

      expect(result.count).toBe(4);
      expect(result.unansweredMembers).toEqual(['c:9849', 'd:9849', 'e:9849']);
    });

    it('should ask no other member with aggregation=false', async () => {
      const routing = new PeeredRouting({ 'b:9849': answer([view('10.7.0.1:9000', 'DEFAULT_GROUP@@orders')]) });

      const result = await setUp(routing).serviceSubscribers(
        NacosParams.of({ serviceName: 'orders', aggregation: 'false' }),
      );

      expect(result.count).toBe(3);
      expect(routing.asked).toEqual([]);
    });
  });
});

function view(addrStr: string, serviceName: string): SubscriberView {
  const [ip, port] = addrStr.split(':');
  return {
    addrStr,
    agent: 'a',
    app: 'x',
    ip,
    port: Number(port ?? 0),
    namespaceId: 'public',
    serviceName,
    cluster: '',
  };
}

function answer(subscribers: SubscriberView[]): ForwardedHttpResponse {
  return { status: 200, headers: {}, body: JSON.stringify({ subscribers, count: subscribers.length }) };
}

/** A region whose other members answer (or not) as given. */
class PeeredRouting extends FakeRouting {
  readonly asked: ForwardedHttpRequest[] = [];

  constructor(private readonly peers: Record<string, ForwardedHttpResponse | Error>) {
    super();
  }

  override members(): ClusterMember[] {
    return [
      { id: 'self:9849', state: 'UP', self: true, failures: 0 },
      ...Object.keys(this.peers).map((id) => ({ id, state: 'UP' as const, self: false, failures: 0 })),
    ];
  }

  override askMember(member: string, request: ForwardedHttpRequest): Promise<ForwardedHttpResponse> {
    this.asked.push(request);
    const outcome = this.peers[member];
    return outcome instanceof Error ? Promise.reject(outcome) : Promise.resolve(outcome);
  }
}
