import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NacosV1Client } from './nacos-v1-client';

type Handler = (req: IncomingMessage, params: URLSearchParams) => { status?: number; body: unknown };

/** A real HTTP server answering as scripted, and the calls it received. */
class ScriptedServer {
  readonly calls: Array<{ method: string; path: string; params: URLSearchParams }> = [];
  private constructor(
    private readonly server: Server,
    readonly address: string,
  ) {}

  static async start(handler: Handler): Promise<ScriptedServer> {
    const holder: { s?: ScriptedServer } = {};
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        const params = new URLSearchParams(url.search);
        for (const [k, v] of new URLSearchParams(raw)) params.set(k, v);
        holder.s?.calls.push({ method: req.method ?? '', path: url.pathname, params });
        const { status = 200, body } = handler(req, params);
        res.writeHead(status).end(typeof body === 'string' ? body : JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    holder.s = new ScriptedServer(server, `127.0.0.1:${(server.address() as AddressInfo).port}`);
    return holder.s;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const key = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'orders' };

describe(NacosV1Client.name, () => {
  const servers: ScriptedServer[] = [];
  const start = async (handler: Handler): Promise<ScriptedServer> => {
    const s = await ScriptedServer.start(handler);
    servers.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  it('should fail over past a dead server and one answering 503', async () => {
    const down = await start(() => ({ status: 503, body: 'server is DOWN now' }));
    const up = await start(() => ({ body: { status: 'UP' } }));
    const dead = await start(() => ({ body: '' }));
    await dead.stop();
    servers.pop();
    const sut = new NacosV1Client({ addresses: [dead.address, down.address, up.address] });
    expect(await sut.describe()).toEqual({ server: up.address });
    expect(sut.server).toBe(up.address);
  });

  it('should not fail over a 4xx: the request itself is refused, and the error says why', async () => {
    const a = await start(() => ({ status: 400, body: 'caused: Param ip is required;' }));
    const b = await start(() => ({ body: 'ok' }));
    const sut = new NacosV1Client({ addresses: [a.address, b.address] });
    await expect(sut.deregister(key, { clusterName: 'DEFAULT', ip: '10.0.0.1', port: 80 })).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('answered 400: caused: Param ip is required;'),
    });
    expect(b.calls).toHaveLength(0);
  });

  it('should refuse answers that are not what Nacos answers', async () => {
    const answers: Record<string, unknown> = {
      '/nacos/v1/ns/instance/list': { hosts: [{ ip: '10.0.0.1', port: 'eighty', weight: 1, healthy: true }] },
      '/nacos/v1/ns/service/list': { count: 1, doms: [42] },
      '/nacos/v1/ns/instance': 'maybe',
      '/nacos/v1/ns/instance/beat': { code: 'fine' },
    };
    const s = await start((req) => ({ body: answers[new URL(req.url ?? '/', 'http://x').pathname] }));
    const sut = new NacosV1Client({ addresses: [s.address] });
    await expect(sut.listInstances(key)).rejects.toThrow(/instance\/list: host .*: bad port/);
    await expect(sut.listServices('public', 'DEFAULT_GROUP', 1, 10)).rejects.toThrow(/expected \{count, doms/);
    const copy = {
      ...key,
      groupName: key.group,
      serviceName: key.name,
      clusterName: 'DEFAULT',
      ip: '10.0.0.1',
      port: 80,
      weight: 1,
      healthy: true,
      enabled: true,
      metadata: {},
    };
    await expect(sut.register(key, copy)).rejects.toThrow(/expected "ok", got maybe/);
    await expect(sut.beat(key, copy, false, 5000)).rejects.toThrow(/code is not a number/);
  });

  it('should send writes as forms with the grouped name, and read beat answers', async () => {
    const s = await start((req) =>
      req.url?.startsWith('/nacos/v1/ns/instance/beat')
        ? { body: { clientBeatInterval: 300, code: 20404, lightBeatEnabled: true } }
        : { body: 'ok' },
    );
    const sut = new NacosV1Client({ addresses: [s.address] });
    const copy = {
      namespace: 'public',
      groupName: 'DEFAULT_GROUP',
      serviceName: 'orders',
      clusterName: 'DEFAULT',
      ip: '10.0.0.1',
      port: 80,
      weight: 2,
      healthy: true,
      enabled: false,
      metadata: { syncTaskId: 't1' },
    };
    await sut.register(key, copy);
    expect(await sut.beat(key, copy, true, 5000)).toEqual({ found: false, intervalMs: 300, lightBeatEnabled: true });
    const [register, beat] = s.calls;
    expect(Object.fromEntries(register.params)).toEqual({
      namespaceId: 'public',
      groupName: 'DEFAULT_GROUP',
      serviceName: 'DEFAULT_GROUP@@orders',
      clusterName: 'DEFAULT',
      ip: '10.0.0.1',
      port: '80',
      weight: '2',
      enabled: 'false',
      healthy: 'true',
      ephemeral: 'true',
      metadata: '{"syncTaskId":"t1"}',
    });
    expect(beat.params.has('beat')).toBe(false);
  });

  it('should log in, send the token, refresh it before its TTL and log in again on a 403', async () => {
    let issued = 0;
    let revoked = '';
    const s = await start((req, params) => {
      if (req.url?.startsWith('/nacos/v1/auth/login')) {
        if (params.get('password') !== 'secret') return { status: 403, body: 'unknown user!' };
        return { body: { accessToken: `token-${++issued}`, tokenTtl: 10, globalAdmin: false } };
      }
      const token = params.get('accessToken') ?? '';
      if (!token.startsWith('token-') || token === revoked) return { status: 403, body: 'token invalid!' };
      return { body: { status: 'UP' } };
    });
    let now = 1_000_000;
    const sut = new NacosV1Client({ addresses: [s.address], username: 'sync', password: 'secret', clock: () => now });
    await sut.describe();
    await sut.describe();
    expect(issued).toBe(1);
    now += 9_500; // past 90 % of the 10 s TTL
    await sut.describe();
    expect(issued).toBe(2);
    revoked = 'token-2';
    await sut.describe();
    expect(issued).toBe(3);
    const wrong = new NacosV1Client({ addresses: [s.address], username: 'sync', password: 'nope' });
    const refused = await wrong.describe().catch((err: Error) => err);
    expect(refused).toMatchObject({ message: 'login as sync refused: wrong username or password' });
    expect(s.calls.filter((c) => c.path !== '/nacos/v1/auth/login').every((c) => !c.params.has('password'))).toBe(true);
  });

  it('should list namespaces from the first console API served: v1, then v2, then v3 (where 3.x answers 410)', async () => {
    const nacos3 = await start((req) => {
      if (req.url?.startsWith('/nacos/v3/admin/core/namespace/list')) {
        return { body: { code: 0, data: [{ namespace: '' }, { namespace: 'dev' }] } };
      }
      return { status: 410, body: { code: 40000, message: 'use the v3 API' } };
    });
    const none = await start(() => ({ status: 404, body: 'no such route' }));

    expect(await new NacosV1Client({ addresses: [nacos3.address] }).namespaces()).toEqual(['public', 'dev']);
    expect(nacos3.calls.map((c) => c.path)).toEqual([
      '/nacos/v1/console/namespaces',
      '/nacos/v2/console/namespace/list',
      '/nacos/v3/admin/core/namespace/list',
    ]);
    expect(await new NacosV1Client({ addresses: [none.address] }).namespaces()).toBeUndefined();
  });

  it('should read a catalog page across groups from /ns/catalog/services, else from the v3 admin list, checked', async () => {
    const nacos2 = await start((_req, params) => ({
      body: {
        count: 3,
        serviceList: [
          { name: 'a', groupName: 'G1' },
          { name: `p${params.get('pageNo')}`, groupName: 'G2' },
        ],
      },
    }));
    const nacos3 = await start((req) =>
      req.url?.startsWith('/nacos/v3/admin/ns/service/list')
        ? { body: { code: 0, data: { totalCount: 1, pageItems: [{ name: 'x', groupName: 'G' }] } } }
        : { status: 410, body: 'gone' },
    );
    const broken = await start(() => ({ body: { count: 1, serviceList: [{ name: 'no-group' }] } }));

    expect(await new NacosV1Client({ addresses: [nacos2.address] }).catalogServices('dev', 2, 500)).toEqual({
      count: 3,
      services: [
        { group: 'G1', name: 'a' },
        { group: 'G2', name: 'p2' },
      ],
    });
    expect(Object.fromEntries(nacos2.calls[0].params)).toMatchObject({
      namespaceId: 'dev',
      pageNo: '2',
      pageSize: '500',
    });
    expect(await new NacosV1Client({ addresses: [nacos3.address] }).catalogServices('public', 1, 500)).toEqual({
      count: 1,
      services: [{ group: 'G', name: 'x' }],
    });
    await expect(new NacosV1Client({ addresses: [broken.address] }).catalogServices('public', 1, 500)).rejects.toThrow(
      /a service has no name or group/,
    );
  });
});
