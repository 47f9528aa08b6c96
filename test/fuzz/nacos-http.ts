import fc from 'fast-check';
import { printableViolation } from '@/common/text-rule';
import type { FuzzContext } from './support/fuzz-context';
import type { FuzzNode } from './support/fuzz-node';
import { fuzz } from './support/fuzz-run';
import type { Violation } from './support/fuzz-run';
import { hostileString, looseNumber, mutated, numberText } from './support/hostile';
import { encodeQuery, httpCall } from './support/http-probe';
import type { HttpAnswer } from './support/http-probe';
import { NACOS_USER, SECRETS, markerIn, nacosLogin } from './support/secrets';

const EDGE = 'nacos-http';

const ROUTES = [
  'POST /nacos/v1/ns/instance',
  'PUT /nacos/v1/ns/instance',
  'DELETE /nacos/v1/ns/instance',
  'PUT /nacos/v1/ns/instance/beat',
  'GET /nacos/v1/ns/instance',
  'GET /nacos/v1/ns/instance/list',
  'GET /nacos/v1/ns/service/list',
  'GET /nacos/v1/ns/service',
  'POST /nacos/v1/ns/service',
  'PUT /nacos/v1/ns/service',
  'POST /nacos/v2/ns/instance',
  'PUT /nacos/v2/ns/instance',
  'DELETE /nacos/v2/ns/instance',
  'GET /nacos/v2/ns/instance/list',
  'GET /nacos/v2/ns/service/list',
  'POST /nacos/v2/ns/service',
  'PUT /nacos/v2/ns/service',
  'POST /nacos/v1/auth/login',
  // Issue 19: calls on existing instances, operator calls, client views.
  'PATCH /nacos/v1/ns/instance',
  'PUT /nacos/v1/ns/instance/metadata/batch',
  'DELETE /nacos/v1/ns/instance/metadata/batch',
  'PUT /nacos/v1/ns/health/instance',
  'PUT /nacos/v1/ns/health',
  'GET /nacos/v1/ns/catalog/instances',
  'GET /nacos/v1/ns/operator/switches',
  'PUT /nacos/v1/ns/operator/switches',
  'GET /nacos/v1/ns/operator/servers',
  'GET /nacos/v1/ns/operator/metrics',
  'GET /nacos/v1/ns/ops/metrics',
  'GET /nacos/v2/ns/instance',
  'PUT /nacos/v2/ns/instance/beat',
  'PATCH /nacos/v2/ns/instance',
  'PUT /nacos/v2/ns/instance/metadata/batch',
  'DELETE /nacos/v2/ns/instance/metadata/batch',
  'PUT /nacos/v2/ns/health/instance',
  'GET /nacos/v2/ns/operator/switches',
  'PUT /nacos/v2/ns/operator/switches',
  'GET /nacos/v2/ns/operator/metrics',
  'GET /nacos/v2/ns/client/list',
  'GET /nacos/v2/ns/client',
  'GET /nacos/v2/ns/client/publish/list',
  'GET /nacos/v2/ns/client/subscribe/list',
  'GET /nacos/v2/ns/client/service/publisher/list',
  'GET /nacos/v2/ns/client/service/subscriber/list',
  // Issue 19: services and namespaces as stored objects.
  'DELETE /nacos/v1/ns/service',
  'GET /nacos/v2/ns/service',
  'DELETE /nacos/v2/ns/service',
  'GET /nacos/v1/console/namespaces',
  'POST /nacos/v1/console/namespaces',
  'PUT /nacos/v1/console/namespaces',
  'DELETE /nacos/v1/console/namespaces',
  'GET /nacos/v2/console/namespace/list',
  'GET /nacos/v2/console/namespace',
  'POST /nacos/v2/console/namespace',
  'PUT /nacos/v2/console/namespace',
  'DELETE /nacos/v2/console/namespace',
  // Issue 19: the console's catalog across groups, subscribers over the region.
  'GET /nacos/v1/ns/catalog/services',
  'GET /nacos/v1/ns/service/subscribers',
  // Issue 19: Nacos 3's APIs (the calls v3 kept as v2 share v2's handlers, fuzzed above).
  'POST /nacos/v3/client/ns/instance',
  'DELETE /nacos/v3/client/ns/instance',
  'GET /nacos/v3/client/ns/instance/list',
  'POST /nacos/v3/admin/ns/instance',
  'GET /nacos/v3/admin/ns/instance',
  'PUT /nacos/v3/admin/ns/instance/partial',
  'GET /nacos/v3/admin/ns/instance/list',
  'GET /nacos/v3/admin/ns/service',
  'GET /nacos/v3/admin/ns/service/list',
  'GET /nacos/v3/admin/ns/service/subscribers',
  'PUT /nacos/v3/admin/ns/cluster',
  'GET /nacos/v3/admin/ns/ops/metrics',
  'GET /nacos/v3/admin/ns/client/distro',
  'GET /nacos/v3/admin/core/namespace/list',
  'GET /nacos/v3/admin/core/namespace/check',
  'POST /nacos/v3/admin/core/namespace',
  'POST /nacos/v3/auth/user/login',
  // Issue 19: the operator writes served last (log levels, the member report, the addressing mode).
  'PUT /nacos/v3/admin/ns/ops/log',
  'PUT /nacos/v1/ns/operator/log',
  'PUT /nacos/v2/core/cluster/lookup',
  'PUT /nacos/v3/admin/core/cluster/node/list',
] as const;
type Route = (typeof ROUTES)[number];

