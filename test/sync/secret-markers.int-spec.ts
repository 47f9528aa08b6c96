import { Client } from 'pg';
import { CredentialSealer } from '../../src/sync/clusters/credential-sealer';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';
import { eventually } from '../../tools/support/eventually';

/** Every secret below carries this; finding it anywhere a person can read is a leak. */
const MARK = 'MRK7q';
const ADMIN_TOKEN = `${MARK}-admin-token-0001`;
const SECRET_KEY = `${MARK}-sealer-key-0123456789abcdefghij`;
const ENV_SECRETS = {
  ADMIN_TOKEN,
  SECRET_KEY,
  DISTRO_TOKEN: `${MARK}-distro-token-0001`,
  REGISTRY_API_TOKEN: `${MARK}-registry-token-01`,
  NACOS_AUTH_ENABLED: 'true',
  NACOS_AUTH_USERS: `nacos:${MARK}-nacos-user-password`,
  NACOS_AUTH_SECRET: `${MARK}-nacos-auth-secret-0123456789ab`,
};

/**
 * Issue 16: secrets never reach a log line, a metric or an API answer, whatever fails. Marker
 * secrets sit in every env secret and every cluster credential slot (distro token, nacos
 * password); the tasks on them fail every way reachable here (a token the server refuses, a
 * password it refuses, an unreachable address, a token with a control character that grpc-js
 * refuses, put into the database past the API's validation), every cluster is checked, a task is
 * deleted; then every captured log line and every admin answer is searched for the marker.
 */
