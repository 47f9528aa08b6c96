import { NacosNamingClient } from '@/sync/adapters/nacos-grpc-client';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { call } from './support';

const V1 = '/nacos/v1/ns';
/** A UDP port nothing listens on: the poller's pushes are lost, its subscription stays. */
const UDP_PORT = 47_913;

/** Nacos v1 service queries: who subscribes to a service (`/service/subscribers`), name search (`/service/names`). */
describe('Nacos HTTP service queries', () => {
  let node: TestNode;
  let grpc: NacosNamingClient;

  beforeAll(async () => {
    node = await startTestNode({ DATA_DIR: 'memory', NACOS_GRPC_PORT: '0' });
    const register = (params: Record<string, string>) =>
      call(node.base, 'POST', `${V1}/instance`, { ip: '10.61.0.1', port: '80', ...params }, { form: true });
    await register({ serviceName: 'sq-orders' });
    await register({ serviceName: 'sq-orders-v2', groupName: 'shop' });
    await register({ serviceName: 'sq-stock', namespaceId: 'sq-dev' });
    grpc = new NacosNamingClient({ servers: [`127.0.0.1:${node.grpcPort}`], requestTimeoutMs: 2000 });
    await grpc.subscribe('sq-orders', () => undefined);
    await call(
      node.base,
      'GET',
      `${V1}/instance/list`,
      { serviceName: 'sq-orders', udpPort: String(UDP_PORT), clientIP: '10.61.0.9', app: 'shop', clusters: 'EAST' },
      { headers: { 'user-agent': 'Nacos-Java-Client:v1.4.1' } },
    );
  });

  afterAll(async () => {
    grpc?.close();
    await node?.close();
  });

  const get = async (path: string, params: Record<string, string>) => {
    const res = await call(node.base, 'GET', `${V1}${path}`, params);
    return { status: res.status, text: res.text };
  };

  describe('GET /service/subscribers', () => {
    it("should list this node's subscribers of the service as Nacos Subscribers, with the total as count", async () => {
      const res = await get('/service/subscribers', { serviceName: 'sq-orders' });

      expect(res.status).toBe(200);
      const body = JSON.parse(res.text) as { subscribers: Array<Record<string, unknown>>; count: number };
      expect(body.count).toBe(2);
      expect(body.subscribers).toEqual(
        expect.arrayContaining([
          {
            addrStr: `10.61.0.9:${UDP_PORT}`,
            agent: 'Nacos-Java-Client:v1.4.1',
            app: 'shop',
            ip: '10.61.0.9',
            port: UDP_PORT,
            namespaceId: 'public',
            serviceName: 'DEFAULT_GROUP@@sq-orders',
            cluster: 'EAST',
          },
          expect.objectContaining({ addrStr: '127.0.0.1', port: 0, serviceName: 'DEFAULT_GROUP@@sq-orders' }),
        ]),
      );
      const page = JSON.parse((await get('/service/subscribers', { serviceName: 'sq-orders', pageSize: '1' })).text);
      expect(page).toMatchObject({ count: 2, subscribers: [expect.any(Object)] });
    });

    it('should answer a missing serviceName or a bad pageSize with a Nacos 400', async () => {
      expect(await get('/service/subscribers', {})).toEqual({
        status: 400,
        text: expect.stringContaining("'serviceName'"),
      });
      expect(await get('/service/subscribers', { serviceName: 'sq-orders', pageSize: '-1' })).toEqual({
        status: 400,
        text: expect.stringContaining("'pageSize'"),
      });
    });
  });

  describe('GET /service/names', () => {
    it('should list the grouped names matching expr by namespace, in one namespace or all', async () => {
      const one = await get('/service/names', { namespaceId: 'public', expr: 'sq-orders' });
      const all = JSON.parse((await get('/service/names', { expr: 'sq-' })).text) as {
        'META-INF/services': Record<string, string[]>;
        count: number;
      };

      expect(one.status).toBe(200);
      expect(JSON.parse(one.text)).toEqual({
        'META-INF/services': { public: ['DEFAULT_GROUP@@sq-orders', 'shop@@sq-orders-v2'] },
        count: 2,
      });
      expect(all['META-INF/services']['sq-dev']).toEqual(['DEFAULT_GROUP@@sq-stock']);
      expect(all.count).toBe(3);
    });

    it('should answer an invalid expr with a Nacos 400 naming it', async () => {
      expect(await get('/service/names', { expr: '[' })).toEqual({
        status: 400,
        text: "caused: Param 'expr' is not a valid regular expression.;",
      });
    });
  });
});