const WRITES: readonly Route[] = [
  'POST /nacos/v1/ns/instance',
  'PUT /nacos/v1/ns/instance',
  'PUT /nacos/v1/ns/instance/beat',
  'POST /nacos/v2/ns/instance',
  'PUT /nacos/v2/ns/instance',
  'PATCH /nacos/v1/ns/instance',
  'PUT /nacos/v1/ns/instance/metadata/batch',
  'PUT /nacos/v1/ns/health/instance',
  'PUT /nacos/v2/ns/instance/beat',
  'PATCH /nacos/v2/ns/instance',
  'PUT /nacos/v2/ns/instance/metadata/batch',
  'POST /nacos/v3/client/ns/instance',
  'POST /nacos/v3/admin/ns/instance',
  'PUT /nacos/v3/admin/ns/instance/partial',
];
/** Params that are names (the text rule: printable). */
const NAME_PARAMS = ['serviceName', 'groupName', 'namespaceId', 'clusterName', 'ip'];
/** Integer and decimal params, and the routes that read them. */
const NUMBER_PARAMS: Record<string, { integer: boolean; routes: RegExp }> = {
  port: { integer: true, routes: /ns\/(instance(\/partial)?|health(\/instance)?|client\/service\/\w+\/list)$/ },
  weight: { integer: false, routes: /^(POST|PUT|PATCH) .*ns\/instance(\/partial)?$/ },
  pageNo: { integer: true, routes: /(service\/list|catalog\/instances|catalog\/services|service\/subscribers)$/ },
  pageSize: { integer: true, routes: /(service\/list|catalog\/instances|catalog\/services|service\/subscribers)$/ },
  checkPort: { integer: true, routes: /ns\/cluster$/ },
  udpPort: { integer: true, routes: /instance\/list$/ },
};

interface NacosCase {
  route: Route;
  params: Array<[string, string]>;
  form: boolean;
  /** `token`: a valid accessToken (tokened node); `none`; `bad`: a forged one. */
  auth: 'token' | 'none' | 'bad';
  /** Marks the call as a forward from a peer (a client can set the header too). */
  forwarded: boolean;
}

/** Metadata as clients send it (JSON or k=v). */
const goodMetadata = fc.constantFrom('{"k":"v"}', 'a=1,b=2', '{"version":"1.0","zone":"é"}', '{}');

/** Hostile metadata: NUL and lone surrogates (raw or as JSON escapes), bad JSON, nesting, too big. */
const badMetadata = fc.oneof(
  fc.dictionary(hostileString, hostileString, { minKeys: 1, maxKeys: 3 }).map((m) => JSON.stringify(m)),
  {
    weight: 3,
    arbitrary: fc.constantFrom('{"k":"a\\u0000b"}', '{"k":"\\ud800"}', '{"\\u0000":"v"}', '\u0000=\u0000', 'k=\uD800'),
  },
  fc.constantFrom('{"a":', '[1]', '{"a":{"b":1}}', '{"a":1}', 'null', '"s"', '{"__proto__":{"x":"1"}}'),
  fc.constant(JSON.stringify({ big: 'x'.repeat(20_000) })),
);

const goodBeat = fc
  .record({
    serviceName: fc.constantFrom('DEFAULT_GROUP@@fz-a', 'fz-b'),
    ip: fc.constantFrom('10.0.0.1', '10.0.0.2'),
    port: fc.constantFrom(80, 81),
  })
  .map((b) => JSON.stringify(b));

