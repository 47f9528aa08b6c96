import { Registry } from '@/registry';
import { ClusterRouting } from '@/routing/cluster-routing';
import type { ForwardedHttpResponse } from '@/routing/cluster-routing';
import type { UdpPushService } from '@/nacos/udp/udp-push.service';
import { ClientViews } from './client-views';
import { NacosParams } from './nacos-params';

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
});
