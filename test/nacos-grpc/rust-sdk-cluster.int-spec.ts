import type { NacosServiceInstance } from 'nacos-sdk-rust-binding-node';
import { serviceKey } from '@/registry';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { freePorts } from '../../tools/support/free-ports';
import { distroEnv, registryOf } from '../support/distro-cluster';
import { RustSdkDriver } from './rust-sdk';
import { eventually } from '../../tools/support/eventually';
import { freePortPair } from './support';

const GROUP = 'DEFAULT_GROUP';

function ports(instances: NacosServiceInstance[]): number[] {
  return instances.map((each) => each.port).sort();
}

describe('Rust SDK clients on two nodes of a 3-node Distro cluster', () => {
  const nodes: TestNode[] = [];
  const drivers: RustSdkDriver[] = [];

  beforeAll(async () => {
    const distroPorts = await freePorts(3);
    const members = distroPorts.map((port) => `127.0.0.1:${port}`);
    for (const distroPort of distroPorts) {
      const { httpPort, grpcPort } = await freePortPair();
      nodes.push(
        await startTestNode(
          distroEnv(distroPort, members, {
            HTTP_PORT: String(httpPort),
            NACOS_GRPC_PORT: String(grpcPort),
            LOG_LEVEL: 'warn',
          }),
        ),
      );
    }
    await eventually(
      async () => {
        const ready = await Promise.all(nodes.map((node) => fetch(`${node.base}/health/ready`).then((r) => r.ok)));
        return ready.every(Boolean);
      },
      { what: 'the cluster to be ready', timeoutMs: 30_000 },
    );
  });

  afterAll(async () => {
    for (const driver of drivers) driver.kill();
    await Promise.all(nodes.map((node) => node.close()));
  });

  it("should show each client the other's instances, and drop a dead client's instances on every node", async () => {
    const [a, b] = [new RustSdkDriver(), new RustSdkDriver()];
    drivers.push(a, b);
    await Promise.all([a.ready, b.ready]);
    await a.call('a', 'create', { serverAddr: `127.0.0.1:${nodes[0].httpPort}` });
    await b.call('b', 'create', { serverAddr: `127.0.0.1:${nodes[1].httpPort}` });

    await a.call('a', 'registerInstance', 'shared', GROUP, { ip: '10.7.0.1', port: 5001 });
    await b.call('b', 'registerInstance', 'shared', GROUP, { ip: '10.7.0.2', port: 5002 });

    for (const [driver, name] of [
      [a, 'a'],
      [b, 'b'],
    ] as const) {
      await eventually(
        async () =>
          ports(
            await driver.call<NacosServiceInstance[]>(name, 'getAllInstances', 'shared', GROUP, [], false),
          ).join() === '5001,5002',
        { what: `client ${name} to see both instances`, timeoutMs: 10_000 },
      );
    }

    a.kill();

    const key = serviceKey('public', GROUP, 'shared');
    await eventually(
      () =>
        nodes.every(
          (node) =>
            registryOf(node)
              .listInstances(key)
              .map((each) => each.port)
              .join() === '5002',
        ),
      { what: "the dead client's instance to go on every node", timeoutMs: 15_000 },
    );
  });
});
