import { NacosNamingClient } from '@/sync/adapters/nacos-grpc-client';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { call } from './support';

const CLIENT = '/nacos/v2/ns/client';
const UDP_PORT = 39_123;

/**
 * The v2 client views answer the seeds' questions directly: which clients the node holds, which
 * node holds each (`responsibleServer`), what each publishes, who subscribes where.
 */
describe('Nacos HTTP v2 client views', () => {
  let node: TestNode;
  let grpc: NacosNamingClient;
  let connectionId: string;

  beforeAll(async () => {
    node = await startTestNode({ DATA_DIR: 'memory', NACOS_GRPC_PORT: '0' });
    await call(
      node.base,
      'POST',
      '/nacos/v1/ns/instance',
      { serviceName: 'cv', ip: '10.60.0.1', port: '80' },
      { form: true },
    );
    grpc = new NacosNamingClient({ servers: [`127.0.0.1:${node.grpcPort}`], requestTimeoutMs: 2000 });
    await grpc.register('cv', { ip: '10.60.0.2', port: 81, clusterName: 'EAST' });
    await grpc.subscribe('cv', () => undefined);
    // A v1 poller with a UDP port: Nacos files it under the ip-port client `clientIP:udpPort#true`.
    await call(
      node.base,
      'GET',
      '/nacos/v1/ns/instance/list',
      { serviceName: 'cv', udpPort: String(UDP_PORT), clientIP: '10.60.0.9', app: 'shop' },
      { headers: { 'user-agent': 'Nacos-Java-Client:v1.4.1' } },
    );
    const ids = ((await call(node.base, 'GET', `${CLIENT}/list`)).json() as { data: string[] }).data;
    connectionId = ids.find((id) => !id.includes('#')) ?? '';
  });

  afterAll(async () => {
    grpc?.close();
    await node?.close();
  });

  const view = async (path: string, params: Record<string, string>) => {
    const res = await call(node.base, 'GET', `${CLIENT}${path}`, params);
    return { status: res.status, body: res.json() };
  };

  it('should list every client id', async () => {
    const { body } = await view('/list', {});
    expect(body).toEqual({
      code: 0,
      message: 'success',
      data: expect.arrayContaining(['10.60.0.1:80#true', connectionId]),
    });
    expect((body as { data: string[] }).data).toHaveLength(2);
    expect(connectionId).toMatch(/^\d+_127\.0\.0\.1_\d+_\d+$/);
  });

  it('should describe an ip-port client and the node holding it', async () => {
    const { body } = await view('', { clientId: '10.60.0.1:80#true' });
    expect(body).toEqual({
      code: 0,
      message: 'success',
      data: {
        clientId: '10.60.0.1:80#true',
        ephemeral: true,
        lastUpdatedTime: expect.any(Number),
        clientType: 'ipPort',
        clientIp: '10.60.0.1',
        clientPort: '80',
        responsibleServer: 'standalone',
      },
    });
    const updated = (body as { data: { lastUpdatedTime: number } }).data.lastUpdatedTime;
    expect(Math.abs(Date.now() - updated)).toBeLessThan(60_000);
  });

  it('should describe a gRPC connection client', async () => {
    const { body } = await view('', { clientId: connectionId });
    const port = connectionId.split('_')[2];
    expect(body).toEqual({
      code: 0,
      message: 'success',
      data: {
        clientId: connectionId,
        ephemeral: true,
        lastUpdatedTime: expect.any(Number),
        clientType: 'connection',
        connectType: 'GRPC',
        appName: 'unknown',
        version: expect.any(String),
        clientIp: '127.0.0.1',
        clientPort: port,
        responsibleServer: 'standalone',
      },
    });
  });

  it('should list what a client publishes', async () => {
    expect((await view('/publish/list', { clientId: connectionId })).body).toEqual({
      code: 0,
      message: 'success',
      data: [
        {
          namespace: 'public',
          group: 'DEFAULT_GROUP',
          serviceName: 'cv',
          registeredInstance: { ip: '10.60.0.2', port: 81, cluster: 'EAST' },
        },
      ],
    });
  });

  it('should list what a client subscribes to: a gRPC connection and a v1 UDP poller', async () => {
    expect((await view('/subscribe/list', { clientId: connectionId })).body).toEqual({
      code: 0,
      message: 'success',
      data: [
        {
          namespace: 'public',
          group: 'DEFAULT_GROUP',
          serviceName: 'cv',
          subscriberInfo: { app: 'unknown', agent: expect.any(String), addr: '127.0.0.1' },
        },
      ],
    });
    expect((await view('/subscribe/list', { clientId: `10.60.0.9:${UDP_PORT}#true` })).body).toEqual({
      code: 0,
      message: 'success',
      data: [
        {
          namespace: 'public',
          group: 'DEFAULT_GROUP',
          serviceName: 'cv',
          subscriberInfo: { app: 'shop', agent: 'Nacos-Java-Client:v1.4.1', addr: `10.60.0.9:${UDP_PORT}` },
        },
      ],
    });
  });

  it('should list the publishers of a service, filtered by ip and port', async () => {
    const all = (await view('/service/publisher/list', { serviceName: 'cv' })).body as { data: unknown[] };
    expect(all.data).toEqual(
      expect.arrayContaining([
        { ip: '10.60.0.1', port: 80, cluster: 'DEFAULT', clientId: '10.60.0.1:80#true' },
        { ip: '10.60.0.2', port: 81, cluster: 'EAST', clientId: connectionId },
      ]),
    );
    expect(all.data).toHaveLength(2);
    expect((await view('/service/publisher/list', { serviceName: 'cv', ip: '10.60.0.2', port: '81' })).body).toEqual({
      code: 0,
      message: 'success',
      data: [{ ip: '10.60.0.2', port: 81, cluster: 'EAST', clientId: connectionId }],
    });
    expect((await view('/service/publisher/list', { serviceName: 'cv', port: '82' })).body).toMatchObject({ data: [] });
  });

  it('should list the subscribers of a service, filtered by ip', async () => {
    const all = (await view('/service/subscriber/list', { serviceName: 'cv' })).body as { data: unknown[] };
    expect(all.data).toEqual(
      expect.arrayContaining([
        { clientId: `10.60.0.9:${UDP_PORT}#true`, ip: '10.60.0.9', port: UDP_PORT },
        { clientId: connectionId, ip: '127.0.0.1', port: 0 },
      ]),
    );
    expect(all.data).toHaveLength(2);
    expect((await view('/service/subscriber/list', { serviceName: 'cv', ip: '10.60.0.9' })).body).toMatchObject({
      data: [{ clientId: `10.60.0.9:${UDP_PORT}#true` }],
    });
  });

  it.each([
    [
      '',
      { clientId: 'nope' },
      404,
      { code: 20004, message: 'resource not found', data: 'clientId [ nope ] not exist' },
    ],
    [
      '/publish/list',
      { clientId: 'nope' },
      404,
      { code: 20004, message: 'resource not found', data: 'clientId [ nope ] not exist' },
    ],
    ['/subscribe/list', {}, 400, { code: 10000, message: 'parameter missing', data: "Param 'clientId' is required." }],
    [
      '/service/publisher/list',
      {},
      400,
      { code: 10000, message: 'parameter missing', data: "Param 'serviceName' is required." },
    ],
    [
      '/service/subscriber/list',
      { serviceName: 'cv', port: '0' },
      400,
      { code: 20002, message: 'parameter validate error', data: "Param 'port' must be a port 1-65535." },
    ],
  ])('should answer %s %j with %i', async (path, params, status, body) => {
    expect(await view(path, params)).toEqual({ status, body });
  });
});
