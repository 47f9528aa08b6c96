import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { eventually } from '../../tools/support/eventually';
import { NacosClients, listHosts } from './support';
import type { HostJson } from './support';

const UNHEALTHY_MS = 1500;
const DELETE_MS = 3000;

/**
 * Heartbeats of the real npm client with the expiry timeouts scaled down (15 s / 30 s in
 * production): a beating client keeps its instance past the delete timeout, a stopped one turns
 * unhealthy, then disappears.
 */
describe('heartbeats of the nacos npm client', () => {
  let node: TestNode;
  let sut: NacosClients;

  const host = async (ip: string): Promise<HostJson | undefined> =>
    (await listHosts(node.base, 'DEFAULT_GROUP@@beating')).find((each) => each.ip === ip);

  beforeAll(async () => {
    sut = NacosClients.start();
    node = await startTestNode({
      DATA_DIR: 'memory',
      NACOS_CLIENT_BEAT_INTERVAL_MS: '300',
      NACOS_CLIENT_BEAT_UNHEALTHY_MS: String(UNHEALTHY_MS),
      NACOS_CLIENT_BEAT_DELETE_MS: String(DELETE_MS),
      NACOS_CLIENT_BEAT_CHECK_MS: '100',
    });
  });

  afterAll(async () => {
    sut?.stop();
    await node?.close();
  });

  it('should keep a beating instance and expire it once the client stops', async () => {
    await sut.create('app', node.base);
    const registeredAt = Date.now();
    await sut.registerInstance('app', 'beating', { ip: '10.9.0.1', port: 80 });
    expect(await host('10.9.0.1')).toMatchObject({
      healthy: true,
      instanceHeartBeatTimeOut: UNHEALTHY_MS,
      ipDeleteTimeout: DELETE_MS,
    });

    // The client's first beat comes one default interval (10 s) after it started; from then on it
    // beats every clientBeatInterval the server answered (300 ms here). Until then the instance
    // expires, and the first beat, which carries the instance, registers it again.
    await eventually(async () => Date.now() - registeredAt > DELETE_MS && (await host('10.9.0.1'))?.healthy === true, {
      timeoutMs: 20_000,
      what: 'the beats to bring the instance back',
    });

    // Beating: present and healthy throughout a window longer than the delete timeout.
    const until = Date.now() + DELETE_MS + 1000;
    while (Date.now() < until) {
      expect(await host('10.9.0.1')).toMatchObject({ healthy: true });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    await sut.close('app');
    const stoppedAt = Date.now();
    await eventually(async () => (await host('10.9.0.1'))?.healthy === false, { timeoutMs: 5000, what: 'unhealthy' });
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(UNHEALTHY_MS - 500);
    await eventually(async () => (await host('10.9.0.1')) === undefined, { timeoutMs: 5000, what: 'removal' });
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(DELETE_MS - 500);
  });
});