const badBeat = mutated(
  fc.record({
    serviceName: fc.constantFrom('DEFAULT_GROUP@@fz-a', 'fz-b'),
    ip: fc.constantFrom('10.0.0.1', '10.0.0.2'),
    port: fc.constantFrom(80, 81),
    cluster: fc.constant('DEFAULT'),
    weight: fc.constant(1),
    metadata: fc.constant({ k: 'v' }),
  }),
  {
    serviceName: hostileString,
    ip: hostileString,
    port: fc.constantFrom(0, 70000, -1, 1.5, '80', '0x50'),
    cluster: hostileString,
    weight: fc.constantFrom(0, 10001, -1, '1'),
    metadata: fc.oneof(
      fc.dictionary(hostileString, hostileString, { maxKeys: 2 }),
      fc.constantFrom({ k: 'a\u0000b' }, { k: '\uD800' }, { '\u0000': 'v' }),
    ),
  },
).map((b) => JSON.stringify(b));

/** Well-formed values of every param; each route takes the ones it reads. */
const GOOD: Record<string, fc.Arbitrary<string>> = {
  serviceName: fc.constantFrom('fz-a', 'fz-b', 'G@@fz-c', 'svc-1'),
  ip: fc.constantFrom('10.0.0.1', '10.0.0.2', '::1'),
  port: fc.constantFrom('80', '81'),
  groupName: fc.constantFrom('DEFAULT_GROUP', 'G'),
  namespaceId: fc.constantFrom('public', 'fz-ns'),
  weight: fc.constantFrom('1', '2.5', '0', '10000'),
  enabled: fc.constantFrom('true', 'false'),
  healthy: fc.constantFrom('true', 'false'),
  ephemeral: fc.constantFrom('true', 'false'),
  clusterName: fc.constantFrom('DEFAULT', 'EAST'),
  clusters: fc.constantFrom('DEFAULT', 'EAST,WEST'),
  metadata: goodMetadata,
  beat: goodBeat,
  healthyOnly: fc.constantFrom('true', 'false'),
  pageNo: fc.constantFrom('1', '2'),
  pageSize: fc.constantFrom('1', '10'),
  udpPort: fc.constantFrom('0', '9'),
  username: fc.constantFrom(NACOS_USER, 'nacos'),
  password: fc.constantFrom('wrong', SECRETS.NACOS_PASSWORD),
  cluster: fc.constantFrom('DEFAULT', 'EAST'),
  instances: fc.constantFrom(
    '[{"ip":"10.0.0.1","port":80}]',
    '[{"ip":"10.0.0.2","port":"81","clusterName":"EAST"}]',
    '[]',
  ),
  consistencyType: fc.constantFrom('', 'persist'),
  // Runtime switches that leave the rest of the fuzz as it is, a read-only one and an unknown one.
  entry: fc.constantFrom('clientBeatInterval', 'lightBeatEnabled', 'distro', 'nope'),
  value: fc.constantFrom('5000', 'true', 'abc'),
  debug: fc.constantFrom('true', 'false'),
  onlyStatus: fc.constantFrom('true', 'false'),
  clientId: fc.constantFrom('10.0.0.1:80#true', '10.0.0.2:81#false', 'nope'),
  protectThreshold: fc.constantFrom('0', '0.5', '1'),
  selector: fc.constantFrom('{"type":"none"}', '{"type":"label","expression":"CONSUMER.label.a = PROVIDER.label.a"}'),
  customNamespaceId: fc.constantFrom('fz-ns', 'fz-ns2', ''),
  namespace: fc.constantFrom('fz-ns', 'fz-ns2'),
  namespaceName: fc.constantFrom('Fuzz', 'Fuzz two'),
  namespaceShowName: fc.constantFrom('Fuzz', 'Fuzz two'),
  namespaceDesc: fc.constantFrom('', 'a namespace'),
  show: fc.constantFrom('all', 'no'),
  checkNamespaceIdExist: fc.constantFrom('true', 'false'),
  heartBeat: fc.constantFrom('true', 'false'),
  serviceNameParam: fc.constantFrom('', 'fz', 'a$', '^fz-.'),
  groupNameParam: fc.constantFrom('', 'G', 'DEFAULT'),
  ignoreEmptyService: fc.constantFrom('true', 'false'),
  // true is refused by v1 catalog/services (documented), served by the v3 list: false is good on both.
  withInstances: fc.constantFrom('false'),
  hasIpCount: fc.constantFrom('true', 'false'),
  aggregation: fc.constantFrom('true', 'false'),
  checkPort: fc.constantFrom('0', '80', '8080'),
  useInstancePort4Check: fc.constantFrom('true', 'false'),
  // Loggers the fuzz's own checks do not read, an unknown one; levels in both cases and a bad one.
  logName: fc.constantFrom('naming-push', 'sync', 'naming-performance'),
  logLevel: fc.constantFrom('INFO', 'debug', 'loud'),
  type: fc.constantFrom('file', 'address-server', 'dns'),
  healthChecker: fc.constantFrom(
    '{"type":"TCP"}',
    '{"type":"NONE"}',
    '{"type":"HTTP","path":"/health","headers":"A:1","expectedResponseCode":200}',
  ),
};

