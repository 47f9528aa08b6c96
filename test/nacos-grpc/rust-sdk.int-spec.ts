import type { NacosServiceInstance } from 'nacos-sdk-rust-binding-node';
import { Registry, serviceKey } from '@/registry';
import type { TestNode } from '../support/app';
import { RustSdkDriver } from './rust-sdk';
import { eventually } from '../../tools/support/eventually';
import { startSdkCompatibleNode } from './support';

const GROUP = 'DEFAULT_GROUP';

function ports(instances: NacosServiceInstance[]): number[] {
  return instances.map((each) => each.port).sort();
}

describe('Nacos gRPC server with the Rust SDK (nacos-sdk-rust-binding-node)', () => {
  let node: TestNode;
  let sdk: RustSdkDriver;
  const drivers: RustSdkDriver[] = [];

  const newDriver = async (): Promise<RustSdkDriver> => {
    const driver = new RustSdkDriver();
    drivers.push(driver);
    await driver.ready;
    return driver;
  };
  const create = (driver: RustSdkDriver, name: string): Promise<unknown> =>
    driver.call(name, 'create', { serverAddr: `127.0.0.1:${node.httpPort}` });

  beforeAll(async () => {
    node = await startSdkCompatibleNode();
    sdk = await newDriver();
    await create(sdk, 'main');
  });

  afterAll(async () => {
    for (const driver of drivers) driver.kill();
    await node.close();
  });

  it('should register an instance that getAllInstances returns, owned by a connection client', async () => {
    await sdk.call('main', 'registerInstance', 'orders', GROUP, {
      ip: '10.0.0.1',
      port: 8080,
      metadata: { zone: 'a' },
    });

    const instances = await sdk.call<NacosServiceInstance[]>('main', 'getAllInstances', 'orders', GROUP, [], false);

    expect(instances).toEqual([
      expect.objectContaining({ ip: '10.0.0.1', port: 8080, healthy: true, metadata: { zone: 'a' } }),
    ]);
    const owners = [...node.app.get(Registry).clients()].filter((client) => client.kind === 'connection');
    expect(owners).toEqual([expect.objectContaining({ owner: 'standalone', publicationCount: 1 })]);
  });

  it('should batch register instances and filter unhealthy ones in selectInstances', async () => {
    await sdk.call('main', 'batchRegisterInstance', 'payments', GROUP, [
      { ip: '10.0.1.1', port: 9001 },
      { ip: '10.0.1.2', port: 9002, healthy: false },
      { ip: '10.0.1.3', port: 9003 },
    ]);

    const all = await sdk.call<NacosServiceInstance[]>('main', 'getAllInstances', 'payments', GROUP, [], false);
    const healthy = await sdk.call<NacosServiceInstance[]>(
      'main',
      'selectInstances',
      'payments',
      GROUP,
      [],
      false,
      true,
    );

    expect(ports(all)).toEqual([9001, 9002, 9003]);
    expect(ports(healthy)).toEqual([9001, 9003]);
  });

  it('should push a change to a subscriber within 1 s', async () => {
    await create(sdk, 'watcher');
    await sdk.call('main', 'registerInstance', 'stock', GROUP, { ip: '10.0.2.1', port: 7001 });
    await sdk.call('watcher', 'subscribe', 'stock', GROUP);

    const changedAt = Date.now();
    await sdk.call('main', 'registerInstance', 'stock', GROUP, { ip: '10.0.2.2', port: 7002 });

    const push = await eventually(
      () => sdk.pushes.find((p) => p.client === 'watcher' && ports(p.instances).join() === '7001,7002') ?? false,
      { what: 'the pushed change', timeoutMs: 5000 },
    );
    expect(push.at - changedAt).toBeLessThan(1000);
  });

  it('should remove the instances of a client whose process dies', async () => {
    const doomed = await newDriver();
    await create(doomed, 'doomed');
    await doomed.call('doomed', 'registerInstance', 'inventory', GROUP, { ip: '10.0.3.1', port: 6001 });
    const registry = node.app.get(Registry);
    const key = serviceKey('public', GROUP, 'inventory');
    expect(registry.listInstances(key).map((each) => each.port)).toEqual([6001]);

    doomed.kill();

    await eventually(() => registry.listInstances(key).length === 0, {
      what: 'the instances to go with the connection',
    });
    const seen = await sdk.call<NacosServiceInstance[]>('main', 'getAllInstances', 'inventory', GROUP, [], false);
    expect(seen).toEqual([]);
  });
});
