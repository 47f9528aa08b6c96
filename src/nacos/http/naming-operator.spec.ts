import { Registry } from '@/registry';
import { ClusterRouting } from '@/routing/cluster-routing';
import type { ClusterMember, ForwardedHttpResponse } from '@/routing/cluster-routing';
import { HostLoad } from './host-load';
import { CLIENT_WALK_MS, NamingOperator } from './naming-operator';
import { NacosParams } from './nacos-params';

/** A region of three: clients whose id starts with `mine` are this node's. */
class FakeRouting extends ClusterRouting {
  selfId(): string {
    return '10.0.0.1:9849';
  }
  initialized(): boolean {
    return true;
  }
  responsibleMember(tag: string): string | undefined {
    return tag.startsWith('10.9.') ? '10.0.0.2:9849' : undefined;
  }
  isResponsibleForClient(clientId: string): boolean {
    return clientId.startsWith('mine') || clientId.startsWith('10.1.');
  }
  forwardHttp(): Promise<ForwardedHttpResponse> {
    return Promise.reject(new Error('not used'));
  }
  replicated(): Promise<void> {
    return Promise.resolve();
  }
  override members(): ClusterMember[] {
    return [
      { id: '10.0.0.1:9849', state: 'UP', self: true, failures: 0 },
      { id: '10.0.0.2:9849', state: 'SUSPICIOUS', self: false, failures: 1, lastContact: 1_700_000_000_000 },
      { id: '[::1]:9849', state: 'DOWN', self: false, failures: 3 },
    ];
  }
}

const host = HostLoad.of({ cpus: () => [], loadavg: () => [0.5], freemem: () => 1, totalmem: () => 4 });
const svc = (name: string) => ({ namespace: 'public', group: 'DEFAULT_GROUP', name });

