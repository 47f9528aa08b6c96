import fc from 'fast-check';
import { deepJson, hostileBody, hostileString, mutated, numberText, plainName, wrongValue } from './hostile';
import { SECRETS } from './secrets';

const NIL_UUID = '00000000-0000-4000-8000-000000000000';

/**
 * The routes of issue 20's admin API work and Nacos-Sync's API (`/v1/…`, which answers refusals with
 * HTTP 200 and `success: false`, so only its 5xx and leaks are judged). Kept in one block, with their
 * bodies and queries in `operatorBodyFor` and `operatorQueryFor` at the end of the file.
 */
const OPERATOR_ROUTES = [
  'PATCH /api/v1/tasks/:id',
  'POST /api/v1/tasks/batch-delete',
  'GET /api/v1/events',
  'GET /api/v1/export',
  'POST /api/v1/import',
  'POST /v1/cluster/add',
  'GET /v1/cluster/list',
  'GET /v1/cluster/detail',
  'DELETE /v1/cluster/delete',
  'POST /v1/task/add',
  'POST /v1/task/addAll',
  'POST /v1/task/update',
  'GET /v1/task/list',
  'DELETE /v1/task/delete',
  'DELETE /v1/task/deleteInBatch',
  'POST /api/v1/tasks/dry-run',
  'GET /api/v1/services',
  'GET /api/v1/services/instances',
] as const;

/** A reference to an existing cluster or task (by index into the node's pool), or a raw id string. */
export type IdRef = { pool: number } | { raw: string };

export type AdminBody =
  | { kind: 'json'; value: Record<string, unknown> }
  | { kind: 'raw'; body: string | Buffer; contentType?: string }
  | { kind: 'none'; contentType?: string };

export interface AdminCase {
  route: AdminRoute;
  id: IdRef;
  query: Array<[string, string]>;
  body: AdminBody;
  /** A hand-written bad input: it must be answered 400 with a message naming `field` (`address` for the addresses). */
  refused?: { field: string };
}

export const ACTIONS = ['pause', 'resume', 'resync', 'release-hold'] as const;

export const ADMIN_ROUTES = [
  'POST /api/v1/clusters',
  'GET /api/v1/clusters',
  'GET /api/v1/clusters/:id',
  'PATCH /api/v1/clusters/:id',
  'POST /api/v1/clusters/:id/check',
  'DELETE /api/v1/clusters/:id',
  'POST /api/v1/tasks',
  'POST /api/v1/tasks/batch',
  'GET /api/v1/tasks',
  'GET /api/v1/tasks/:id',
  'GET /api/v1/tasks/:id/instances',
  'GET /api/v1/tasks/:id/diff',
  'GET /api/v1/tasks/:id/events',
  ...ACTIONS.map((a) => `POST /api/v1/tasks/:id/${a}` as const),
  'DELETE /api/v1/tasks/:id',
  'GET /api/v1/workers',
  ...OPERATOR_ROUTES,
] as const;
export type AdminRoute = (typeof ADMIN_ROUTES)[number];

/** Fields of the cluster bodies whose text the rule says must be printable (credentials included). */
export const PRINTABLE_CLUSTER_FIELDS = [
  'name',
  'namespace',
  'username',
  'password',
  'token',
  'description',
  'layout',
  'prefix',
] as const;

/** Every field a cluster body may carry: a 400 to a cluster body names one of them (or the body itself). */
// `each address must be host:port` names the addresses.
export const CLUSTER_FIELDS = [...PRINTABLE_CLUSTER_FIELDS, 'kind', 'address', 'tlsCa', 'tlsCert', 'tlsKey'] as const;

/** PEM text whose base64 holds the secret marker: a TLS key or certificate must never be echoed either. */
export const PEM_SECRET = `-----BEGIN PRIVATE KEY-----\n${SECRETS.CLUSTER_CREDENTIAL.replace(/-/g, '')}AAAA\n-----END PRIVATE KEY-----\n`;

