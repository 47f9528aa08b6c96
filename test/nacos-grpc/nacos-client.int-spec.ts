import * as grpc from '@grpc/grpc-js';
import { NacosClientError, NacosNamingClient } from '@/sync/adapters/nacos-grpc-client';
import type { NacosServiceInfo } from '@/sync/adapters/nacos-grpc-client';
import { NacosExceptionCode } from '@/nacos/grpc/messages';
import { decodePayload, encodeJson } from '@/nacos/grpc/payload';
import type { WirePayload } from '@/nacos/grpc/payload';
import { nacosProto, serviceClient } from '@/common/protos';
import { Registry, serviceKey } from '@/registry';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { eventually } from '../../tools/support/eventually';

const ENV = { DATA_DIR: 'memory', LOG_LEVEL: 'warn', NACOS_GRPC_PORT: '0' };

function ports(info: NacosServiceInfo): number[] {
  return info.hosts.map((host) => host.port).sort();
}

/** A raw unary call, to send what no well-behaved client would. */
function rawRequest(port: number, payload: WirePayload): Promise<ReturnType<typeof decodePayload>> {
  const Client = serviceClient(nacosProto(), 'Request');
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    request(p: WirePayload, cb: (err: grpc.ServiceError | null, r?: WirePayload) => void): void;
  };
  return new Promise((resolve, reject) =>
    client.request(payload, (err, response) => {
      client.close();
      if (err) reject(err);
      else resolve(decodePayload(response));
    }),
  );
}

/** Bytes as they are, with no Payload codec: for what is not a Payload at all. */
function rawBytes(port: number, bytes: Buffer): Promise<ReturnType<typeof decodePayload>> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(
      '/Request/request',
      (b: Buffer) => b,
      (b: Buffer) => b,
      bytes,
      (err, response) => {
        client.close();
        if (err) reject(err);
        // Read back with protobufjs, independently of the server's own codec.
        else
          resolve(decodePayload(serviceClient(nacosProto(), 'Request').service.request.responseDeserialize(response!)));
      },
    ),
  );
}

