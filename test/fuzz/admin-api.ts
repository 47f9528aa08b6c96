import { DataSource } from 'typeorm';
import fc from 'fast-check';
import { printableViolation } from '@/common/text-rule';
import {
  ACTIONS,
  CLUSTER_FIELDS,
  MEASURED_ADMIN_CASES,
  PEM_SECRET,
  PRINTABLE_CLUSTER_FIELDS,
  adminCase,
} from './support/admin-cases';
import type { AdminCase, IdRef } from './support/admin-cases';
import type { FuzzContext } from './support/fuzz-context';
import type { FuzzNode } from './support/fuzz-node';
import { fuzz } from './support/fuzz-run';
import type { Violation } from './support/fuzz-run';
import { encodeComponent, httpCall } from './support/http-probe';
import type { HttpAnswer, HttpRequest } from './support/http-probe';
import { SECRETS, markerIn } from './support/secrets';

const EDGE = 'admin';
const NIL = '00000000-0000-4000-8000-000000000000';

interface Pool {
  clusters: string[];
  tasks: string[];
}

/** The admin API's state as a user sees it; what the worker changes on its own (state rows, `deleting` rows it drops) is left out. */
async function adminDigest(node: FuzzNode): Promise<string> {
  const db = node.node.app.get(DataSource);
  const clusters = await db.query(
    `SELECT id, name, kind, addresses, namespace, username, md5(credentials) AS creds, description FROM cluster ORDER BY id`,
  );
  const tasks = await db.query(
    `SELECT id, name, source_cluster_id, target_cluster_id, namespace, group_name, service_name, exclude,
            max_delete_ratio, status FROM sync_task WHERE status <> 'deleting' ORDER BY id`,
  );
  return JSON.stringify([clusters, tasks]);
}

function pick(list: string[], ref: IdRef): string {
  if ('raw' in ref) return ref.raw;
  return list.length === 0 ? NIL : list[ref.pool % list.length];
}