const strictInt = (valid: number[]) => numberText(fc.constantFrom(...valid));

const BAD: Record<string, fc.Arbitrary<unknown>> = {
  serviceName: hostileString,
  ip: hostileString,
  port: strictInt([0, 65536, 80]),
  groupName: hostileString,
  namespaceId: hostileString,
  weight: numberText(fc.constantFrom(-1, 10001, 2.5)),
  enabled: hostileString,
  clusterName: hostileString,
  clusters: hostileString,
  metadata: badMetadata,
  beat: fc.oneof(badBeat, hostileString),
  pageNo: strictInt([0, 1, -1]),
  pageSize: strictInt([0, 501, 10]),
  udpPort: strictInt([0, 65536, 9]),
  username: hostileString,
  cluster: hostileString,
  instances: fc.oneof(
    hostileString,
    fc.constantFrom('[{', '{"ip":"10.0.0.1"}', '[{"ip":"10.0.0.1","port":0}]', '[null]', '[{"ip":"\u0000","port":80}]'),
  ),
  entry: hostileString,
  value: hostileString,
  healthy: hostileString,
  onlyStatus: hostileString,
  clientId: hostileString,
  protectThreshold: numberText(fc.constantFrom(-0.5, 1.5, 0.5)),
  selector: fc.oneof(
    hostileString,
    fc.constantFrom(
      '{"type":',
      '{"type":"x"}',
      '{"type":"label","expression":"a=b"}',
      '{"type":"label","expression":"\\u0000"}',
    ),
  ),
  customNamespaceId: hostileString,
  namespace: hostileString,
  namespaceName: hostileString,
  namespaceShowName: hostileString,
  namespaceDesc: hostileString,
  heartBeat: hostileString,
  serviceNameParam: fc.oneof(hostileString, fc.constantFrom('(a+)+', '[', 'a'.repeat(300), '(?<n>x)\\k<n>')),
  groupNameParam: fc.oneof(hostileString, fc.constantFrom('(a*)*', ')(', '\\')),
  ignoreEmptyService: hostileString,
  withInstances: hostileString,
  hasIpCount: hostileString,
  aggregation: hostileString,
  checkPort: strictInt([-1, 65536, 80]),
  useInstancePort4Check: hostileString,
  healthChecker: fc.oneof(
    hostileString,
    fc.constantFrom('{"type":"MYSQL"}', '{"type":', '[]', '{"type":"HTTP","path":1}'),
  ),
};

