import { ClusterRouting } from '@/routing/cluster-routing';
import { DistroRouting } from '@/distro/distro-routing';
import { DistroService } from '@/distro/distro.service';
import { NacosNamingClient } from '@/sync/adapters/nacos-grpc-client';
import { serviceKey } from '@/registry';
import type { TestNode } from '../support/app';
import { eventually } from '../../tools/support/eventually';
import { clusterUp, registryOf, startCluster } from '../support/distro-cluster';

/**
 * A node that is shut down (SIGTERM: a rolling restart, planned maintenance) is going, not its
 * clients: the instances of its gRPC clients must not be deleted on its peers — nor, through them,
 * in other regions' copies — while the clients move to another node. Writes forwarded to it while
 * it closes are handled by the asking node instead of failing.
 */
describe('Distro: a node shutting down', () => {
  let nodes: TestNode[] = [];
  const clients: NacosNamingClient[] = [];

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await Promise.allSettled(nodes.map((n) => n.close()));
    nodes = [];
  });

  const hostsOn = (node: TestNode, service: string) =>
    registryOf(node)
      .listInstances(serviceKey('public', 'DEFAULT_GROUP', service))
      .map((i) => `${i.ip}:${i.port}`);

  it('should leave its gRPC clients’ instances on the peers, not replicate their deletion', async () => {
    ({ nodes } = await startCluster(2));
    await clusterUp(nodes);
    const [leaving, staying] = nodes;
    const client = new NacosNamingClient({ servers: [`127.0.0.1:${leaving.grpcPort}`] });
    clients.push(client);
    await client.register('orders', { ip: '10.40.0.1', port: 8080 });
    await eventually(() => expect(hostsOn(staying, 'orders')).toEqual(['10.40.0.1:8080']));

    await leaving.close();
    // Everything the leaving node sent went out before its close resolved; once the staying node has
    // seen it go (its probes fail) it has read what came before — a replicated delete would be applied.
    await eventually(
      () =>
        staying.app
          .get(DistroRouting)
          .runtime!.members.peers()
          .every((peer) => peer.state !== 'UP'),
      { what: 'the staying node to see the leaving one go' },
    );
    expect(hostsOn(staying, 'orders')).toEqual(['10.40.0.1:8080']);
    expect(
      leaving.logs.some((l) => l.msg === 'gRPC connection closed by shutdown; its instances stay with the peers'),
    ).toBe(true);
  });

  it('should let a peer handle a v1 write itself when the responsible node refuses it while closing', async () => {
    ({ nodes } = await startCluster(2));
    await clusterUp(nodes);
    const [a, b] = nodes;
    const routing = b.app.get(ClusterRouting);
    const ip = Array.from({ length: 200 }, (_, i) => `10.41.0.${i + 1}`).find(
      (candidate) => routing.responsibleMember(`${candidate}:80`) !== undefined,
    );
    expect(ip).toBeDefined();
    // The moment shutdown begins on `a` (before its HTTP server closes): it refuses forwarded writes.
    a.app.get(DistroService).beforeApplicationShutdown();
    const res = await fetch(`${b.base}/nacos/v1/ns/instance?serviceName=late&ip=${ip}&port=80`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
    expect(hostsOn(b, 'late')).toEqual([`${ip}:80`]);
  });
});
