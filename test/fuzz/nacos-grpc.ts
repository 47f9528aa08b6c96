import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { printableViolation } from '@/common/text-rule';
import {
  NacosRequestClient,
  NacosStreamClient,
  decodePayload,
  deserializePayload,
  encodePayload,
  serializePayload,
} from '@/nacos/grpc/payload';
import type { NacosRequestStub, NacosStreamStub } from '@/nacos/grpc/payload';
import type { FuzzContext } from './support/fuzz-context';
import type { FuzzNode } from './support/fuzz-node';
import { fuzz } from './support/fuzz-run';
import type { Violation } from './support/fuzz-run';
import { UNDECODABLE, grpcFailure, unaryRaw } from './support/grpc-probe';
import { anyJson, deepJson, hostileString, mutated, wrongValue } from './support/hostile';
import { markerIn, nacosLogin } from './support/secrets';

const EDGE = 'nacos-grpc';

/** Hostile metadata: NUL and lone surrogates in keys and values, wrong types. */
const badMetadata = fc.oneof(
  fc.dictionary(hostileString, hostileString, { minKeys: 1, maxKeys: 3 }),
  fc.constantFrom({ k: 'a\u0000b' }, { k: '\uD800' }, { '\u0000': 'v' }),
  wrongValue,
);

const instance = mutated(
  fc.record({
    ip: fc.constantFrom('10.1.0.1', '10.1.0.2'),
    port: fc.constantFrom(80, 81),
    weight: fc.constantFrom(1, 2.5),
    healthy: fc.boolean(),
    enabled: fc.boolean(),
    ephemeral: fc.constant(true),
    clusterName: fc.constantFrom('DEFAULT', 'EAST'),
    metadata: fc.constantFrom({}, { k: 'v' }, { zone: 'é' }),
  }),
  {
    ip: hostileString,
    port: fc.constantFrom(0, 65536, -1, 1.5, '80'),
    weight: fc.constantFrom(0, 10001, -1, '1', 1e308),
    clusterName: hostileString,
    metadata: badMetadata,
  },
);

const names = {
  namespace: fc.constantFrom('public', 'fz-ns'),
  serviceName: fc.constantFrom('fz-g1', 'fz-g2'),
  groupName: fc.constantFrom('DEFAULT_GROUP', 'G'),
};
const badNames = { namespace: hostileString, serviceName: hostileString, groupName: hostileString };

const BODIES: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
  InstanceRequest: mutated(
    fc.record({ ...names, type: fc.constantFrom('registerInstance', 'deregisterInstance'), instance }),
    { ...badNames, type: fc.constantFrom('batchRegisterInstance', 'x', ''), instance: wrongValue },
    1,
  ),
  // Nacos 2.3+ persistent instances (issue 19): stored in the node's database; services of their own, so
  // most are taken rather than refused for mixing with the InstanceRequest ones.
  PersistentInstanceRequest: mutated(
    fc.record({
      ...names,
      serviceName: fc.constantFrom('fz-p1', 'fz-p2'),
      type: fc.constantFrom('registerInstance', 'deregisterInstance'),
      instance,
    }),
    { ...badNames, type: fc.constantFrom('batchRegisterInstance', 'x', ''), instance: wrongValue },
    1,
  ),
  BatchInstanceRequest: mutated(
    fc.record({
      ...names,
      type: fc.constantFrom('batchRegisterInstance', 'batchDeregisterInstance'),
      instances: fc.array(instance, { maxLength: 3 }),
    }),
    { ...badNames, type: fc.constantFrom('registerInstance', 'x'), instances: wrongValue },
    1,
  ),
  ServiceQueryRequest: mutated(
    fc.record({ ...names, cluster: fc.constant('DEFAULT'), healthyOnly: fc.boolean(), udpPort: fc.constant(0) }),
    { ...badNames, cluster: hostileString, udpPort: fc.constantFrom(-1, 65536, 1.5) },
  ),
  SubscribeServiceRequest: mutated(fc.record({ ...names, subscribe: fc.boolean(), clusters: fc.constant('') }), {
    ...badNames,
    clusters: hostileString,
  }),
  ServiceListRequest: mutated(
    fc.record({
      namespace: names.namespace,
      groupName: names.groupName,
      pageNo: fc.constant(1),
      pageSize: fc.constant(10),
    }),
    { pageNo: fc.constantFrom(0, -1, 1e9, 1.5), pageSize: fc.constantFrom(0, 501, -1), namespace: hostileString },
  ),
  HealthCheckRequest: fc.constant({}),
  ServerCheckRequest: fc.constant({}),
  ConnectionSetupRequest: fc.record({ clientVersion: hostileString, labels: anyJson }),
  NoSuchRequest: fc.dictionary(hostileString, anyJson, { maxKeys: 3 }),
};

type Payload =
  | {
      kind: 'request';
      type: string;
      body: Record<string, unknown>;
      headers: Record<string, string>;
      requestId: unknown;
    }
  | { kind: 'text'; type: string; json: string }
  | { kind: 'bytes'; bytes: Buffer };