const SERVICE_FIELDS = ['groupName', 'namespaceId', 'protectThreshold', 'metadata', 'selector'];
const INSTANCE = ['serviceName', 'groupName', 'namespaceId', 'ip', 'port', 'clusterName'];
const METADATA_BATCH = {
  required: ['serviceName', 'metadata'],
  optional: ['groupName', 'namespaceId', 'instances', 'consistencyType'],
};
const CLIENT_SERVICE = {
  required: ['serviceName'],
  optional: ['groupName', 'namespaceId', 'ephemeral', 'ip', 'port'],
};
/** The params each route reads (required ones always, optional ones sometimes). */
const PARAMS_OF: Record<Route, { required: string[]; optional: string[] }> = {
  'POST /nacos/v1/ns/instance': {
    required: ['serviceName', 'ip', 'port'],
    optional: [...INSTANCE, 'weight', 'enabled', 'healthy', 'ephemeral', 'metadata'],
  },
  'PUT /nacos/v1/ns/instance': {
    required: ['serviceName', 'ip', 'port'],
    optional: [...INSTANCE, 'weight', 'enabled', 'metadata'],
  },
  'DELETE /nacos/v1/ns/instance': { required: ['serviceName', 'ip', 'port'], optional: [...INSTANCE, 'ephemeral'] },
  'PUT /nacos/v1/ns/instance/beat': { required: ['serviceName'], optional: [...INSTANCE, 'beat'] },
  'GET /nacos/v1/ns/instance': { required: ['serviceName', 'ip', 'port'], optional: INSTANCE },
  'GET /nacos/v1/ns/instance/list': {
    required: ['serviceName'],
    optional: ['groupName', 'namespaceId', 'clusters', 'healthyOnly', 'udpPort'],
  },
  'GET /nacos/v1/ns/service/list': { required: [], optional: ['namespaceId', 'groupName', 'pageNo', 'pageSize'] },
  'GET /nacos/v1/ns/service': { required: ['serviceName'], optional: ['groupName', 'namespaceId'] },
  'POST /nacos/v1/ns/service': { required: ['serviceName'], optional: SERVICE_FIELDS },
  'PUT /nacos/v1/ns/service': { required: ['serviceName', 'protectThreshold'], optional: SERVICE_FIELDS },
  'POST /nacos/v2/ns/instance': {
    required: ['serviceName', 'ip', 'port'],
    optional: [...INSTANCE, 'weight', 'enabled', 'healthy', 'ephemeral', 'metadata'],
  },
  'PUT /nacos/v2/ns/instance': {
    required: ['serviceName', 'ip', 'port'],
    optional: [...INSTANCE, 'weight', 'enabled', 'metadata'],
  },
  'DELETE /nacos/v2/ns/instance': { required: ['serviceName', 'ip', 'port'], optional: [...INSTANCE, 'ephemeral'] },
  'GET /nacos/v2/ns/instance/list': {
    required: ['serviceName'],
    optional: ['groupName', 'namespaceId', 'clusters', 'healthyOnly', 'udpPort'],
  },
  'GET /nacos/v2/ns/service/list': { required: [], optional: ['namespaceId', 'groupName', 'pageNo', 'pageSize'] },
  'POST /nacos/v2/ns/service': { required: ['serviceName'], optional: [...SERVICE_FIELDS, 'ephemeral'] },
  'PUT /nacos/v2/ns/service': { required: ['serviceName'], optional: SERVICE_FIELDS },
  'POST /nacos/v1/auth/login': { required: ['username', 'password'], optional: [] },
  'PATCH /nacos/v1/ns/instance': {
    required: ['serviceName', 'ip', 'port'],
    optional: [...INSTANCE, 'cluster', 'weight', 'enabled', 'metadata'],
  },
  'PUT /nacos/v1/ns/instance/metadata/batch': METADATA_BATCH,
  'DELETE /nacos/v1/ns/instance/metadata/batch': METADATA_BATCH,
  'PUT /nacos/v1/ns/health/instance': { required: ['serviceName', 'ip', 'port', 'healthy'], optional: INSTANCE },
  'PUT /nacos/v1/ns/health': { required: ['serviceName', 'ip', 'port', 'healthy'], optional: INSTANCE },
  'GET /nacos/v1/ns/catalog/instances': {
    required: ['serviceName', 'clusterName', 'pageNo', 'pageSize'],
    optional: ['groupName', 'namespaceId'],
  },
  'GET /nacos/v1/ns/operator/switches': { required: [], optional: [] },
  'PUT /nacos/v1/ns/operator/switches': { required: ['entry', 'value'], optional: ['debug'] },
  'GET /nacos/v1/ns/operator/servers': { required: [], optional: ['healthy'] },
  'GET /nacos/v1/ns/operator/metrics': { required: [], optional: ['onlyStatus'] },
  'GET /nacos/v1/ns/ops/metrics': { required: [], optional: ['onlyStatus'] },
  'GET /nacos/v2/ns/instance': { required: ['serviceName', 'ip', 'port'], optional: INSTANCE },
  'PUT /nacos/v2/ns/instance/beat': { required: ['serviceName'], optional: [...INSTANCE, 'beat'] },
  'PATCH /nacos/v2/ns/instance': {
    required: ['serviceName', 'ip', 'port', 'weight', 'enabled', 'metadata'],
    optional: [...INSTANCE, 'cluster'],
  },
  'PUT /nacos/v2/ns/instance/metadata/batch': METADATA_BATCH,
  'DELETE /nacos/v2/ns/instance/metadata/batch': METADATA_BATCH,
  'PUT /nacos/v2/ns/health/instance': { required: ['serviceName', 'ip', 'port', 'healthy'], optional: INSTANCE },
  'GET /nacos/v2/ns/operator/switches': { required: [], optional: [] },
  'PUT /nacos/v2/ns/operator/switches': { required: ['entry', 'value'], optional: ['debug'] },
  'GET /nacos/v2/ns/operator/metrics': { required: [], optional: ['onlyStatus'] },
  'GET /nacos/v2/ns/client/list': { required: [], optional: [] },
  'GET /nacos/v2/ns/client': { required: ['clientId'], optional: [] },
  'GET /nacos/v2/ns/client/publish/list': { required: ['clientId'], optional: [] },
  'GET /nacos/v2/ns/client/subscribe/list': { required: ['clientId'], optional: [] },
  'GET /nacos/v2/ns/client/service/publisher/list': CLIENT_SERVICE,
  'GET /nacos/v2/ns/client/service/subscriber/list': CLIENT_SERVICE,
  'DELETE /nacos/v1/ns/service': { required: ['serviceName'], optional: ['groupName', 'namespaceId'] },
  'GET /nacos/v2/ns/service': { required: ['serviceName'], optional: ['groupName', 'namespaceId'] },
  'DELETE /nacos/v2/ns/service': { required: ['serviceName'], optional: ['groupName', 'namespaceId'] },
  'GET /nacos/v1/console/namespaces': {
    required: [],
    optional: ['show', 'namespaceId', 'checkNamespaceIdExist', 'customNamespaceId'],
  },
  'POST /nacos/v1/console/namespaces': {
    required: ['customNamespaceId', 'namespaceName'],
    optional: ['namespaceDesc'],
  },
  'PUT /nacos/v1/console/namespaces': { required: ['namespace', 'namespaceShowName'], optional: ['namespaceDesc'] },
  'DELETE /nacos/v1/console/namespaces': { required: ['namespaceId'], optional: [] },
  'GET /nacos/v2/console/namespace/list': { required: [], optional: [] },
  'GET /nacos/v2/console/namespace': { required: ['namespaceId'], optional: [] },
  'POST /nacos/v2/console/namespace': { required: ['namespaceId', 'namespaceName'], optional: ['namespaceDesc'] },
  'PUT /nacos/v2/console/namespace': { required: ['namespaceId', 'namespaceName'], optional: ['namespaceDesc'] },
  'DELETE /nacos/v2/console/namespace': { required: ['namespaceId'], optional: [] },
  'GET /nacos/v1/ns/catalog/services': {
    required: [],
    optional: [
      'namespaceId',
      'groupNameParam',
      'serviceNameParam',
      'pageNo',
      'pageSize',
      'hasIpCount',
      'withInstances',
    ],
  },
  'GET /nacos/v1/ns/service/subscribers': {
    required: ['serviceName'],
    optional: ['groupName', 'namespaceId', 'pageNo', 'pageSize', 'aggregation'],
  },
  'POST /nacos/v3/client/ns/instance': {
    required: ['serviceName', 'ip', 'port'],
    optional: [...INSTANCE, 'weight', 'enabled', 'healthy', 'ephemeral', 'metadata', 'heartBeat'],
  },
  'DELETE /nacos/v3/client/ns/instance': {
    required: ['serviceName', 'ip', 'port'],
    optional: [...INSTANCE, 'ephemeral'],
  },
  'GET /nacos/v3/client/ns/instance/list': {
    required: ['serviceName'],
    optional: ['groupName', 'namespaceId', 'clusterName'],
  },
  'POST /nacos/v3/admin/ns/instance': {
    required: ['serviceName', 'ip', 'port'],
    optional: [...INSTANCE, 'weight', 'enabled', 'healthy', 'ephemeral', 'metadata'],
  },
  'GET /nacos/v3/admin/ns/instance': { required: ['serviceName', 'ip', 'port'], optional: INSTANCE },
  'PUT /nacos/v3/admin/ns/instance/partial': {
    required: ['serviceName', 'ip', 'port'],
    optional: [...INSTANCE, 'weight', 'enabled', 'metadata'],
  },
  'GET /nacos/v3/admin/ns/instance/list': {
    required: ['serviceName'],
    optional: ['groupName', 'namespaceId', 'clusterName', 'healthyOnly'],
  },
  'GET /nacos/v3/admin/ns/service': { required: ['serviceName'], optional: ['groupName', 'namespaceId'] },
  'GET /nacos/v3/admin/ns/service/list': {
    required: [],
    optional: [
      'namespaceId',
      'serviceNameParam',
      'groupNameParam',
      'ignoreEmptyService',
      'withInstances',
      'pageNo',
      'pageSize',
    ],
  },
  'GET /nacos/v3/admin/ns/service/subscribers': {
    required: ['serviceName'],
    optional: ['groupName', 'namespaceId', 'aggregation', 'pageNo', 'pageSize'],
  },
  'PUT /nacos/v3/admin/ns/cluster': {
    required: ['serviceName', 'clusterName', 'checkPort', 'useInstancePort4Check', 'healthChecker'],
    optional: ['groupName', 'namespaceId', 'metadata'],
  },
  'GET /nacos/v3/admin/ns/ops/metrics': { required: [], optional: ['onlyStatus'] },
  'GET /nacos/v3/admin/ns/client/distro': { required: ['ip', 'port'], optional: [] },
  'GET /nacos/v3/admin/core/namespace/list': { required: [], optional: [] },
  'GET /nacos/v3/admin/core/namespace/check': { required: ['namespaceId'], optional: [] },
  'POST /nacos/v3/admin/core/namespace': { required: ['namespaceId', 'namespaceName'], optional: ['namespaceDesc'] },
  'POST /nacos/v3/auth/user/login': { required: ['username', 'password'], optional: [] },
  'PUT /nacos/v3/admin/ns/ops/log': { required: ['logName', 'logLevel'], optional: [] },
  'PUT /nacos/v1/ns/operator/log': { required: ['logName', 'logLevel'], optional: [] },
  'PUT /nacos/v2/core/cluster/lookup': { required: ['type'], optional: [] },
  // Its list is a JSON body (a case's form or query params are no list: refused with 400).
  'PUT /nacos/v3/admin/core/cluster/node/list': { required: [], optional: [] },
};