describe('secret markers', () => {
  let db: TestDatabase;
  let node: TestNode;
  let pg: Client;
  const clusters: Record<string, string> = {};
  const tasks: string[] = [];
  const answers: string[] = [];

  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${node.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    answers.push(`${method} ${path} ${res.status} ${text}`);
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed };
  };
  const cluster = async (name: string, body: Record<string, unknown>): Promise<void> => {
    const res = await call('POST', '/api/v1/clusters', { name, ...body });
    expect(res.status).toBe(201);
    clusters[name] = (res.body as { id: string }).id;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    const url = new URL(db.url);
    // Trust authentication ignores it, so it can carry a marker on real Postgres.
    if (db.kind === 'postgres') url.password = `${MARK}-db-password`;
    node = await startTestNode({
      ...ENV_SECRETS,
      DATABASE_URL: url.toString(),
      SYNC_LEASE_RENEW_MS: '200',
      SYNC_LEASE_TTL_MS: '3000',
      SYNC_FULL_RECONCILE_MS: '1000',
      SYNC_RETRY_BASE_MS: '200',
      SYNC_RETRY_MAX_MS: '800',
      SYNC_DELETE_TARGET_WAIT_MS: '500',
      LOG_LEVEL: 'debug',
    });
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    const self = `127.0.0.1:${node.httpPort}/${node.grpcPort}`;
    await cluster('here', { kind: 'local' });
    await cluster('wrong-token', { kind: 'distro', addresses: [self], token: `${MARK}-cluster-wrong-token` });
    await cluster('unreachable', { kind: 'distro', addresses: ['127.0.0.1:1'], token: `${MARK}-cluster-far-token` });
    await cluster('ctl-token', { kind: 'distro', addresses: [self], token: 'replaced-below-0001' });
    await pg.query(`UPDATE cluster SET credentials = $1 WHERE id = $2`, [
      new CredentialSealer(SECRET_KEY).seal({ token: `${MARK}-cluster-ctl\u0001token\n` }),
      clusters['ctl-token'],
    ]);
    await cluster('wrong-password', {
      kind: 'nacos',
      addresses: [`127.0.0.1:${node.httpPort}/${node.grpcPort}`],
      username: 'nacos',
      password: `${MARK}-cluster-nacos-password`,
    });
    await cluster('nacos-far', {
      kind: 'nacos',
      addresses: ['127.0.0.1:1'],
      username: 'nacos',
      password: `${MARK}-cluster-far-password`,
    });
    for (const name of ['wrong-token', 'unreachable', 'ctl-token', 'wrong-password', 'nacos-far']) {
      const out = await call('POST', '/api/v1/tasks', {
        sourceClusterId: clusters.here,
        targetClusterId: clusters[name],
        serviceName: 'svc',
      });
      expect(out.status).toBe(201);
      tasks.push((out.body as { id: string }).id);
      const back = await call('POST', '/api/v1/tasks', {
        sourceClusterId: clusters[name],
        targetClusterId: clusters.here,
        serviceName: 'back',
      });
      expect(back.status).toBe(201);
      tasks.push((back.body as { id: string }).id);
    }
    const reg = await fetch(
      `${node.base}/nacos/v1/ns/instance?serviceName=svc&ip=10.0.0.1&port=80&username=nacos&password=${encodeURIComponent(`${MARK}-nacos-user-password`)}`,
      { method: 'POST' },
    );
    expect(reg.status).toBe(200);
  });

  afterAll(async () => {
    await pg?.end();
    await node?.close();
    await db?.drop();
  });

  it('should show no marker in any log line, metric or admin answer, whatever failed', async () => {
    // Every task has failed at least once (lastError set), through every failure path above.
    await eventually(
      async () => {
        for (const id of tasks.filter((_, i) => i % 2 === 0)) {
          const t = await call('GET', `/api/v1/tasks/${id}`);
          expect((t.body as { lastError: string | null }).lastError).not.toBeNull();
        }
      },
      { timeoutMs: 15000, intervalMs: 250 },
    );
    for (const id of Object.values(clusters)) await call('POST', `/api/v1/clusters/${id}/check`);
    // Validation errors with secrets in them, and a wrong admin token.
    await call('POST', '/api/v1/clusters', {
      name: 'bad',
      kind: 'distro',
      addresses: ['x:1'],
      token: `${MARK}-validation\u0001`,
    });
    await call('PATCH', `/api/v1/clusters/${clusters['wrong-token']}`, { password: 42 });
    await fetch(`${node.base}/api/v1/tasks`, { headers: { authorization: `Bearer ${MARK}-not-the-admin-token` } });
    // A deletion whose target grpc-js refuses the token of completes, and says so.
    expect((await call('DELETE', `/api/v1/tasks/${tasks[4]}`)).status).toBe(202);
    await eventually(async () => expect((await call('GET', `/api/v1/tasks/${tasks[4]}`)).status).toBe(404), {
      timeoutMs: 10000,
    });

    await call('GET', '/api/v1/clusters');
    for (const id of Object.values(clusters)) await call('GET', `/api/v1/clusters/${id}`);
    await call('GET', '/api/v1/tasks?pageSize=100');
    for (const id of tasks) {
      await call('GET', `/api/v1/tasks/${id}`);
      await call('GET', `/api/v1/tasks/${id}/events`);
      await call('GET', `/api/v1/tasks/${id}/instances`);
    }
    await call('GET', '/api/v1/workers');
    await call('GET', '/api/v1/distro');
    await call('GET', '/metrics');
    await call('GET', '/health/ready');
    const { rows } = await pg.query<{ message: string; details: unknown }>(`SELECT message, details FROM task_event`);

    const places: Record<string, string> = {
      logs: JSON.stringify(node.logs),
      answers: answers.join('\n'),
      events: JSON.stringify(rows),
    };
    for (const [place, text] of Object.entries(places)) {
      const at = text.indexOf(MARK);
      expect(at === -1 ? `${place}: clean` : `${place}: ${text.slice(Math.max(0, at - 300), at + 80)}`).toBe(
        `${place}: clean`,
      );
    }
    // It did fail the ways it says: the log shows the refusals, scrubbed.
    expect(places.logs).toMatch(/illegal characters/);
    expect(places.answers).toMatch(/"reachable":false/);
  });
});
