import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { CLIENT_DATA_TYPE } from '@/distro/distro-types';
import { distroMethods } from '@/distro/grpc/distro-proto';
import type { DistroMethodName } from '@/distro/grpc/distro-proto';
import type { FuzzContext } from './support/fuzz-context';
import type { FuzzNode } from './support/fuzz-node';
import { fuzz } from './support/fuzz-run';
import { rawCases, runRawGrpcCase } from './support/raw-grpc-case';
import type { RawCase } from './support/raw-grpc-case';
import { hostileString } from './support/hostile';
import { SECRETS } from './support/secrets';

const EDGE = 'distro';
const METHODS = ['Sync', 'Verify', 'Snapshot', 'Probe', 'Forward'] as const satisfies readonly DistroMethodName[];
type Method = (typeof METHODS)[number];

/** `SELF` stands for the node's own member id (resolved per node): the one sender it accepts. */
const from = fc.oneof({ weight: 8, arbitrary: fc.constant('SELF') }, { weight: 1, arbitrary: hostileString });
const type = fc.oneof({ weight: 8, arbitrary: fc.constant(CLIENT_DATA_TYPE) }, { weight: 1, arbitrary: hostileString });
const str = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('fz-d1', 'fz-d2', '', 'public', 'DEFAULT_GROUP', 'DEFAULT') },
  { weight: 1, arbitrary: hostileString },
);
const uint32 = fc.constantFrom(0, 1, 80, 65535, 65536, 4294967295);
const u53 = fc.constantFrom(0, 1, 2 ** 40, 2 ** 53 - 1, Date.now() * 2048);
const i53 = fc.constantFrom(0, -1, 1, Date.now() + 3_600_000, -(2 ** 53) + 1, 2 ** 53 - 1);
const double = fc.constantFrom(1, 0, -1, 10001, NaN, Infinity, 0.5);

const instance = fc.record({
  ip: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('10.3.0.1', '10.3.0.2') },
    { weight: 1, arbitrary: hostileString },
  ),
  port: uint32,
  weight: double,
  healthy: fc.boolean(),
  enabled: fc.boolean(),
  ephemeral: fc.boolean(),
  clusterName: str,
  metadata: fc.oneof(
    fc.constant({ k: 'v' }),
    fc.dictionary(hostileString, hostileString, { maxKeys: 3 }),
    fc.constantFrom({ k: 'a\u0000b' }, { k: '\uD800' }, { '\u0000': 'v' }),
  ),
  instanceId: str,
});

const clientData = fc.record({
  clientId: fc.oneof(fc.constantFrom('10.3.0.1:80#true', 'fz-conn-1', 'sync:fz'), hostileString),
  kind: fc.oneof(fc.constantFrom('ipport', 'connection', 'sync'), hostileString),
  revision: u53,
  owner: fc.oneof(fc.constant('SELF'), str),
  publications: fc.array(
    fc.record({
      namespace: str,
      group: str,
      service: str,
      instance,
      version: u53,
      writer: fc.oneof(fc.constant('SELF'), str),
    }),
    { maxLength: 3 },
  ),
  expiresAt: i53,
  tombstones: fc.array(
    fc.record({
      namespace: str,
      group: str,
      service: str,
      cluster: str,
      ip: str,
      port: uint32,
      version: u53,
      writer: str,
    }),
    { maxLength: 2 },
  ),
  floor: u53,
  floorWriter: str,
  metaVersion: u53,
  metaWriter: str,
});