/** A route's params: well-formed, then up to 3 mutated or removed, plus sometimes a repeated or unknown one. */
function paramsOf(route: Route): fc.Arbitrary<Array<[string, string]>> {
  const { required, optional } = PARAMS_OF[route];
  const names = [...new Set([...required, ...optional])];
  const good = fc.record(
    Object.fromEntries(
      names.map((name) => [
        name,
        required.includes(name) ? GOOD[name] : fc.option(GOOD[name], { nil: undefined, freq: 2 }),
      ]),
    ),
  );
  const bad = Object.fromEntries(names.filter((name) => BAD[name] !== undefined).map((name) => [name, BAD[name]]));
  // A route without params (the switches, the client list) gets only the repeated or unknown one.
  const base = names.length === 0 ? fc.constant<Record<string, unknown>>({}) : mutated(good, bad, 3);
  return base.chain((record) =>
    fc
      .array(fc.tuple(fc.constantFrom('port', 'serviceName', 'metadata', 'ip', 'x', '\u0000', 'a[b]'), hostileString), {
        maxLength: 1,
      })
      .map((extra) => [
        ...Object.entries(record)
          .filter(([, value]) => value !== undefined)
          .map(([key, value]): [string, string] => [key, typeof value === 'string' ? value : JSON.stringify(value)]),
        // Repeated and unknown params: a repeated key reaches the handler as an array.
        ...extra,
      ]),
  );
}

