import { NacosClientError } from './nacos-grpc-client';
import type { NacosNamingClient } from './nacos-grpc-client';
import type { NacosV1Client } from './nacos-v1-client';
import { NacosPersistentWriter } from './nacos-persistent-writer';
import type { CopyRecord } from '../reconcile/copy-plan';

const key = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'orders' };
const copy: CopyRecord = {
  namespace: 'public',
  groupName: 'DEFAULT_GROUP',
  serviceName: 'orders',
  clusterName: 'DEFAULT',
  ip: '10.0.0.1',
  port: 80,
  weight: 1,
  healthy: true,
  enabled: true,
  metadata: { syncTaskId: 't1' },
  ephemeral: false,
};

function fakes(grpcAnswer: () => Promise<void>) {
  const grpcCalls: unknown[][] = [];
  const v1Calls: unknown[][] = [];
  const grpc = {
    persistent: (...args: unknown[]) => {
      grpcCalls.push(args);
      return grpcAnswer();
    },
  } as unknown as NacosNamingClient;
  const v1 = {
    register: (...args: unknown[]) => Promise.resolve(void v1Calls.push(['register', ...args])),
    deregister: (...args: unknown[]) => Promise.resolve(void v1Calls.push(['deregister', ...args])),
  } as unknown as NacosV1Client;
  let made = 0;
  const sut = new NacosPersistentWriter(grpc, () => {
    made++;
    return v1;
  });
  return { sut, grpcCalls, v1Calls, made: () => made };
}

describe(NacosPersistentWriter.name, () => {
  it('should write persistent instances with PersistentInstanceRequest where the server has it', async () => {
    const { sut, grpcCalls, v1Calls, made } = fakes(() => Promise.resolve());
    await sut.register(key, copy);
    await sut.deregister(key, copy);
    expect(grpcCalls.map((c) => [c[0], c[1], (c[2] as { ephemeral: boolean }).ephemeral, c[3]])).toEqual([
      ['registerInstance', 'orders', false, { group: 'DEFAULT_GROUP' }],
      ['deregisterInstance', 'orders', false, { group: 'DEFAULT_GROUP' }],
    ]);
    expect(v1Calls).toEqual([]);
    expect(made()).toBe(0);
    expect(sut.protocol).toBe('grpc');
  });

  it('should move to HTTP v1 with ephemeral=false for good at the first "no handler" answer', async () => {
    const { sut, grpcCalls, v1Calls, made } = fakes(() =>
      Promise.reject(new NacosClientError(302, 'RequestHandler Not Found: PersistentInstanceRequest')),
    );
    await sut.register(key, { ...copy, ephemeral: undefined });
    await sut.deregister(key, copy);
    expect(grpcCalls).toHaveLength(1);
    expect(v1Calls.map((c) => [c[0], (c[2] as CopyRecord).ephemeral])).toEqual([
      ['register', false],
      ['deregister', false],
    ]);
    expect(made()).toBe(1);
    expect(sut.protocol).toBe('http-v1');
  });

  it("should pass any other refusal on (a 400 for an ephemeral service is the copy's, not the protocol's)", async () => {
    const { sut, v1Calls } = fakes(() =>
      Promise.reject(
        new NacosClientError(
          400,
          "Current service DEFAULT_GROUP@@orders is ephemeral service, can't register persistent instance.",
        ),
      ),
    );
    await expect(sut.register(key, copy)).rejects.toMatchObject({ errorCode: 400 });
    expect(v1Calls).toEqual([]);
    expect(sut.protocol).toBe('grpc');
  });
});