const MESSAGES: Record<Method, fc.Arbitrary<object>> = {
  Sync: fc.record({ from, type, clients: fc.array(clientData, { maxLength: 3 }) }),
  Verify: fc.record({
    from,
    type,
    buckets: fc.constantFrom(0, 1, 3, 4, 65536, 131072, 4294967295),
    digests: fc.array(double, { maxLength: 5 }),
    detailBuckets: fc.array(uint32, { maxLength: 3 }),
    entries: fc.array(fc.record({ clientId: str, digest: double }), { maxLength: 3 }),
  }),
  Snapshot: fc.record({ from, type }),
  Probe: fc.record({ from }),
  Forward: fc.record({
    from,
    method: fc.oneof(fc.constantFrom('POST', 'PUT', 'DELETE', 'GET', 'post'), hostileString),
    url: fc.oneof(
      fc.constantFrom(
        '/nacos/v1/ns/instance?serviceName=fz-fw&ip=10.3.1.1&port=80',
        '/nacos/v1/ns/instance?serviceName=fz-fw&ip=10.3.1.1&port=0x50',
        '/nacos/v1/ns/instance?serviceName=fz-fw&ip=10.3.1.1&port=80&metadata=%00%3D%00',
        '/nacos/v1/ns/instance/beat',
        '/api/v1/clusters',
        '/nacos/../api/v1/clusters',
        '/nacos/v1/ns/instance?serviceName=%ED%A0%80&ip=10.3.1.1&port=80',
      ),
      hostileString.map((s) => `/nacos/${s}`),
    ),
    headers: fc.dictionary(
      fc.constantFrom('content-type', 'x-distro-forwarded', 'authorization', 'host', 'x'),
      hostileString,
      { maxKeys: 2 },
    ),
    body: fc
      .oneof(fc.constantFrom('', 'serviceName=fz-fw2&ip=10.3.1.2&port=81', 'metadata=%00'), hostileString)
      .map((s) => Buffer.from(s)),
    deadlineMs: i53,
  }),
};

type DistroCase = RawCase<Method>;

const distroCase = rawCases(METHODS, MESSAGES);

function withSelf(value: unknown, self: string): unknown {
  if (value === 'SELF') return self;
  if (Buffer.isBuffer(value)) return value;
  if (Array.isArray(value)) return value.map((v) => withSelf(v, self));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withSelf(v, self)]));
  return value;
}

/** The Distro peer port (`distro.v2.DistroPeer`), with and without DISTRO_TOKEN. */
export function describeDistroFuzz(ctx: FuzzContext): void {
  const clients: grpc.Client[] = [];

  async function runCase(node: FuzzNode, client: grpc.Client, tokened: boolean, c: DistroCase): Promise<void> {
    const serialize = distroMethods[c.method].requestSerialize as (value: object) => Buffer;
    const bytes =
      c.message.kind === 'bytes' ? c.message.bytes : serialize(withSelf(c.message.value, ctx.memberId(node)) as object);
    await runRawGrpcCase(ctx, {
      edge: EDGE,
      node,
      client,
      tokened,
      auth: c.auth,
      rightToken: SECRETS.DISTRO_TOKEN,
      path: `/distro.v2.DistroPeer/${c.method}`,
      method: c.method,
      message: c.message,
      bytes,
      streamMs: c.method === 'Snapshot' ? 2000 : undefined,
      example: c,
    });
  }

  describe('Distro port', () => {
    afterAll(() => {
      for (const each of clients) each.close();
    });

    it.each([
      ['open', false],
      ['tokened', true],
    ])('should keep every property on hostile and undecodable calls (%s node)', async (label, tokened) => {
      const node = label === 'open' ? ctx.open : ctx.tokened;
      const client = new grpc.Client(`127.0.0.1:${node.node.distroPort}`, grpc.credentials.createInsecure());
      clients.push(client);
      await fuzz(distroCase, 200, (c) => runCase(node, client, tokened, c), [
        // The text rule on this edge (issue 16): a peer's NUL metadata is refused, not stored.
        {
          method: 'Sync',
          auth: 'right',
          message: {
            kind: 'message',
            value: {
              from: 'SELF',
              type: CLIENT_DATA_TYPE,
              clients: [
                {
                  clientId: '10.3.9.1:80#true',
                  kind: 'ipport',
                  revision: 1,
                  owner: 'SELF',
                  publications: [
                    {
                      service: 'fz-rule',
                      instance: {
                        ip: '10.3.9.1',
                        port: 80,
                        weight: 1,
                        healthy: true,
                        enabled: true,
                        metadata: { k: 'a\u0000b' },
                      },
                      version: 1,
                      writer: 'SELF',
                    },
                  ],
                },
              ],
            },
          },
        },
      ]);
      ctx.findings.report(await node.aliveViolations(EDGE), 'after the fuzz');
    });
  });
}