/** The JSON body with pool references and `SELF` resolved. */
function resolveJson(value: Record<string, unknown>, pool: Pool, self: string): Record<string, unknown> {
  const walk = (v: unknown): unknown => {
    if (v === 'SELF') return self;
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      const ref = (v as { $cluster?: unknown }).$cluster;
      if (typeof ref === 'number') return pick(pool.clusters, { pool: ref });
      const task = (v as { $task?: unknown }).$task;
      if (typeof task === 'number') return pick(pool.tasks, { pool: task });
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(value) as Record<string, unknown>;
}

function toRequest(c: AdminCase, pool: Pool, self: string, authorization: string | null): HttpRequest {
  const [method, template] = c.route.split(' ') as [string, string];
  const id = pick(template.startsWith('/api/v1/clusters') ? pool.clusters : pool.tasks, c.id);
  const headers: Record<string, string> = authorization ? { authorization } : {};
  const body = c.body;
  let payload: string | Buffer | undefined;
  if (body.kind === 'json') {
    payload = JSON.stringify(resolveJson(body.value, pool, self));
    headers['content-type'] = 'application/json';
  } else if (body.kind === 'raw') {
    payload = body.body;
    if (body.contentType !== undefined) headers['content-type'] = body.contentType;
  } else if (body.contentType !== undefined) headers['content-type'] = body.contentType;
  return { method, path: template.replace(':id', encodeComponent(id)), query: c.query, headers, body: payload };
}

/**
 * A 502 from a route that must ask a remote registry (a dry-run diff reads the task's source) is
 * that registry's failure, reported as such — the pool's clusters point at closed ports — not a
 * server error caused by the input.
 */
function remoteOutage(c: AdminCase, answer: HttpAnswer): boolean {
  return (
    (c.route === 'GET /api/v1/tasks/:id/diff' || c.route === 'POST /api/v1/tasks/dry-run') &&
    answer.status === 502 &&
    /source cluster .* did not answer/.test(answer.text)
  );
}

/** The properties every admin call keeps. */
function judge(c: AdminCase, answer: HttpAnswer, stateChanged: boolean, logLeaks: string[]): Violation[] {
  const v = (kind: string, detail: string): Violation => ({ edge: EDGE, endpoint: c.route, kind, detail });
  const out: Violation[] = [];
  if (answer.failure) return [v(answer.failure, answer.error ?? '')];
  if (answer.status >= 500 && !remoteOutage(c, answer))
    out.push(v('5xx', `${answer.status} ${answer.text.slice(0, 200)}`));
  const inBody = markerIn(answer.text) ?? markerIn(answer.headerText);
  if (inBody) out.push(v('secret-in-response', inBody));
  if (logLeaks.length > 0) out.push(v('secret-in-log', logLeaks[0]));
  if (answer.status >= 400 && stateChanged) out.push(v('state-changed-by-refusal', `${answer.status}`));
  if (c.refused && (answer.status !== 400 || !answer.text.includes(c.refused.field))) {
    out.push(v(`bad-input-not-refused(${c.refused.field})`, `${answer.status} ${answer.text.slice(0, 200)}`));
  }
  const clusterBody =
    c.body.kind === 'json' && (c.route === 'POST /api/v1/clusters' || c.route === 'PATCH /api/v1/clusters/:id');
  // A field's bad value is refused by its name; unknown fields by theirs (`property x should not exist`). A bad
  // id or a body that is not JSON at all (`__proto__` is refused as such) has no field to name.
  const fieldRefusal = clusterBody && answer.status === 400 && 'pool' in c.id && !/not valid JSON/.test(answer.text);
  if (fieldRefusal && !CLUSTER_FIELDS.some((f) => answer.text.includes(f)) && !/should not exist/.test(answer.text)) {
    out.push(v('400-names-no-field', answer.text.slice(0, 200)));
  }
  const ok = answer.status >= 200 && answer.status < 300;
  if (
    ok &&
    c.body.kind === 'json' &&
    (c.route === 'POST /api/v1/clusters' || c.route === 'PATCH /api/v1/clusters/:id')
  ) {
    for (const field of PRINTABLE_CLUSTER_FIELDS) {
      const value = c.body.value[field];
      if (typeof value !== 'string') continue;
      // The name is trimmed before it is checked and stored; what is stored is what counts.
      const why = printableViolation(field === 'name' ? value.trim() : value);
      if (why) out.push(v(`accepted-outside-text-rule(${field})`, `${JSON.stringify(value.slice(0, 60))}: ${why}`));
    }
  }
  const action = ACTIONS.some((a) => c.route.endsWith(a)) && 'pool' in c.id;
  if (action && c.body.kind === 'none' && (answer.status === 400 || answer.status === 415)) {
    out.push(v('empty-body-refused', `${answer.status} ${answer.text.slice(0, 120)}`));
  }
  return out;
}

/** The admin API (`/api/v1`): clusters, tasks, action routes, workers; with and without ADMIN_TOKEN. */
export function describeAdminApiFuzz(ctx: FuzzContext): void {
  const targets: Array<{ node: FuzzNode; authorization: string | null; pool: Pool }> = [];

  async function seedPool(node: FuzzNode, authorization: string | null): Promise<Pool> {
    const headers = { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) };
    const post = async (path: string, body: object): Promise<string> => {
      const res = await httpCall(node.base, { method: 'POST', path, headers, body: JSON.stringify(body) });
      if (res.status !== 201) throw new Error(`seeding ${path} answered ${res.status}: ${res.text}`);
      return (JSON.parse(res.text) as { id: string }).id;
    };
    const here = await post('/api/v1/clusters', { name: 'pool-here', kind: 'local' });
    const distro = await post('/api/v1/clusters', {
      name: 'pool-distro',
      kind: 'distro',
      addresses: ['127.0.0.1:1'],
      token: SECRETS.CLUSTER_CREDENTIAL,
    });
    const nacos = await post('/api/v1/clusters', {
      name: 'pool-nacos',
      kind: 'nacos',
      addresses: ['127.0.0.1:1'],
      username: 'nacos',
      password: SECRETS.CLUSTER_CREDENTIAL,
    });
    const spare = await post('/api/v1/clusters', { name: 'pool-spare', kind: 'nacos', addresses: ['localhost:9'] });
    // Clusters 4 and 5: the kinds of issue 18, with every credential they take (the fuzz PATCHes them).
    const zookeeper = await post('/api/v1/clusters', {
      name: 'pool-zookeeper',
      kind: 'zookeeper',
      addresses: ['127.0.0.1:1/apps/prod'],
      layout: 'dubbo-app',
      username: 'sync',
      password: SECRETS.CLUSTER_CREDENTIAL,
    });
    const etcd = await post('/api/v1/clusters', {
      name: 'pool-etcd',
      kind: 'etcd',
      addresses: ['127.0.0.1:1'],
      layout: 'kratos',
      prefix: '/apps',
      username: 'sync',
      password: SECRETS.CLUSTER_CREDENTIAL,
      tlsCa: PEM_SECRET,
      tlsCert: PEM_SECRET,
      tlsKey: PEM_SECRET,
    });
    const tasks = [
      await post('/api/v1/tasks', { sourceClusterId: distro, targetClusterId: here, serviceName: '*' }),
      await post('/api/v1/tasks', { sourceClusterId: nacos, targetClusterId: here, serviceName: 'svc-*' }),
    ];
    tasks.push(
      await post('/api/v1/tasks', { sourceClusterId: zookeeper, targetClusterId: here, serviceName: '*' }),
      await post('/api/v1/tasks', { sourceClusterId: here, targetClusterId: etcd, serviceName: 'svc-*' }),
    );
    return { clusters: [here, distro, nacos, spare, zookeeper, etcd], tasks };
  }

  async function runCase(target: (typeof targets)[number], c: AdminCase, authorization: string | null): Promise<void> {
    const { node, pool } = target;
    node.newLeakedLogLines();
    const before = await adminDigest(node);
    const answer = await httpCall(node.base, toRequest(c, pool, `127.0.0.1:${node.node.httpPort}`, authorization));
    const changed = answer.status >= 400 && (await adminDigest(node)) !== before;
    const violations = judge(c, answer, changed, node.newLeakedLogLines());
    if (authorization !== target.authorization && answer.status >= 200 && answer.status < 300) {
      violations.push({ edge: EDGE, endpoint: c.route, kind: 'accepted-without-token', detail: `${answer.status}` });
    }
    if (answer.status === 201 && c.body.kind === 'json') {
      const id = (JSON.parse(answer.text) as { id?: string }).id;
      if (id && c.route === 'POST /api/v1/clusters') pool.clusters.push(id);
      if (id && c.route === 'POST /api/v1/tasks') pool.tasks.push(id);
    }
    ctx.findings.counted(
      `${EDGE} (${node.label}${authorization === target.authorization ? '' : ', wrong token'})`,
      answer.status >= 200 && answer.status < 300,
    );
    ctx.findings.report(violations, c);
  }

  describe('admin API', () => {
    beforeAll(async () => {
      const bearer = `Bearer ${SECRETS.ADMIN_TOKEN}`;
      targets.push({ node: ctx.open, authorization: null, pool: await seedPool(ctx.open, null) });
      targets.push({ node: ctx.tokened, authorization: bearer, pool: await seedPool(ctx.tokened, bearer) });
    });

    it.each([
      ['open', 0],
      ['tokened', 1],
    ])('should keep every property on hostile calls (%s node)', async (_label, index) => {
      const target = targets[index];
      await fuzz(adminCase, 300, (c) => runCase(target, c, target.authorization), MEASURED_ADMIN_CASES);
      ctx.findings.report(await target.node.aliveViolations(EDGE), 'after the fuzz');
    });

    it('should refuse every call without the right token and change nothing', async () => {
      const target = targets[1];
      const wrong = fc.constantFrom<string | null>(
        null,
        'Bearer wrong-token-0123456789',
        'Bearer ',
        'Basic YTpi',
        'bearer',
        '\u00e9',
      );
      await fuzz(fc.tuple(adminCase, wrong), 100, ([c, authorization]) => runCase(target, c, authorization));
    });

    it('should never show a secret in a listing, a check or a log line, once the tasks have run', async () => {
      // Let the worker start, fail and retry the tasks the fuzz created.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      for (const { node, authorization, pool } of targets) {
        const headers: Record<string, string> = authorization ? { authorization } : {};
        const calls: HttpRequest[] = [
          { method: 'GET', path: '/api/v1/clusters', query: [['pageSize', '500']], headers },
          { method: 'GET', path: '/api/v1/tasks', query: [['pageSize', '500']], headers },
          ...pool.clusters.map((id) => ({ method: 'POST', path: `/api/v1/clusters/${id}/check`, headers })),
          ...pool.tasks.flatMap((id) => [
            { method: 'GET', path: `/api/v1/tasks/${id}`, headers },
            { method: 'GET', path: `/api/v1/tasks/${id}/events`, headers },
          ]),
        ];
        for (const call of calls) {
          const answer = await httpCall(node.base, call);
          const endpoint = `${call.method} ${call.path.replace(/[0-9a-f-]{36}/, ':id')}`;
          const hit = markerIn(answer.text) ?? markerIn(answer.headerText);
          const violations: Violation[] = [];
          if (hit) violations.push({ edge: EDGE, endpoint, kind: 'secret-in-response', detail: hit });
          if (answer.status >= 500 || answer.failure) {
            const detail = `${answer.status} ${answer.text.slice(0, 200)}`;
            violations.push({ edge: EDGE, endpoint, kind: answer.failure ?? '5xx', detail });
          }
          ctx.findings.report(violations, { sweep: node.label, method: call.method, path: call.path });
        }
      }
    });
  });
}
