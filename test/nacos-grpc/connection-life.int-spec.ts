import * as grpc from '@grpc/grpc-js';
import { NacosClientError, NacosNamingClient } from '@/sync/adapters/nacos-grpc-client';
import { NacosExceptionCode } from '@/nacos/grpc/messages';
import { decodePayload, encodePayload } from '@/nacos/grpc/payload';
import type { WirePayload } from '@/nacos/grpc/payload';
import { nacosProto, serviceClient } from '@/common/protos';
import { Registry, serviceKey } from '@/registry';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { freePorts } from '../../tools/support/free-ports';
import { eventually } from '../../tools/support/eventually';

type UnaryStub = grpc.Client & {
  request(p: WirePayload, cb: (err: grpc.ServiceError | null, r?: WirePayload) => void): void;
};
type StreamStub = grpc.Client & { requestBiStream(): grpc.ClientDuplexStream<WirePayload, WirePayload> };

/** A client that completes the handshake, registers, and then never answers the server: a hung app. */
async function silentClient(port: number): Promise<{ close(): void; received: string[] }> {
  const address = `127.0.0.1:${port}`;
  const options = { 'grpc.use_local_subchannel_pool': 1 };
  const unary = new (serviceClient(nacosProto(), 'Request'))(
    address,
    grpc.credentials.createInsecure(),
    options,
  ) as unknown as UnaryStub;
  const streams = new (serviceClient(nacosProto(), 'BiRequestStream'))(address, grpc.credentials.createInsecure(), {
    ...options,
    channelOverride: unary.getChannel(),
  }) as unknown as StreamStub;
  const call = (type: string, body: object): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) =>
      unary.request(encodePayload(type, body), (err, r) => (err ? reject(err) : resolve(decodePayload(r).body))),
    );
  await call('ServerCheckRequest', {});
  const stream = streams.requestBiStream();
  const received: string[] = [];
  stream.on('data', (payload: WirePayload) => received.push(decodePayload(payload).type));
  stream.on('error', () => undefined);
  stream.write(encodePayload('ConnectionSetupRequest', { clientVersion: 'silent', labels: {} }));
  await eventually(async () => (await call('HealthCheckRequest', {})).resultCode === 200, { what: 'registration' });
  await call('InstanceRequest', {
    serviceName: 'hung',
    type: 'registerInstance',
    instance: { ip: '10.8.0.1', port: 1 },
  });
  return {
    received,
    close: () => {
      stream.cancel();
      streams.close();
      unary.close();
    },
  };
}

describe('Nacos gRPC connection life', () => {
  const nodes: TestNode[] = [];
  const closers: Array<() => void> = [];

  afterAll(async () => {
    for (const close of closers) close();
    await Promise.all(nodes.map((node) => node.close()));
  });

  it('should close a connection that does not answer ClientDetectionRequest, and keep one that does', async () => {
    const node = await startTestNode({
      DATA_DIR: 'memory',
      LOG_LEVEL: 'warn',
      NACOS_GRPC_PORT: '0',
      NACOS_GRPC_DETECTION_IDLE_MS: '300',
    });
    nodes.push(node);
    const registry = node.app.get(Registry);
    const silent = await silentClient(node.grpcPort);
    closers.push(silent.close);
    const healthy = new NacosNamingClient({ servers: [`127.0.0.1:${node.grpcPort}`], healthCheckIntervalMs: 60_000 });
    closers.push(() => healthy.close());
    await healthy.register('alive', { ip: '10.8.0.2', port: 2 });

    await eventually(() => registry.listInstances(serviceKey('public', 'DEFAULT_GROUP', 'hung')).length === 0, {
      what: 'the silent connection to be dropped',
      timeoutMs: 15_000,
    });

    expect(silent.received).toContain('ClientDetectionRequest');
    expect(registry.listInstances(serviceKey('public', 'DEFAULT_GROUP', 'alive'))).toHaveLength(1);
  });

  it('should answer naming requests with errorCode 300 while Distro is not initialized', async () => {
    const [peer] = await freePorts(1);
    const node = await startTestNode({
      DATA_DIR: 'memory',
      LOG_LEVEL: 'warn',
      NACOS_GRPC_PORT: '0',
      DISTRO_PORT: '0',
      DISTRO_MEMBERS: `127.0.0.1:${peer}`,
      DISTRO_TOKEN: 'distro-test-token-0123456789',
      DISTRO_BOOTSTRAP_WAIT_MS: '600000',
      DISTRO_LOAD_RETRY_MS: '200',
    });
    nodes.push(node);
    const sut = new NacosNamingClient({ servers: [`127.0.0.1:${node.grpcPort}`] });
    closers.push(() => sut.close());

    const failure = await sut.register('early', { ip: '10.8.1.1', port: 1 }).catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(NacosClientError);
    expect((failure as NacosClientError).errorCode).toBe(NacosExceptionCode.ServerStarting);
  });
});