/** PEM fields as pasted: the marker PEM, or text that is not PEM (the marker credential among it). */
const pemField = fc.oneof(
  { weight: 2, arbitrary: fc.constant(PEM_SECRET) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      SECRETS.CLUSTER_CREDENTIAL,
      `${PEM_SECRET}\u0000`,
      PEM_SECRET.replace('BEGIN', 'BEGIN\u0001'),
      PEM_SECRET.replace('AAAA', 'AA\u00e9A'),
      `-----BEGIN PRIVATE KEY-----\n${'A'.repeat(17000)}\n-----END PRIVATE KEY-----\n`,
      '-----BEGIN CERTIFICATE-----',
      '',
    ),
  },
  { weight: 1, arbitrary: hostileString },
);

/** A credential as pasted: the marker secret, sometimes with a stray control character, blank or lone surrogate. */
export const credential = fc
  .constantFrom('', '', '\n', '\r\n', ' ', '\u0001\u001f', '\u0000', '\u007f', '\uD800', 'é')
  .map((tail) => `${SECRETS.CLUSTER_CREDENTIAL}${tail}`);

/** Addresses that answer or fail fast (`SELF` = this node's HTTP port): a check never waits on a black hole. */
const address = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('127.0.0.1:1', 'SELF', 'localhost:9', '[::1]:1', '127.0.0.1:65535/1') },
  { weight: 1, arbitrary: hostileString },
);

const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });
/** A field the valid record leaves out, there only for a mutation to set. */
const absent = fc.constant(undefined);
const printable = fc.constantFrom('team-a', 'Ops team (EU)', 'é', 'a b');

const nacosLikeBody = mutated(
  fc.record({
    name: plainName.map((n) => `fz-${n}`),
    kind: fc.constantFrom('local', 'distro', 'nacos'),
    addresses: fc.array(fc.constantFrom('127.0.0.1:1', 'SELF', 'localhost:9', '[::1]:1'), {
      minLength: 1,
      maxLength: 2,
    }),
    namespace: opt(printable),
    username: opt(printable),
    password: opt(fc.constant(SECRETS.CLUSTER_CREDENTIAL)),
    token: opt(fc.constant(SECRETS.CLUSTER_CREDENTIAL)),
    description: opt(printable),
    // Fields of other kinds: absent unless a mutation sets one (a 400 naming it).
    layout: absent,
    prefix: absent,
    tlsCa: absent,
  }),
  {
    name: fc.oneof(hostileString, fc.constantFrom('FZ-CASE', 'fz-case', ' fz-trim ', 'fz-trim\n', 'pool-here')),
    kind: fc.constantFrom('zookeeper', 'etcd', 'eureka', 'LOCAL'),
    addresses: fc.oneof(fc.array(address, { maxLength: 3 }), fc.constantFrom([], ['a:1', 'a:1'])),
    namespace: hostileString,
    username: hostileString,
    password: credential,
    token: credential,
    description: hostileString,
    layout: fc.constantFrom('dubbo', 'grpc-naming', ''),
    prefix: fc.constantFrom('/dubbo', 'svc/'),
    tlsCa: pemField,
  },
  2,
);

/** A chroot as ZooKeeper takes it, and paths it refuses (`.`/`..` names, a trailing or doubled `/`, spaces). */
const zookeeperPath = fc.constantFrom('/dubbo', '/apps/prod', '/', '/a.b/c_d-e');
const badZookeeperPath = fc.constantFrom('/a/../b', '/a/', '//', 'dubbo', '/a b', '/./x', '/a\u0000', '/é');

