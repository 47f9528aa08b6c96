import { NacosClientError, NacosNamingClient } from '@/sync/adapters/nacos-grpc-client';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { call } from '../nacos-http/support';

/** The gRPC edge keeps Nacos's rules the HTTP edges keep (issue 19): one kind per service, page 0 is page 1. */
describe('Nacos gRPC naming rules', () => {
  let node: TestNode;
  let sut: NacosNamingClient;

  beforeAll(async () => {
    node = await startTestNode({ DATA_DIR: 'memory', LOG_LEVEL: 'warn', NACOS_GRPC_PORT: '0' });
    sut = new NacosNamingClient({ servers: [`127.0.0.1:${node.grpcPort}`], requestTimeoutMs: 2000 });
  });

  afterAll(async () => {
    sut?.close();
    await node?.close();
  });

  const refusal = async (write: Promise<void>): Promise<{ errorCode: number; message: string }> => {
    try {
      await write;
    } catch (error) {
      if (error instanceof NacosClientError) return { errorCode: error.errorCode, message: error.message };
      throw error;
    }
    throw new Error('not refused');
  };

  it('should refuse a persistent instance into an ephemeral service, single and batched', async () => {
    await sut.register('grpc-kind', { ip: '10.70.0.1', port: 80 });
    expect(await refusal(sut.register('grpc-kind', { ip: '10.70.0.2', port: 80, ephemeral: false }))).toEqual({
      errorCode: 400,
      // Our client's words around the server's ErrorResponse message.
      message:
        "InstanceRequest failed: Current service DEFAULT_GROUP@@grpc-kind is ephemeral service, can't register persistent instance. (400)",
    });
    expect(
      await refusal(sut.batchRegister('grpc-kind', [{ ip: '10.70.0.3', port: 80, ephemeral: false }])),
    ).toMatchObject({ errorCode: 400, message: expect.stringContaining("can't batch register persistent instance.") });
    expect((await sut.query('grpc-kind')).hosts.map((h) => h.ip)).toEqual(['10.70.0.1']);
  });

  it('should keep a persistent instance of PersistentInstanceRequest (Nacos 2.3+) beyond its connection', async () => {
    await sut.persistent('registerInstance', 'grpc-persistent', { ip: '10.70.2.1', port: 80, weight: 2 });
    const other = new NacosNamingClient({ servers: [`127.0.0.1:${node.grpcPort}`], requestTimeoutMs: 2000 });
    try {
      sut.close();
      // Another connection (the writer's is gone) still sees it, persistent.
      expect((await other.query('grpc-persistent')).hosts).toEqual([
        expect.objectContaining({ ip: '10.70.2.1', weight: 2, ephemeral: false }),
      ]);
      await other.register('grpc-mixed', { ip: '10.70.2.9', port: 80 });
      expect(
        await refusal(other.persistent('registerInstance', 'grpc-mixed', { ip: '10.70.2.2', port: 80 })),
      ).toMatchObject({ errorCode: 400, message: expect.stringContaining('is ephemeral service') });
      await other.persistent('deregisterInstance', 'grpc-persistent', { ip: '10.70.2.1', port: 80 });
      expect((await other.query('grpc-persistent')).hosts).toEqual([]);
    } finally {
      other.close();
      sut = new NacosNamingClient({ servers: [`127.0.0.1:${node.grpcPort}`], requestTimeoutMs: 2000 });
    }
  });

  it('should refuse an instance into a service holding persistent (HTTP) instances', async () => {
    const res = await call(
      node.base,
      'POST',
      '/nacos/v1/ns/instance',
      { serviceName: 'grpc-durable', ip: '10.70.1.1', port: '80', ephemeral: 'false' },
      { form: true },
    );
    expect(res.status).toBe(200);
    expect(await refusal(sut.register('grpc-durable', { ip: '10.70.1.2', port: 80 }))).toEqual({
      errorCode: 400,
      message:
        "InstanceRequest failed: Current service DEFAULT_GROUP@@grpc-durable is persistent service, can't register ephemeral instance. (400)",
    });
  });

  it('should read ServiceListRequest pageNo 0 as page 1', async () => {
    const first = await sut.listServices({ pageNo: 1, pageSize: 1 });
    expect(await sut.listServices({ pageNo: 0, pageSize: 1 })).toEqual(first);
    expect(first.count).toBeGreaterThan(0);
    expect(first.serviceNames).toHaveLength(1);
  });
});
