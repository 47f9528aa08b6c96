import { DistroRouting } from '../../src/distro/distro-routing';
import type { ServiceKey } from '../../src/registry';
import type { TestNode } from '../support/app';
import { startTestNode } from '../support/app';
import { eventually } from '../../tools/support/eventually';
import { freePorts } from '../../tools/support/free-ports';
import { distroEnv, distroLogs, registryOf } from '../support/distro-cluster';

const orders: ServiceKey = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'orders' };

describe('Distro init gate', () => {
  const nodes: TestNode[] = [];

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.close()));
  });

  it('should answer 503 while its peers are unreachable, log DISTRO-INIT, and open once a peer comes up', async () => {
    const [waitingPort, peerPort] = await freePorts(2);
    const members = [`127.0.0.1:${waitingPort}`, `127.0.0.1:${peerPort}`];
    const waiting = await startTestNode(distroEnv(waitingPort, members, { DISTRO_ALLOW_FIRST_NODE: 'false' }));
    nodes.push(waiting);

    const ready = await fetch(`${waiting.base}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.text()).toContain('Distro protocol is not initialized');
    const list = await fetch(`${waiting.base}/nacos/v1/ns/instance/list?serviceName=orders`);
    expect(list.status).toBe(503);
    expect(await list.text()).toContain('Distro protocol is not initialized');
    const failed = `[DISTRO-INIT] load snapshot Nacos:Naming:v2:ClientData from ${members[1]} failed.`;
    await eventually(() =>
      distroLogs(nodes, members[0]).some((l) => String(l.msg).startsWith(failed) && l.reason === 'refused'),
    );

    // The peer comes up as the first node of the cluster, with a client of its own.
    const peer = await startTestNode(distroEnv(peerPort, members));
    nodes.push(peer);
    await eventually(() => peer.app.get(DistroRouting).initialized(), { timeoutMs: 10000 });
    registryOf(peer).registerInstance(
      'conn-early',
      'connection',
      orders,
      { ip: '10.9.0.1', port: 1 },
      { owner: members[1] },
    );

    await eventually(async () => (await fetch(`${waiting.base}/health/ready`)).status === 200, { timeoutMs: 15000 });
    await eventually(() => registryOf(waiting).listInstances(orders).length === 1, { timeoutMs: 5000 });
    expect((await fetch(`${waiting.base}/nacos/v1/ns/instance/list?serviceName=orders`)).status).toBe(200);
    expect(
      distroLogs(nodes, members[0]).some((l) => String(l.msg).includes('Distro protocol initialized: loaded snapshot')),
    ).toBe(true);
  });

  it('should open alone when first-node start is allowed and no peer answers within the bootstrap wait', async () => {
    const [port, absent] = await freePorts(2);
    const members = [`127.0.0.1:${port}`, `127.0.0.1:${absent}`];
    const started = Date.now();
    const lone = await startTestNode(distroEnv(port, members, { DISTRO_BOOTSTRAP_WAIT_MS: '1000' }));
    nodes.push(lone);

    await eventually(() => lone.app.get(DistroRouting).initialized(), { timeoutMs: 10000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(distroLogs(nodes, members[0]).some((l) => String(l.msg).includes('opening as the first node'))).toBe(true);
  });
});