/** Writes (where a bad value gets stored) three times as often as reads. */
const route = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...WRITES) },
  { weight: 2, arbitrary: fc.constantFrom(...ROUTES) },
);

const nacosCase: fc.Arbitrary<NacosCase> = route.chain((route) =>
  fc.record({
    route: fc.constant(route),
    params: paramsOf(route),
    form: fc.boolean(),
    auth: fc.constantFrom<NacosCase['auth']>('token', 'token', 'token', 'token', 'none', 'bad'),
    forwarded: fc.boolean(),
  }),
);

/**
 * A Nacos refusal: an HTTP error, a v2 envelope with a non-zero code, a beat answered 20404 (v2's
 * beat answers v1's bare JSON, and v2's PATCH a bare `ok`: no envelope on success).
 */
function refused(route: Route, answer: HttpAnswer): boolean {
  if (answer.status >= 400) return true;
  if (route === 'PATCH /nacos/v2/ns/instance') return false;
  if (route.includes('/v2/') || (route.includes('/v3/') && !route.endsWith('login')) || route.endsWith('/beat')) {
    try {
      const code = (JSON.parse(answer.text) as { code?: unknown }).code;
      return route.endsWith('/beat') ? code === 20404 : code !== 0;
    } catch {
      return false;
    }
  }
  return false;
}

const register = (extra: Array<[string, string]>): NacosCase => ({
  route: 'POST /nacos/v1/ns/instance',
  params: [['serviceName', 'nul-svc'], ['ip', '10.13.0.1'], ['port', '80'], ...extra],
  form: false,
  auth: 'none',
  forwarded: false,
});

/** The Nacos HTTP failures issue 16 measured (items 1 and 8), run before the generated cases. */
const MEASURED_NACOS_CASES: NacosCase[] = [
  register([['metadata', '\u0000=\u0000']]),
  register([['metadata', '{"k":"a\\u0000b"}']]),
  register([['weight', '0x50']]),
  register([['weight', '+80']]),
  register([['weight', ' 80']]),
];

