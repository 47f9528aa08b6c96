import { NacosNamingClient } from '@/sync/adapters/nacos-grpc-client';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { eventually } from '../../tools/support/eventually';
import { call } from './support';

const V1 = '/nacos/v1/ns';

/** `GET /operator/push/state`: this node's pushes as the pushers settle them, reset on demand. */
describe('Nacos HTTP push state', () => {
  let node: TestNode;
  let grpc: NacosNamingClient | undefined;

  beforeAll(async () => {
    node = await startTestNode({ DATA_DIR: 'memory', NACOS_GRPC_PORT: '0' });
  });

  afterAll(async () => {
    grpc?.close();
    await node?.close();
  });

  const pushState = async (params: Record<string, string> = {}) => {
    const res = await call(node.base, 'GET', `${V1}/operator/push/state`, params);
    return { status: res.status, body: res.json() as Record<string, unknown> };
  };

  it('should answer zeros before any push, with detail carrying no unmeasured cost', async () => {
    expect(await pushState({ detail: 'true' })).toEqual({
      status: 200,
      body: { succeed: 0, total: 0, ratio: 0, detail: {}, reset: false },
    });
  });

  it('should count an acknowledged gRPC push as succeeded, and start from zero after reset=true', async () => {
    grpc = new NacosNamingClient({ servers: [`127.0.0.1:${node.grpcPort}`], requestTimeoutMs: 2000 });
    const pushes: unknown[] = [];
    await grpc.subscribe('pushed', (hosts) => pushes.push(hosts));
    await call(
      node.base,
      'POST',
      `${V1}/instance`,
      { serviceName: 'pushed', ip: '10.62.0.1', port: '80' },
      { form: true },
    );
    await eventually(async () => expect((await pushState()).body).toMatchObject({ succeed: 1, total: 1, ratio: 1 }));

    expect(await pushState({ reset: 'true' })).toEqual({
      status: 200,
      body: { succeed: 1, total: 1, ratio: 1, reset: true },
    });
    expect((await pushState()).body).toEqual({ succeed: 0, total: 0, ratio: 0, reset: false });
  });

  it('should refuse a detail or reset that is not a boolean with a Nacos 400', async () => {
    const res = await call(node.base, 'GET', `${V1}/operator/push/state`, { reset: 'maybe' });

    expect(res.status).toBe(400);
    expect(res.text).toContain("'reset'");
  });
});
