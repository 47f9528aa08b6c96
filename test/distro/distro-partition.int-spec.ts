import { DistroRouting } from '../../src/distro/distro-routing';
import type { ServiceKey } from '../../src/registry';
import type { TestNode } from '../support/app';
import { startTestNode } from '../support/app';
import { eventually } from '../../tools/support/eventually';
import { freePorts } from '../../tools/support/free-ports';
import { distroEnv, registryDigest, registryOf } from '../support/distro-cluster';
import { TcpProxy } from '../support/tcp-proxy';

const orders: ServiceKey = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'orders' };
const VERIFY_MS = 1000;

describe('Distro repair after a partition', () => {
  const nodes: TestNode[] = [];
  let proxy: TcpProxy;

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    await proxy?.stop();
  });

  it('should bring a peer that missed updates back in line by verify within two intervals', async () => {
    const [a, b, cReal] = await freePorts(3);
    proxy = await TcpProxy.start('127.0.0.1', cReal);
    // Everyone reaches C through the proxy, so cutting it drops all traffic towards C.
    const members = [`127.0.0.1:${a}`, `127.0.0.1:${b}`, `127.0.0.1:${proxy.port}`];
    const extra = { DISTRO_VERIFY_INTERVAL_MS: String(VERIFY_MS) };
    nodes.push(await startTestNode(distroEnv(a, members, extra)));
    nodes.push(await startTestNode(distroEnv(b, members, extra)));
    nodes.push(await startTestNode(distroEnv(cReal, members, { ...extra, DISTRO_SELF: members[2] })));
    const [nodeA, , nodeC] = nodes as [TestNode, TestNode, TestNode];
    await eventually(() => nodes.every((n) => n.app.get(DistroRouting).initialized()), { timeoutMs: 15000 });

    proxy.cut();
    for (let i = 0; i < 20; i++) {
      registryOf(nodeA).registerInstance(
        `conn-p${i}`,
        'connection',
        orders,
        { ip: '10.5.0.1', port: 100 + i },
        { owner: members[0] },
      );
    }
    await eventually(() => registryOf(nodes[1]).listInstances(orders).length === 20, { timeoutMs: 3000 });
    // B has them, and A sees C cut off (its probes and sends fail): the sends towards C were made and lost.
    await eventually(
      () =>
        nodeA.app
          .get(DistroRouting)
          .runtime!.members.peers()
          .some((p) => p.id === members[2] && p.state !== 'UP'),
      { what: 'A to see C cut off' },
    );
    expect(registryOf(nodeC).listInstances(orders)).toHaveLength(0);

    proxy.restore();
    const restored = Date.now();
    await eventually(() => registryDigest(registryOf(nodeC)) === registryDigest(registryOf(nodeA)), {
      timeoutMs: 10000,
    });
    // Two verify intervals, plus one probe round and gRPC's reconnect backoff (≤ 1 s) to see C again.
    expect(Date.now() - restored).toBeLessThan(2 * VERIFY_MS + 1500);
  });
});