describe(NacosNamingClient.name, () => {
  const nodes: TestNode[] = [];
  const clients: NacosNamingClient[] = [];

  const start = async (env: Record<string, string> = {}): Promise<TestNode> => {
    const node = await startTestNode({ ...ENV, ...env });
    nodes.push(node);
    return node;
  };
  const client = (
    servers: string[],
    extra: Partial<ConstructorParameters<typeof NacosNamingClient>[0]> = {},
  ): NacosNamingClient => {
    const created = new NacosNamingClient({ servers, healthCheckIntervalMs: 300, requestTimeoutMs: 2000, ...extra });
    clients.push(created);
    return created;
  };

  // One node for every test that needs no config of its own and no restart; each uses its own services.
  // The first test lists every service of the node, so it runs before the others register theirs.
  let shared: TestNode;
  beforeAll(async () => {
    shared = await start();
  });

  afterAll(async () => {
    for (const each of clients) each.close();
    await Promise.all(nodes.map((node) => node.close()));
  });

  describe('register, query, listServices', () => {
    it('should register single and batched instances and read them back', async () => {
      const node = shared;
      const sut = client([`127.0.0.1:${node.grpcPort}`]);

      await sut.register('orders', { ip: '10.1.0.1', port: 80, metadata: { v: '1' } });
      await sut.batchRegister('orders-batch', [
        { ip: '10.1.0.2', port: 81 },
        { ip: '10.1.0.3', port: 82 },
      ]);

      expect((await sut.query('orders')).hosts).toEqual([
        expect.objectContaining({ ip: '10.1.0.1', metadata: { v: '1' } }),
      ]);
      expect(ports(await sut.query('orders-batch'))).toEqual([81, 82]);
      expect((await sut.listServices()).serviceNames.sort()).toEqual(['orders', 'orders-batch']);
      await sut.deregister('orders', { ip: '10.1.0.1', port: 80 });
      expect((await sut.query('orders')).hosts).toEqual([]);
    });
  });

  describe('reconnect', () => {
    it('should restore registrations and subscriptions after the server restarts', async () => {
      const first = await start();
      const port = first.grpcPort;
      const sut = client([`127.0.0.1:${port}`]);
      const writer = client([`127.0.0.1:${port}`]);
      await sut.register('billing', { ip: '10.2.0.1', port: 90 });
      const pushes: number[][] = [];
      await sut.subscribe('billing', (info) => pushes.push(ports(info)));

      await first.close();
      const second = await start({ NACOS_GRPC_PORT: String(port) });
      const registry = second.app.get(Registry);
      await eventually(() => registry.listInstances(serviceKey('public', 'DEFAULT_GROUP', 'billing')).length === 1, {
        what: 'the registration to be redone on the new server',
        timeoutMs: 20_000,
      });
      await eventually(() => writer.register('billing', { ip: '10.2.0.2', port: 91 }).then(() => true), {
        what: 'writer',
      });

      await eventually(() => pushes.some((list) => list.join() === '90,91'), {
        what: 'a push on the restored subscription',
      });
    });
  });

  describe('failover', () => {
    it('should move to the next server of its list when one is down', async () => {
      const node = shared;
      const dead = `127.0.0.1:1`;
      const sut = client([dead, `127.0.0.1:${node.grpcPort}`]);

      await sut.register('search', { ip: '10.3.0.1', port: 70 });

      expect(sut.server).toBe(`127.0.0.1:${node.grpcPort}`);
      expect(node.app.get(Registry).listInstances(serviceKey('public', 'DEFAULT_GROUP', 'search'))).toHaveLength(1);
    });

    it('should reject with a clear error when no server answers', async () => {
      const sut = client(['127.0.0.1:1'], { reconnectDelayMs: 10 });

      await expect(sut.register('x', { ip: '10.0.0.1', port: 1 })).rejects.toThrow(/no Nacos server reachable/);
    });
  });

  describe('auth', () => {
    it('should be refused with errorCode 403 and wrong credentials, accepted with right ones', async () => {
      const node = await start({
        NACOS_AUTH_ENABLED: 'true',
        NACOS_AUTH_USERS: 'nacos:right-password',
        NACOS_AUTH_SECRET: 'x'.repeat(40),
      });
      const server = `127.0.0.1:${node.grpcPort}`;
      const wrong = client([server], { username: 'nacos', password: 'wrong' });
      const right = client([server], { username: 'nacos', password: 'right-password' });

      const failure = await wrong.register('secure', { ip: '10.4.0.1', port: 1 }).catch((err: unknown) => err);
      await right.register('secure', { ip: '10.4.0.2', port: 2 });

      expect(failure).toBeInstanceOf(NacosClientError);
      expect((failure as NacosClientError).errorCode).toBe(NacosExceptionCode.NoRight);
      expect(ports(await right.query('secure'))).toEqual([2]);
    });
  });

  describe('bad payloads', () => {
    it('should answer unknown types, bad JSON, unknown connections and bad fields with Nacos errors', async () => {
      const node = shared;
      const port = node.grpcPort;

      const noConnection = await rawRequest(port, encodeJson('InstanceRequest', '{}'));
      const badJson = await rawRequest(port, encodeJson('ServerCheckRequest', '{not json'));
      const noType = await rawRequest(port, { metadata: { type: '' }, body: { value: Buffer.from('{}') } });
      const notProtobuf = await rawBytes(port, Buffer.from('GET / HTTP/1.1\r\n'));

      expect(noConnection.body).toEqual(
        expect.objectContaining({ errorCode: NacosExceptionCode.ConnectionUnregistered }),
      );
      expect(badJson.body).toEqual(expect.objectContaining({ errorCode: NacosExceptionCode.ParseError }));
      expect(noType.type).toBe('ErrorResponse');
      expect(notProtobuf.type).toBe('ErrorResponse');
      expect(notProtobuf.body).toEqual(
        expect.objectContaining({
          errorCode: NacosExceptionCode.ParseError,
          message: expect.stringMatching(/^not a Nacos Payload message: /),
        }),
      );

      // Whatever the bytes, the answer is a Nacos ErrorResponse, never a bare gRPC INTERNAL (issue 16).
      for (const bytes of [
        [0xff],
        [0x12, 0x05, 0x1a],
        [0x12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
        [0x13, 0x00],
        [0x12, 0x02, 0x3a, 0x05],
        [0x1a, 0x03, 0x12, 0x09, 0x00],
      ]) {
        const answer = await rawBytes(port, Buffer.from(bytes));
        expect(answer.body).toEqual(expect.objectContaining({ errorCode: NacosExceptionCode.ParseError }));
      }

      const sut = client([`127.0.0.1:${port}`]);
      const badPort = await sut.register('svc', { ip: '10.5.0.1', port: 70000 }).catch((err: unknown) => err);
      expect(badPort).toEqual(
        expect.objectContaining({ errorCode: NacosExceptionCode.BadRequest, message: expect.stringMatching(/port/) }),
      );
      const unknownType = await (
        sut as unknown as { transport: { request(t: string, b: object): Promise<unknown> } }
      ).transport
        .request('NoSuchRequest', {})
        .catch((err: unknown) => err);
      expect(unknownType).toEqual(expect.objectContaining({ errorCode: NacosExceptionCode.NoHandler }));
      // The server is still fine.
      await sut.register('svc', { ip: '10.5.0.1', port: 7000 });
      expect(ports(await sut.query('svc'))).toEqual([7000]);
    });
  });

  describe('the text rule (issue 16)', () => {
    it('should refuse names that are not printable and NUL in metadata with errorCode 400 naming the field, changing nothing', async () => {
      const node = shared;
      const sut = client([`127.0.0.1:${node.grpcPort}`]);
      const refused = (promise: Promise<unknown>) =>
        promise.then(
          () => 'accepted',
          (err: unknown) => err,
        );
      const bad = (field: RegExp) =>
        expect.objectContaining({ errorCode: NacosExceptionCode.BadRequest, message: expect.stringMatching(field) });

      expect(
        await refused(sut.register('nul-svc', { ip: '10.13.0.1', port: 80, metadata: { '\u0000': '\u0000' } })),
      ).toEqual(bad(/instance\.metadata entry "\\u0000" must not contain NUL/));
      expect(
        await refused(sut.register('nul-svc', { ip: '10.13.0.1', port: 80, metadata: { k: 'a\u0000b' } })),
      ).toEqual(bad(/instance\.metadata entry "k" must not contain NUL/));
      expect(await refused(sut.register('svc\u0085', { ip: '10.13.0.1', port: 80 }))).toEqual(
        bad(/serviceName must not contain control/),
      );
      expect(await refused(sut.register('nul-svc', { ip: '10.13.0.1', port: 80 }, { group: 'g\u0001' }))).toEqual(
        bad(/groupName/),
      );
      expect(await refused(sut.register('nul-svc', { ip: '10.13.0.1', port: 80, clusterName: 'c\u007f' }))).toEqual(
        bad(/instance\.clusterName/),
      );
      expect(await refused(sut.register('nul-svc', { ip: '10.13.0.1', port: 80, instanceId: 'id\u0000' }))).toEqual(
        bad(/instance\.instanceId/),
      );
      // One bad instance refuses the whole batch: none of it is registered.
      expect(
        await refused(
          sut.batchRegister('nul-svc', [
            { ip: '10.13.0.2', port: 80 },
            { ip: '10.13.0.3', port: 80, metadata: { k: '\u0000' } },
          ]),
        ),
      ).toEqual(bad(/instances\[1\]\.metadata/));
      expect(await refused(sut.query('nul-svc', { clusters: ['a\u0000'] }))).toEqual(bad(/cluster /));
      expect(await refused(sut.subscribe('nul-svc', () => undefined, { clusters: ['a\u0001'] }))).toEqual(
        bad(/clusters /),
      );
      const transport = (sut as unknown as { transport: { request(t: string, b: object): Promise<unknown> } })
        .transport;
      expect(
        await refused(transport.request('ServiceListRequest', { namespace: 'ns\u0000', pageNo: 1, pageSize: 10 })),
      ).toEqual(bad(/namespace /));

      const registry = node.app.get(Registry);
      expect(registry.getService(serviceKey('public', 'DEFAULT_GROUP', 'nul-svc'))).toBeUndefined();
      // Metadata may hold any other text, newlines included.
      await sut.register('nul-svc', { ip: '10.13.0.4', port: 80, metadata: { note: 'a\nb\tc\u0085' } });
      expect((await sut.query('nul-svc')).hosts.map((host) => host.metadata)).toEqual([{ note: 'a\nb\tc\u0085' }]);
    });
  });

  describe('close', () => {
    it('should take its instances with it when closed', async () => {
      const node = shared;
      const sut = client([`127.0.0.1:${node.grpcPort}`]);
      await sut.register('temp', { ip: '10.6.0.1', port: 60 });
      const registry = node.app.get(Registry);
      const key = serviceKey('public', 'DEFAULT_GROUP', 'temp');
      expect(registry.listInstances(key)).toHaveLength(1);

      sut.close();

      await eventually(() => registry.listInstances(key).length === 0, { what: 'the instances to go' });
    });
  });
});