interface GrpcCase {
  payload: Payload;
  /** `token`: a valid accessToken header (tokened node); `none`; `bad`. */
  auth: 'token' | 'none' | 'bad';
}

const typeName = fc.oneof(
  { weight: 9, arbitrary: fc.constantFrom(...Object.keys(BODIES)) },
  { weight: 1, arbitrary: hostileString },
);

const payload: fc.Arbitrary<Payload> = fc.oneof(
  {
    weight: 8,
    arbitrary: typeName.chain((type) =>
      fc.record({
        kind: fc.constant('request' as const),
        type: fc.constant(type),
        body: BODIES[type] ?? BODIES.NoSuchRequest,
        headers: fc.dictionary(fc.constantFrom('app', 'accessToken', 'x', '\u0000'), hostileString, { maxKeys: 2 }),
        requestId: fc.option(fc.oneof(hostileString, wrongValue), { nil: undefined }),
      }),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('text' as const),
      type: typeName,
      json: fc.oneof(
        fc.constantFrom(
          '',
          'null',
          '[]',
          '"s"',
          '{',
          '{"a":1',
          '\uFEFF{}',
          '{"serviceName":"\\ud800"}',
          '{"requestId":{}}',
        ),
        fc.constantFrom(deepJson(3000, 'object'), deepJson(5000, 'array')),
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        fc.constantFrom(...UNDECODABLE),
        fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
      )
      .map((bytes) => ({ kind: 'bytes' as const, bytes })),
  },
);

const grpcCase: fc.Arbitrary<GrpcCase> = fc.record({
  payload,
  auth: fc.constantFrom<GrpcCase['auth']>('token', 'token', 'token', 'none', 'bad'),
});

/** A Nacos SDK-like connection: unary and stream on one channel, the stream registered. */
class NacosConnection {
  readonly unary: NacosRequestStub;
  readonly raw: grpc.Client;
  private readonly streams: NacosStreamStub;
  private stream?: grpc.ClientDuplexStream<unknown, unknown>;

  constructor(port: number) {
    const address = `127.0.0.1:${port}`;
    this.unary = new NacosRequestClient(address, grpc.credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
    });
    const channelOverride = this.unary.getChannel();
    this.streams = new NacosStreamClient(address, grpc.credentials.createInsecure(), { channelOverride });
    this.raw = new grpc.Client(address, grpc.credentials.createInsecure(), { channelOverride });
  }

  async open(headers: Record<string, string>): Promise<void> {
    await this.send(serializePayload(encodePayload('ServerCheckRequest', {})));
    const stream = this.streams.requestBiStream();
    stream.on('data', () => undefined);
    stream.on('error', () => undefined);
    stream.write(encodePayload('ConnectionSetupRequest', { clientVersion: 'fuzz', labels: {} }));
    this.stream = stream as unknown as grpc.ClientDuplexStream<unknown, unknown>;
    for (let i = 0; i < 100; i++) {
      const answer = await this.send(serializePayload(encodePayload('HealthCheckRequest', {}, headers)));
      if (answer.body?.resultCode === 200) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error('the fuzz connection never registered');
  }

  async send(bytes: Buffer) {
    const answer = await unaryRaw(this.raw, '/Request/request', bytes, new grpc.Metadata());
    let body: Record<string, unknown> | undefined;
    if (answer.code === grpc.status.OK && answer.messages[0]) {
      try {
        body = decodePayload(deserializePayload(answer.messages[0])).body;
      } catch {
        body = undefined;
      }
    }
    return { ...answer, body };
  }

  close(): void {
    this.stream?.cancel();
    this.streams.close();
    this.raw.close();
    this.unary.close();
  }
}

function encode(p: Payload, headers: Record<string, string>): Buffer {
  if (p.kind === 'bytes') return p.bytes;
  if (p.kind === 'text') return textPayload(p.type, p.json, headers);
  const body = { ...p.body, ...(p.requestId === undefined ? {} : { requestId: p.requestId }) };
  return serializePayload(encodePayload(p.type, body, { ...p.headers, ...headers }));
}

function textPayload(type: string, json: string, headers: Record<string, string>): Buffer {
  return serializePayload({
    metadata: { type, clientIp: '', headers },
    body: { type_url: '', value: Buffer.from(json, 'utf8') },
  });
}

const register = (fields: Record<string, unknown>, instanceFields: Record<string, unknown> = {}): GrpcCase => ({
  payload: {
    kind: 'request',
    type: 'InstanceRequest',
    body: {
      serviceName: 'fz-rule',
      type: 'registerInstance',
      ...fields,
      instance: { ip: '10.1.9.1', port: 80, weight: 1, healthy: true, enabled: true, ...instanceFields },
    },
    headers: {},
    requestId: undefined,
  },
  auth: 'token',
});

/** The text rule on this edge (issue 16, "one text rule for every edge"), run before the generated cases. */
const TEXT_RULE_CASES: GrpcCase[] = [
  register({}, { metadata: { k: 'a\u0000b' } }),
  register({ groupName: 'g\uD800' }),
  register({}, { clusterName: 'c\r\n' }),
];

/** Nacos 2.x gRPC (`/Request/request` and the stream), with and without Nacos auth. */
export function describeNacosGrpcFuzz(ctx: FuzzContext): void {
  const connections: NacosConnection[] = [];
  let accessToken = '';

  async function runCase(node: FuzzNode, connection: NacosConnection, tokened: boolean, c: GrpcCase): Promise<void> {
    const auth: Record<string, string> =
      tokened && c.auth === 'token' ? { accessToken } : c.auth === 'bad' ? { accessToken: 'e30.e30.forged' } : {};
    const endpoint =
      c.payload.kind === 'bytes' ? '/Request/request (raw bytes)' : `/Request/request ${c.payload.type.slice(0, 40)}`;
    node.newLeakedLogLines();
    const before = node.registryDigest();
    const breakersBefore = node.ruleBreakers();
    const expiries = node.expiries;
    const answer = await connection.send(encode(c.payload, auth));
    const v = (kind: string, detail: string): Violation => ({ edge: EDGE, endpoint, kind, detail });
    const out: Violation[] = [];
    const failure = grpcFailure(answer.code);
    if (failure) out.push(v(failure, `${grpc.status[answer.code]} ${answer.details}`));
    if (answer.body?.errorCode === 500) out.push(v('nacos-server-error', String(answer.body.message)));
    const hit = markerIn(answer.text);
    if (hit) out.push(v('secret-in-response', hit));
    const logLeaks = node.newLeakedLogLines();
    if (logLeaks.length > 0) out.push(v('secret-in-log', logLeaks[0]));
    const ok = answer.code === grpc.status.OK && answer.body?.resultCode === 200;
    if (!ok && node.expiries === expiries && node.registryDigest() !== before)
      out.push(v('state-changed-by-refusal', JSON.stringify(answer.body?.errorCode ?? grpc.status[answer.code])));
    for (const stored of node.ruleBreakers())
      if (!breakersBefore.has(stored)) out.push(v('rule-breaking-value-stored', stored));
    if (ok && c.payload.kind === 'request' && /Instance/.test(c.payload.type)) {
      const b = c.payload.body;
      const instances = [b.instance, ...(Array.isArray(b.instances) ? b.instances : [])];
      const fields: Array<[string, unknown]> = [
        ['namespace', b.namespace],
        ['serviceName', b.serviceName],
        ['groupName', b.groupName],
        ...instances.flatMap((i): Array<[string, unknown]> =>
          i && typeof i === 'object' ? [['instance.clusterName', (i as Record<string, unknown>).clusterName]] : [],
        ),
      ];
      for (const [name, value] of fields) {
        if (typeof value !== 'string') continue;
        const why = printableViolation(value);
        if (why) out.push(v(`accepted-outside-text-rule(${name})`, `${JSON.stringify(value.slice(0, 60))}: ${why}`));
      }
    }
    ctx.findings.counted(`${EDGE} (${node.label})`, ok);
    ctx.findings.report(out, c);
  }

  describe('Nacos gRPC', () => {
    beforeAll(async () => {
      accessToken = await nacosLogin(ctx.tokened.base);
      for (const [node, headers] of [
        [ctx.open, {}],
        [ctx.tokened, { accessToken }],
      ] as const) {
        const connection = new NacosConnection(node.node.grpcPort);
        await connection.open(headers);
        connections.push(connection);
        ctx.onStop(() => connection.close());
      }
    });

    it.each([
      ['open', 0],
      ['tokened', 1],
    ])('should keep every property on hostile payloads (%s node)', async (label, index) => {
      const node = label === 'open' ? ctx.open : ctx.tokened;
      await fuzz(grpcCase, 300, (c) => runCase(node, connections[index], label === 'tokened', c), TEXT_RULE_CASES);
      ctx.findings.report(await node.aliveViolations(EDGE), 'after the fuzz');
    });

    it('should survive undecodable bytes on the stream', async () => {
      for (const node of [ctx.open, ctx.tokened]) {
        const client = new grpc.Client(`127.0.0.1:${node.node.grpcPort}`, grpc.credentials.createInsecure());
        const stream = client.makeBidiStreamRequest(
          '/BiRequestStream/requestBiStream',
          (b: Buffer) => b,
          (b: Buffer) => b,
        );
        const status = new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve));
        stream.on('error', () => undefined);
        stream.on('data', () => undefined);
        for (const bytes of UNDECODABLE) stream.write(bytes);
        stream.write(textPayload('ConnectionSetupRequest', deepJson(5000, 'array'), {}));
        await new Promise((resolve) => setTimeout(resolve, 300));
        stream.cancel();
        const { code, details } = await status;
        ctx.findings.counted(`${EDGE} stream (${node.label})`, code === grpc.status.CANCELLED);
        const failure = code === grpc.status.CANCELLED ? undefined : grpcFailure(code);
        const violations = failure
          ? [{ edge: EDGE, endpoint: '/BiRequestStream/requestBiStream (raw bytes)', kind: failure, detail: details }]
          : [];
        ctx.findings.report([...violations, ...(await node.aliveViolations(EDGE))], 'undecodable stream messages');
        client.close();
      }
    });
  });
}
