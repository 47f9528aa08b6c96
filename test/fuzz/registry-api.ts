import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { registryProto, serviceClient } from '@/common/protos';
import type { FuzzContext } from './support/fuzz-context';
import type { FuzzNode } from './support/fuzz-node';
import { fuzz } from './support/fuzz-run';
import { UNDECODABLE } from './support/grpc-probe';
import { rawCases, runRawGrpcCase } from './support/raw-grpc-case';
import type { RawCase } from './support/raw-grpc-case';
import { hostileString } from './support/hostile';
import { SECRETS } from './support/secrets';

const EDGE = 'registry-api';
const METHODS = ['Publish', 'Renew', 'Withdraw', 'List', 'Watch'] as const;
type Method = (typeof METHODS)[number];

/** The proto-loader codec of each method (a well-formed message with hostile values). */
const service = serviceClient(registryProto(), 'registry.v1.RegistryService').service;
const codec = (method: Method) => service[method].requestSerialize as (value: object) => Buffer;

const str = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('fz-r1', 'fz-r2', '', 'public', 'DEFAULT_GROUP') },
  { weight: 1, arbitrary: hostileString },
);
const uint32 = fc.constantFrom(0, 1, 80, 999, 1000, 65535, 65536, 600000, 600001, 4294967295);
const double = fc.constantFrom(1, 0, 2.5, -1, 10001, NaN, Infinity, -Infinity, 5e-324);

const instance = fc.record({
  ip: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('10.2.0.1', '10.2.0.2') },
    { weight: 1, arbitrary: hostileString },
  ),
  port: uint32,
  weight: double,
  healthy: fc.boolean(),
  enabled: fc.boolean(),
  cluster_name: str,
  metadata: fc.oneof(
    fc.constant({ k: 'v' }),
    fc.dictionary(hostileString, hostileString, { maxKeys: 3 }),
    fc.constantFrom({ k: 'a\u0000b' }, { k: '\uD800' }, { '\u0000': 'v' }),
  ),
  instance_id: str,
  // Field 9: a persistent copy, written to the node's database (issue 19).
  persistent: fc.boolean(),
});
const publication = fc.record({ namespace: str, group: str, service: str, instance });
const selector = fc.record({ namespace: str, group_pattern: str, service_pattern: str });
const taskId = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('fz-task-1', 'fz-task-2') },
  { weight: 2, arbitrary: hostileString },
);

const MESSAGES: Record<Method, fc.Arbitrary<object>> = {
  Publish: fc.record({
    task_id: taskId,
    publications: fc.array(publication, { maxLength: 3 }),
    ttl_ms: uint32,
    replace: fc.boolean(),
  }),
  Renew: fc.record({ task_id: taskId, ttl_ms: uint32 }),
  Withdraw: fc.record({ task_id: taskId, all: fc.boolean(), publications: fc.array(publication, { maxLength: 2 }) }),
  List: fc.record({ selector, task_id: fc.oneof(fc.constant(''), taskId), page_size: uint32, page_token: str }),
  Watch: fc.record({ selector }),
};

type RegistryCase = RawCase<Method>;

const registryCase = rawCases(METHODS, MESSAGES);

/** The registry API (`registry.v1.RegistryService` on the Nacos gRPC port), with and without its token. */
export function describeRegistryApiFuzz(ctx: FuzzContext): void {
  const clients: grpc.Client[] = [];

  async function runCase(node: FuzzNode, client: grpc.Client, tokened: boolean, c: RegistryCase): Promise<void> {
    await runRawGrpcCase(ctx, {
      edge: EDGE,
      node,
      client,
      tokened,
      auth: c.auth,
      rightToken: SECRETS.REGISTRY_API_TOKEN,
      path: `/registry.v1.RegistryService/${c.method}`,
      method: c.method,
      message: c.message,
      bytes: c.message.kind === 'bytes' ? c.message.bytes : codec(c.method)(c.message.value),
      streamMs: c.method === 'Watch' ? 150 : undefined,
      example: c,
    });
  }

  describe('registry API', () => {
    afterAll(() => {
      for (const each of clients) each.close();
    });

    it.each([
      ['open', false],
      ['tokened', true],
    ])('should keep every property on hostile and undecodable calls (%s node)', async (label, tokened) => {
      const node = label === 'open' ? ctx.open : ctx.tokened;
      const client = new grpc.Client(`127.0.0.1:${node.node.grpcPort}`, grpc.credentials.createInsecure());
      clients.push(client);
      await fuzz(registryCase, 200, (c) => runCase(node, client, tokened, c), [
        // Issue 16, item 7: undecodable bytes answered INTERNAL, and decoded before the token is checked.
        { method: 'Publish', message: { kind: 'bytes', bytes: UNDECODABLE[0] }, auth: 'none' },
        { method: 'Publish', message: { kind: 'bytes', bytes: UNDECODABLE[0] }, auth: 'right' },
      ]);
      ctx.findings.report(await node.aliveViolations(EDGE), 'after the fuzz');
    });
  });
}