const zookeeperBody = mutated(
  fc.record({
    name: plainName.map((n) => `fz-zk-${n}`),
    kind: fc.constant('zookeeper'),
    // One chroot for the whole connection, on any of the addresses.
    addresses: fc.constantFrom(['127.0.0.1:1'], ['127.0.0.1:1/apps/prod'], ['localhost:9/apps/prod', '127.0.0.1:1']),
    namespace: opt(printable),
    layout: opt(fc.constantFrom('dubbo', 'dubbo-app', 'spring-cloud')),
    prefix: opt(zookeeperPath),
    username: opt(printable),
    password: opt(fc.constant(SECRETS.CLUSTER_CREDENTIAL)),
    description: opt(printable),
    token: absent,
    tlsCa: absent,
    tlsKey: absent,
  }),
  {
    addresses: fc.oneof(
      fc.constantFrom(
        ['127.0.0.1:1/a', '127.0.0.1:2/b'],
        ['127.0.0.1:1/'],
        ['127.0.0.1:1/a/../b'],
        ['127.0.0.1:1/2181x'],
        ['127.0.0.1:1//a'],
        [],
      ),
      fc.array(address, { maxLength: 2 }),
    ),
    layout: fc.oneof(hostileString, fc.constantFrom('grpc-naming', 'kratos', 'DUBBO', 'dubbo ', '')),
    prefix: fc.oneof(hostileString, badZookeeperPath),
    password: credential,
    token: credential,
    tlsCa: pemField,
    tlsKey: pemField,
  },
  2,
);

const etcdBody = mutated(
  fc.record({
    name: plainName.map((n) => `fz-etcd-${n}`),
    kind: fc.constant('etcd'),
    addresses: fc.array(fc.constantFrom('127.0.0.1:1', 'localhost:9', '[::1]:1'), { minLength: 1, maxLength: 2 }),
    namespace: opt(printable),
    layout: opt(fc.constantFrom('grpc-naming', 'kratos')),
    prefix: opt(fc.constantFrom('svc/', '/microservices', '', 'a b/é')),
    username: opt(printable),
    password: opt(fc.constant(SECRETS.CLUSTER_CREDENTIAL)),
    tlsCa: opt(fc.constant(PEM_SECRET)),
    tlsCert: opt(fc.constant(PEM_SECRET)),
    tlsKey: opt(fc.constant(PEM_SECRET)),
    token: absent,
  }),
  {
    addresses: fc.oneof(
      fc.constantFrom(['127.0.0.1:1/2379'], ['127.0.0.1:1/apps'], ['http://127.0.0.1:2379'], []),
      fc.array(address, { maxLength: 2 }),
    ),
    layout: fc.oneof(hostileString, fc.constantFrom('dubbo', 'spring-cloud', 'KRATOS', '')),
    prefix: hostileString,
    password: credential,
    token: credential,
    tlsCa: pemField,
    tlsCert: pemField,
    tlsKey: pemField,
  },
  2,
);

const clusterBody = fc
  .oneof(
    { weight: 3, arbitrary: nacosLikeBody },
    { weight: 2, arbitrary: zookeeperBody },
    { weight: 2, arbitrary: etcdBody },
  )
  .chain((r) => extraFields.map((x) => ({ ...x, ...withoutUndefined(r) })));

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
}

/** Unknown or reserved fields a client might add. */
const extraFields = fc.dictionary(
  fc.constantFrom('id', 'createdAt', 'hasCredentials', 'credentials', '__proto__', 'constructor', 'x', ''),
  anyValue(),
  { maxKeys: 2 },
);

function anyValue(): fc.Arbitrary<unknown> {
  return wrongValue;
}

const idRef: fc.Arbitrary<IdRef> = fc.oneof(
  { weight: 8, arbitrary: fc.nat(50).map((pool) => ({ pool })) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.constantFrom(
          '00000000-0000-4000-8000-000000000000',
          'not-a-uuid',
          '%00',
          '..',
          'ffffffff-ffff-ffff-ffff-ffffffffffff',
        ),
        hostileString,
      )
      .map((raw) => ({ raw })),
  },
);

const pattern = fc.oneof(plainName, fc.constantFrom('*', 'svc-*', 'g@@svc', 'ns/g@@s*'));