/** Nacos HTTP v1, v2 and v3 naming API (and login), with and without Nacos auth. */
export function describeNacosHttpFuzz(ctx: FuzzContext): void {
  let accessToken = '';

  async function runCase(node: FuzzNode, tokened: boolean, c: NacosCase): Promise<void> {
    const [method, path] = c.route.split(' ') as [string, string];
    const list: Array<[string, string]> = [...c.params];
    if (tokened && c.auth !== 'none') list.push(['accessToken', c.auth === 'token' ? accessToken : 'e30.e30.forged']);
    const form = c.form && method !== 'GET';
    const headers: Record<string, string> = form ? { 'content-type': 'application/x-www-form-urlencoded' } : {};
    if (c.forwarded) headers['x-distro-forwarded'] = '1';
    node.newLeakedLogLines();
    const before = node.registryDigest();
    const breakersBefore = node.ruleBreakers();
    const expiries = node.expiries;
    const answer = await httpCall(node.base, {
      method,
      path,
      query: form ? [] : list,
      headers,
      body: form ? encodeQuery(list) : undefined,
    });
    const v = (kind: string, detail: string): Violation => ({ edge: EDGE, endpoint: c.route, kind, detail });
    const out: Violation[] = [];
    if (answer.failure) out.push(v(answer.failure, answer.error ?? ''));
    if (answer.status >= 500) out.push(v('5xx', `${answer.status} ${answer.text.slice(0, 200)}`));
    const hit = markerIn(answer.text) ?? markerIn(answer.headerText);
    if (hit) out.push(v('secret-in-response', hit));
    const logLeaks = node.newLeakedLogLines();
    if (logLeaks.length > 0) out.push(v('secret-in-log', logLeaks[0]));
    const isRefused = refused(c.route, answer);
    if (isRefused && node.expiries === expiries && node.registryDigest() !== before) {
      out.push(v('state-changed-by-refusal', `${answer.status} ${answer.text.slice(0, 120)}`));
    }
    for (const stored of node.ruleBreakers()) {
      if (!breakersBefore.has(stored)) out.push(v('rule-breaking-value-stored', stored));
    }
    const ok = !answer.failure && !isRefused && answer.status < 300;
    // A repeated param reaches the handler as a list: which value it takes is not ours to say.
    const once = c.params.filter(([name]) => c.params.filter(([other]) => other === name).length === 1);
    if (ok && WRITES.includes(c.route)) {
      // The params the route reads: a metadata batch ignores an `ip` param, as Nacos does.
      const { required, optional } = PARAMS_OF[c.route];
      for (const [name, value] of once) {
        const read = required.includes(name) || optional.includes(name);
        const why = read && NAME_PARAMS.includes(name) ? printableViolation(value) : undefined;
        if (why) out.push(v(`accepted-outside-text-rule(${name})`, `${JSON.stringify(value.slice(0, 60))}: ${why}`));
      }
    }
    if (ok) {
      for (const [name, value] of once) {
        const rule = NUMBER_PARAMS[name];
        if (rule && rule.routes.test(c.route) && looseNumber(value, rule.integer)) {
          out.push(v(`loose-number-accepted(${name})`, JSON.stringify(value)));
        }
      }
    }
    if (tokened && c.auth !== 'token' && ok && !c.route.endsWith('login') && answer.status !== 404) {
      const hasPassword = c.params.some(([k, x]) => k === 'password' && x === SECRETS.NACOS_PASSWORD);
      if (!hasPassword) out.push(v('accepted-without-token', `${answer.status}`));
    }
    ctx.findings.counted(`${EDGE} (${node.label})`, ok);
    ctx.findings.report(out, c);
  }

  describe('Nacos HTTP v1/v2/v3', () => {
    beforeAll(async () => {
      accessToken = await nacosLogin(ctx.tokened.base);
    });

    it('should keep every property on hostile params (open node)', async () => {
      await fuzz(nacosCase, 400, (c) => runCase(ctx.open, false, c), MEASURED_NACOS_CASES);
      ctx.findings.report(await ctx.open.aliveViolations(EDGE), 'after the fuzz');
    });

    it('should keep every property on hostile params (tokened node, Nacos auth on)', async () => {
      await fuzz(nacosCase, 300, (c) => runCase(ctx.tokened, true, c));
      ctx.findings.report(await ctx.tokened.aliveViolations(EDGE), 'after the fuzz');
    });
  });
}