describe(NamingOperator.name, () => {
  let registry: Registry;
  let sut: NamingOperator;

  beforeEach(() => {
    registry = new Registry();
    sut = new NamingOperator(registry, new FakeRouting(), host);
  });

  describe('metrics', () => {
    it('should count clients by kind and what this node is responsible for', () => {
      registry.registerInstance('mine-1', 'connection', svc('a'), { ip: '10.0.0.5', port: 1 });
      registry.registerInstance('mine-1', 'connection', svc('b'), { ip: '10.0.0.5', port: 1 });
      registry.registerInstance('10.1.0.1:80#true', 'ipport', svc('a'), { ip: '10.1.0.1', port: 80 });
      registry.registerInstance('10.2.0.1:80#false', 'ipport', svc('c'), {
        ip: '10.2.0.1',
        port: 80,
        ephemeral: false,
      });
      registry.registerInstance('sync:t1', 'sync', svc('d'), { ip: '10.3.0.1', port: 80 });
      registry.subscribe(svc('a'), 'sub-1', {});

      expect(sut.metrics(0)).toEqual({
        status: 'UP',
        serviceCount: 4,
        instanceCount: 5,
        subscribeCount: 1,
        responsibleServiceCount: 2,
        responsibleInstanceCount: 3,
        clientCount: 4,
        connectionBasedClientCount: 2,
        ephemeralIpPortClientCount: 1,
        persistentIpPortClientCount: 1,
        responsibleClientCount: 2,
        cpu: 0,
        load: 0.5,
        mem: 0.75,
      });
    });

    it('should read sizes live and walk the clients at most once per CLIENT_WALK_MS', () => {
      expect(sut.metrics(0)).toMatchObject({ clientCount: 0, responsibleClientCount: 0 });
      registry.registerInstance('mine-2', 'connection', svc('a'), { ip: '10.0.0.5', port: 1 });
      expect(sut.metrics(CLIENT_WALK_MS - 1)).toMatchObject({ clientCount: 1, responsibleClientCount: 0 });
      expect(sut.metrics(CLIENT_WALK_MS)).toMatchObject({ clientCount: 1, responsibleClientCount: 1 });
    });
  });

  describe('servers', () => {
    it('should show every member as Nacos serialized its Member', () => {
      const servers = sut.servers(false, '127.0.0.1:8848');
      expect(
        servers.map(({ ip, port, state, address, failAccessCnt, extendInfo }) => ({
          ip,
          port,
          state,
          address,
          failAccessCnt,
          extendInfo,
        })),
      ).toEqual([
        { ip: '10.0.0.1', port: 9849, state: 'UP', address: '10.0.0.1:9849', failAccessCnt: 0, extendInfo: {} },
        {
          ip: '10.0.0.2',
          port: 9849,
          state: 'SUSPICIOUS',
          address: '10.0.0.2:9849',
          failAccessCnt: 1,
          extendInfo: { lastRefreshTime: 1_700_000_000_000 },
        },
        { ip: '::1', port: 9849, state: 'DOWN', address: '[::1]:9849', failAccessCnt: 3, extendInfo: {} },
      ]);
      expect(servers[0]?.abilities).toEqual({
        remoteAbility: { supportRemoteConnection: true, grpcReportEnabled: true },
        configAbility: { supportRemoteMetrics: false },
        namingAbility: { supportJraft: false },
      });
    });

    it('should keep the UP members with healthy, and name a node without peers by the address asked', () => {
      expect(sut.servers(true, '127.0.0.1:8848').map((s) => s.address)).toEqual(['10.0.0.1:9849']);
      const alone = new NamingOperator(
        registry,
        new (class extends FakeRouting {
          override selfId(): string {
            return 'standalone';
          }
          override members(): ClusterMember[] {
            return [{ id: 'standalone', state: 'UP', self: true, failures: 0 }];
          }
        })(),
        host,
      );
      expect(alone.servers(false, '127.0.0.1:8848')).toMatchObject([
        { ip: '127.0.0.1', port: 8848, address: '127.0.0.1:8848' },
      ]);
    });
  });

  describe('responsibleServer', () => {
    it('should name the member responsible for the ip-port tag, this node by its member id', () => {
      expect(sut.responsibleServer('10.9.0.1', 80, '127.0.0.1:8848')).toBe('10.0.0.2:9849');
      expect(sut.responsibleServer('10.1.0.1', 80, '127.0.0.1:8848')).toBe('10.0.0.1:9849');
    });

    it('should name a node without peers by the address asked', () => {
      const alone = new NamingOperator(
        registry,
        new (class extends FakeRouting {
          override selfId(): string {
            return 'standalone';
          }
        })(),
        host,
      );

      expect(alone.responsibleServer('10.1.0.1', 80, '127.0.0.1:8848')).toBe('127.0.0.1:8848');
    });
  });

  describe('self and nodes', () => {
    it('should show this node as a Member, and filter the members by address prefix and state', () => {
      expect(sut.self('127.0.0.1:8848')).toMatchObject({ address: '10.0.0.1:9849', state: 'UP' });
      expect(sut.nodes(NacosParams.of({}), '127.0.0.1:8848').map((m) => m.address)).toEqual([
        '10.0.0.1:9849',
        '10.0.0.2:9849',
        '[::1]:9849',
      ]);
      expect(sut.nodes(NacosParams.of({ address: '10.0.0' }), '127.0.0.1:8848').map((m) => m.address)).toEqual([
        '10.0.0.1:9849',
        '10.0.0.2:9849',
      ]);
      expect(sut.nodes(NacosParams.of({ state: 'down' }), '127.0.0.1:8848').map((m) => m.address)).toEqual([
        '[::1]:9849',
      ]);
      expect(sut.nodes(NacosParams.of({ address: '10.0.0.1', state: 'SUSPICIOUS' }), '127.0.0.1:8848')).toEqual([]);
      expect(() => sut.nodes(NacosParams.of({ state: 'sleepy' }), '127.0.0.1:8848')).toThrow('Illegal state: sleepy');
    });
  });
});