const taskBody = mutated(
  fc.record({
    name: opt(plainName.map((n) => `fz-${n}`)),
    sourceClusterId: fc.nat(50).map((pool) => ({ $cluster: pool })),
    targetClusterId: fc.nat(50).map((pool) => ({ $cluster: pool })),
    namespace: opt(pattern),
    groupName: opt(pattern),
    serviceName: pattern,
    exclude: opt(fc.array(pattern, { maxLength: 3 })),
    maxDeleteRatio: opt(fc.double({ min: 0, max: 1, noNaN: true })),
  }),
  {
    name: hostileString,
    sourceClusterId: fc.oneof(hostileString, fc.constant(NIL_UUID)),
    targetClusterId: fc.oneof(hostileString, fc.constant(NIL_UUID)),
    namespace: hostileString,
    groupName: hostileString,
    serviceName: hostileString,
    exclude: fc.oneof(fc.array(hostileString, { maxLength: 3 }), fc.constant([null])),
    maxDeleteRatio: fc.constantFrom('0.5', '1e-1', '0x1', -0.1, 1.1, '', 'NaN'),
  },
  2,
).chain((r) => extraFields.map((x) => ({ ...x, ...withoutUndefined(r) })));

const pageQuery: fc.Arbitrary<Array<[string, string]>> = fc.array(
  fc.tuple(
    fc.constantFrom('page', 'pageSize', 'name', 'status', 'sourceClusterId', 'targetClusterId', 'x', 'page'),
    fc.oneof(
      numberText(fc.integer({ min: 1, max: 600 })),
      hostileString,
      fc.constantFrom('running', 'paused', 'deleting'),
    ),
  ),
  { maxLength: 3 },
);

