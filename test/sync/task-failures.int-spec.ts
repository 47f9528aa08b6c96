import { Client } from 'pg';
import { CredentialSealer } from '../../src/sync/clusters/credential-sealer';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';
import { eventually } from '../../tools/support/eventually';

const TOKEN = 'task-failures-admin-token-0';
const SECRET_KEY = 'task-failures-secret-key-0123456789ab';
/** A pasted token with a line break, as the probe found it: grpc-js refuses it in a metadata header. */
const PASTED = 'Pasted-Marker-7c1e9\n';
const TASKS = 6;

/**
 * A cluster whose credential grpc-js refuses (a control character put straight into the database,
 * as the API validation would refuse it now): the tasks on it cannot start, must back off without
 * flooding the log, show why and when they try again without the token, and can still be deleted.
 */
describe('tasks on a cluster whose credential is refused', () => {
  let db: TestDatabase;
  let node: TestNode;
  let pg: Client;
  let clusterId: string;
  const taskIds: string[] = [];

  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${node.base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const startFailures = (taskId: string): Array<Record<string, unknown>> =>
    node.logs.filter((l) => l.taskId === taskId && String(l.msg).startsWith('could not start task'));

  beforeAll(async () => {
    db = await createTestDatabase();
    node = await startTestNode({
      DATABASE_URL: db.url,
      ADMIN_TOKEN: TOKEN,
      SECRET_KEY,
      SYNC_LEASE_RENEW_MS: '100',
      SYNC_LEASE_TTL_MS: '3000',
      SYNC_RETRY_BASE_MS: '400',
      SYNC_RETRY_MAX_MS: '1600',
      SYNC_DELETE_TARGET_WAIT_MS: '800',
      LOG_LEVEL: 'info',
    });
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    const local = (await call('POST', '/clusters', { name: 'region-b', kind: 'local' })).body as { id: string };
    clusterId = (
      (
        await call('POST', '/clusters', {
          name: 'region-a',
          kind: 'distro',
          addresses: ['127.0.0.1:1'],
          token: 'a-valid-token-for-now',
        })
      ).body as { id: string }
    ).id;
    await pg.query(`UPDATE cluster SET credentials = $1 WHERE id = $2`, [
      new CredentialSealer(SECRET_KEY).seal({ token: PASTED }),
      clusterId,
    ]);
    for (let i = 0; i < TASKS; i++) {
      const task = await call('POST', '/tasks', {
        sourceClusterId: local.id,
        targetClusterId: clusterId,
        serviceName: `svc-${i}`,
      });
      taskIds.push((task.body as { id: string }).id);
    }
  });

  afterAll(async () => {
    await pg?.end();
    await node?.close();
    await db?.drop();
  });

  it('should back off each start with one log line per step, showing lastError and nextAttemptAt', async () => {
    // Three failed starts of every task, and each one waited for the nextAttemptAt the one before logged:
    // steps of 200-400 and 400-800 ms, where a start retried at every lease round would come 100 ms apart.
    await eventually(() => taskIds.every((id) => startFailures(id).length >= 3), {
      timeoutMs: 15_000,
      what: 'three failed starts of every task',
    });
    for (const id of taskIds) {
      const [first, second, third] = startFailures(id).map((l) => ({
        at: Date.parse(String(l.time)),
        next: Date.parse(String(l.nextAttemptAt)),
      }));
      for (const [before, after] of [
        [first, second],
        [second, third],
      ]) {
        expect(before.next - before.at).toBeGreaterThanOrEqual(190);
        expect(after.at).toBeGreaterThanOrEqual(before.next - 20);
      }
    }
    const { body: task } = await call('GET', `/tasks/${taskIds[0]}`);
    expect(task.lastError).toMatch(/illegal characters/);
    expect(task.nextAttemptAt).not.toBeNull();
    expect(Date.parse(task.nextAttemptAt)).toBeGreaterThan(Date.now() - 2000);
    const line = node.logs.find((l) => l.taskId === taskIds[0] && String(l.msg).startsWith('could not start task'));
    expect(line).toMatchObject({ attempt: expect.any(Number), nextAttemptAt: expect.any(String) });
  });

  it('should never show the refused token: not in the log, lastError, the check or the task list', async () => {
    const check = await call('POST', `/clusters/${clusterId}/check`);
    expect(check.body).toMatchObject({ reachable: false, error: expect.stringMatching(/illegal characters/) });
    const seen = [
      JSON.stringify(node.logs),
      JSON.stringify(check.body),
      JSON.stringify((await call('GET', '/tasks')).body),
      JSON.stringify((await call('GET', `/tasks/${taskIds[0]}`)).body),
      await (await fetch(`${node.base}/metrics`)).text(),
    ].join('\n');
    expect(seen).not.toContain('Pasted-Marker');
  });

  it('should complete a deletion whose target cannot be reached, and say the copies lapse by their TTL', async () => {
    const doomed = taskIds.slice(0, 3);
    for (const id of doomed) expect((await call('DELETE', `/tasks/${id}`)).status).toBe(202);
    for (const id of doomed)
      await eventually(async () => expect((await call('GET', `/tasks/${id}`)).status).toBe(404), { timeoutMs: 8000 });
    const { rows } = await pg.query<{ task_name: string; details: { withdrawn: boolean } }>(
      `SELECT task_name, details FROM task_event WHERE kind = 'deleted'`,
    );
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => !r.details.withdrawn)).toBe(true);
    // The other tasks are untouched.
    expect((await call('GET', `/tasks/${taskIds[3]}`)).status).toBe(200);
  });
});