function jsonOrHostile(value: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<AdminBody> {
  return fc.oneof(
    { weight: 8, arbitrary: value.map((v) => ({ kind: 'json' as const, value: v })) },
    { weight: 2, arbitrary: hostileBody.map((b) => ({ kind: 'raw' as const, ...b })) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<AdminBody>({ kind: 'none' }, { kind: 'none', contentType: 'application/json' }),
    },
  );
}

const actionBody: fc.Arbitrary<AdminBody> = fc.oneof(
  fc.constantFrom<AdminBody>(
    { kind: 'none' },
    { kind: 'none', contentType: 'application/json' },
    { kind: 'none', contentType: 'text/plain' },
    { kind: 'raw', body: '{}', contentType: 'application/json' },
  ),
  hostileBody.map((b) => ({ kind: 'raw' as const, ...b })),
);

function bodyFor(route: AdminRoute): fc.Arbitrary<AdminBody> {
  const operator = operatorBodyFor(route);
  if (operator) return operator;
  if (route === 'POST /api/v1/clusters' || route === 'PATCH /api/v1/clusters/:id') return jsonOrHostile(clusterBody);
  if (route === 'POST /api/v1/tasks') return jsonOrHostile(taskBody);
  if (route === 'POST /api/v1/tasks/batch') {
    return jsonOrHostile(
      fc.oneof(
        fc.array(taskBody, { maxLength: 3 }).map((tasks) => ({ tasks })),
        wrongValue.map((tasks) => ({ tasks })),
      ),
    );
  }
  if (route.startsWith('POST') || route.startsWith('DELETE')) return actionBody;
  return fc.constant({ kind: 'none' });
}

/** One admin API call: a route, an id, a query and a body, hostile in any part. */
export const adminCase: fc.Arbitrary<AdminCase> = fc.constantFrom(...ADMIN_ROUTES).chain((route) =>
  fc.record({
    route: fc.constant(route),
    id: idRef,
    query: operatorQueryFor(route) ?? (route.startsWith('GET') ? pageQuery : fc.constant([])),
    body: bodyFor(route),
  }),
);

const call = (route: AdminRoute, value: Record<string, unknown>, id: IdRef = { pool: 1 }): AdminCase => ({
  route,
  id,
  query: [],
  body: { kind: 'json', value },
});
const cluster = (name: string, fields: Record<string, unknown>) =>
  call('POST /api/v1/clusters', { name, kind: 'nacos', addresses: ['127.0.0.1:1'], ...fields });
const task = (serviceName: string, fields: Record<string, unknown>) =>
  call('POST /api/v1/tasks', {
    sourceClusterId: { $cluster: 1 },
    targetClusterId: { $cluster: 0 },
    serviceName,
    ...fields,
  });

const refused = (c: AdminCase, field: string): AdminCase => ({ ...c, refused: { field } });
const zookeeper = (name: string, fields: Record<string, unknown>) =>
  cluster(name, { kind: 'zookeeper', addresses: ['127.0.0.1:1'], ...fields });
const etcd = (name: string, fields: Record<string, unknown>) =>
  cluster(name, { kind: 'etcd', addresses: ['127.0.0.1:1'], ...fields });
const patch = (fields: Record<string, unknown>, pool: number) => call('PATCH /api/v1/clusters/:id', fields, { pool });

/**
 * The zookeeper and etcd fields (issue 18), one bad input each: a 400 naming the field, whatever it
 * carries (PEM with the marker in it, a credential pasted into the wrong field) never echoed. The pool's
 * clusters 4 and 5 are a zookeeper and an etcd cluster (admin-api.ts seeds them).
 */
const KIND_FIELD_CASES: AdminCase[] = [
  refused(zookeeper('fz-k-layout', { layout: 'kratos' }), 'layout'),
  refused(zookeeper('fz-k-layout2', { layout: 'dubbo\u0000' }), 'layout'),
  refused(zookeeper('fz-k-prefix', { prefix: '/a/../b' }), 'prefix'),
  refused(zookeeper('fz-k-prefix2', { prefix: 'dubbo' }), 'prefix'),
  refused(zookeeper('fz-k-chroot', { addresses: ['127.0.0.1:1/a', '127.0.0.1:2/b'] }), 'address'),
  refused(zookeeper('fz-k-chroot2', { addresses: ['127.0.0.1:1/'] }), 'address'),
  refused(zookeeper('fz-k-tls', { tlsCa: PEM_SECRET }), 'tlsCa'),
  refused(zookeeper('fz-k-pass', { username: 'sync', password: `${SECRETS.CLUSTER_CREDENTIAL}\n` }), 'password'),
  refused(etcd('fz-k-elayout', { layout: 'spring-cloud' }), 'layout'),
  refused(etcd('fz-k-eaddr', { addresses: ['127.0.0.1:2379/2380'] }), 'address'),
  refused(etcd('fz-k-eca', { tlsCa: SECRETS.CLUSTER_CREDENTIAL }), 'tlsCa'),
  refused(etcd('fz-k-ecert', { tlsCert: `${PEM_SECRET}\u0000` }), 'tlsCert'),
  refused(etcd('fz-k-ekey', { tlsKey: PEM_SECRET.replace('AAAA', 'AA\u00e9A') }), 'tlsKey'),
  refused(
    etcd('fz-k-ekey2', { tlsKey: `-----BEGIN PRIVATE KEY-----\n${'A'.repeat(17000)}\n-----END PRIVATE KEY-----\n` }),
    'tlsKey',
  ),
  refused(etcd('fz-k-enull', { tlsKey: null }), 'tlsKey'),
  refused(cluster('fz-k-nlayout', { layout: 'dubbo' }), 'layout'),
  refused(cluster('fz-k-nprefix', { prefix: '/dubbo' }), 'prefix'),
  refused(cluster('fz-k-ntls', { tlsKey: PEM_SECRET }), 'tlsKey'),
  refused(patch({ layout: 'grpc-naming' }, 4), 'layout'),
  refused(patch({ prefix: '/a/' }, 4), 'prefix'),
  refused(patch({ addresses: ['127.0.0.1:1/x', '127.0.0.1:1/y'] }, 4), 'address'),
  refused(patch({ tlsCert: PEM_SECRET }, 4), 'tlsCert'),
  refused(patch({ layout: 'dubbo' }, 5), 'layout'),
  refused(patch({ tlsCa: SECRETS.CLUSTER_CREDENTIAL }, 5), 'tlsCa'),
  refused(patch({ addresses: ['127.0.0.1:2379/1'] }, 5), 'address'),
];

/** The admin API failures issue 16 measured (items 2, 4, 5, 8), run before the generated cases. */
export const MEASURED_ADMIN_CASES: AdminCase[] = [
  cluster('fz-m-ns', { namespace: 'a\u0000b' }),
  cluster('fz-m-user', { username: 'a\u0000b' }),
  cluster('fz-m-desc', { description: 'a\u0000b' }),
  cluster('fz-m-ctl', { namespace: 'a\u0001b' }),
  cluster('fz-m-null', { addresses: null }),
  cluster('fz-m-token', { kind: 'distro', token: `${SECRETS.CLUSTER_CREDENTIAL}\n` }),
  call('PATCH /api/v1/clusters/:id', { addresses: null }),
  call('PATCH /api/v1/clusters/:id', { token: '\u0001\u001f' }),
  task('fz-m-1', { namespace: null }),
  task('fz-m-2', { groupName: null }),
  task('fz-m-3', { exclude: null }),
  task('fz-m-4', { maxDeleteRatio: null }),
  {
    route: 'POST /api/v1/clusters',
    id: { pool: 0 },
    query: [],
    body: { kind: 'raw', body: '['.repeat(5000), contentType: 'application/json' },
  },
  {
    route: 'POST /api/v1/clusters',
    id: { pool: 0 },
    query: [],
    body: { kind: 'raw', body: deepJson(3000, 'object'), contentType: 'application/json' },
  },
  { route: 'GET /api/v1/clusters', id: { pool: 0 }, query: [['name', '\u0000']], body: { kind: 'none' } },
  { route: 'GET /api/v1/tasks', id: { pool: 0 }, query: [['name', '\u0000']], body: { kind: 'none' } },
  { route: 'DELETE /api/v1/clusters/:id', id: { pool: 0 }, query: [], body: { kind: 'none' } },
  {
    route: 'POST /api/v1/tasks/:id/pause',
    id: { pool: 0 },
    query: [],
    body: { kind: 'none', contentType: 'application/json' },
  },
  ...KIND_FIELD_CASES,
];

// --- Issue 20: task PATCH, batch delete, events, export/import and the Nacos-Sync API ---------------------

const idText = fc.oneof(fc.constantFrom(NIL_UUID, 'bb7101815a55c366728f8b210d80a43c', 'not-an-id', ''), hostileString);

const taskPatch = mutated(
  fc.record({
    name: opt(plainName.map((n) => `fz-${n}`)),
    namespace: opt(pattern),
    groupName: opt(pattern),
    serviceName: opt(pattern),
    exclude: opt(fc.array(pattern, { maxLength: 3 })),
    maxDeleteRatio: opt(fc.double({ min: 0, max: 1, noNaN: true })),
    sourceClusterId: opt(fc.nat(50).map((pool) => ({ $cluster: pool }))),
    status: opt(fc.constantFrom('paused', 'running')),
  }),
  {
    name: hostileString,
    namespace: hostileString,
    groupName: hostileString,
    serviceName: hostileString,
    exclude: fc.oneof(fc.array(hostileString, { maxLength: 3 }), fc.constant([null])),
    maxDeleteRatio: fc.constantFrom('0.5', -0.1, 1.1, 'NaN', null),
  },
  2,
).map(withoutUndefined);

const transferDocument = mutated(
  fc.record({
    format: fc.constant('distro-sync/v1'),
    clusters: fc.array(
      fc.record({
        name: plainName.map((n) => `fz-imp-${n}`),
        kind: fc.constantFrom('distro', 'nacos'),
        addresses: fc.constant(['127.0.0.1:1']),
        secrets: opt(fc.constantFrom(['token'], ['password'], ['nope'])),
      }),
      { maxLength: 2 },
    ),
    tasks: fc.array(
      fc
        .record({
          name: plainName.map((n) => `fz-imp-${n}`),
          source: fc.constantFrom('pool-distro', 'pool-nacos', 'nowhere'),
          target: fc.constantFrom('pool-here', 'pool-spare'),
          serviceName: pattern,
          status: opt(fc.constantFrom('running', 'paused', 'deleting')),
        })
        .map(withoutUndefined),
      { maxLength: 2 },
    ),
  }),
  { format: hostileString, clusters: wrongValue, tasks: wrongValue },
  1,
);

const nacosSyncBody = fc.record({
  clusterName: fc.oneof(
    plainName.map((n) => `fz-ns-${n}`),
    hostileString,
  ),
  clusterType: fc.constantFrom('NACOS', 'ZK', 'DISTRO', 'LOCAL', 'EUREKA', 'nacos', ''),
  connectKeyList: fc.oneof(fc.constant(['127.0.0.1:1']), fc.array(hostileString, { maxLength: 2 }), wrongValue),
  userName: opt(hostileString),
  password: opt(credential),
  sourceClusterId: idText,
  destClusterId: idText,
  serviceName: fc.oneof(pattern, fc.constantFrom('ALL', 'all'), hostileString),
  groupName: opt(hostileString),
  taskId: idText,
  taskStatus: fc.constantFrom('SYNC', 'DELETE', 'PAUSE', ''),
  excludeConsumer: opt(fc.oneof(fc.boolean(), wrongValue)),
});

function operatorBodyFor(route: AdminRoute): fc.Arbitrary<AdminBody> | undefined {
  if (route === 'PATCH /api/v1/tasks/:id') return jsonOrHostile(taskPatch);
  if (route === 'POST /api/v1/tasks/batch-delete') {
    return jsonOrHostile(
      fc.oneof(
        fc
          .array(
            fc.nat(50).map((pool) => ({ $task: pool })),
            { minLength: 1, maxLength: 3 },
          )
          .map((ids) => ({ ids })),
        fc.array(idText, { maxLength: 3 }).map((ids) => ({ ids })),
        wrongValue.map((ids) => ({ ids })),
      ),
    );
  }
  if (route === 'POST /api/v1/import') return jsonOrHostile(transferDocument);
  if (route === 'POST /api/v1/tasks/dry-run') {
    // A new task's selector, or a PATCH preview of a pooled task (its clusters may come along, changed or not).
    return jsonOrHostile(
      fc
        .tuple(
          taskBody,
          fc.option(
            fc.oneof(
              fc.nat(50).map((pool) => ({ $task: pool })),
              idText,
            ),
            { nil: undefined },
          ),
        )
        .map(([body, taskId]) => (taskId === undefined ? body : { ...body, taskId })),
    );
  }
  if (route.startsWith('POST /v1/')) return jsonOrHostile(nacosSyncBody.map(withoutUndefined));
  return undefined;
}

function operatorQueryFor(route: AdminRoute): fc.Arbitrary<Array<[string, string]>> | undefined {
  if (route === 'GET /api/v1/events') {
    return fc.array(
      fc.tuple(
        fc.constantFrom('taskId', 'clusterId', 'kind', 'since', 'until', 'page', 'pageSize'),
        fc.oneof(idText, fc.constantFrom('hold,updated', 'created', '2026-01-01T00:00:00Z', '2026-13-01', '1', '501')),
      ),
      { maxLength: 4 },
    );
  }
  if (route === 'POST /api/v1/import') return fc.constantFrom([], [['dryRun', 'true']], [['dryRun', 'yes']]);
  if (route === 'GET /api/v1/services' || route === 'GET /api/v1/services/instances') {
    return fc.array(
      fc.tuple(
        fc.constantFrom('namespace', 'group', 'service'),
        fc.oneof(fc.constantFrom('public', 'DEFAULT_GROUP', 'svc', '*', ''), plainName, hostileString),
      ),
      { maxLength: 3 },
    );
  }
  if (route.startsWith('GET /v1/') || route.startsWith('DELETE /v1/')) {
    return fc.array(
      fc.tuple(
        fc.constantFrom('clusterId', 'taskId', 'taskIds', 'pageNum', 'pageSize', 'clusterName', 'serviceName'),
        fc.oneof(idText, numberText(fc.integer({ min: 0, max: 600 }))),
      ),
      { maxLength: 3 },
    );
  }
  return undefined;
}
