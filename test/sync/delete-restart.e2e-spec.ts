import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { killAll, spawnNode } from '../support/node-process';
import type { NodeProcess } from '../support/node-process';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';
import { eventually } from '../../tools/support/eventually';

const TOKEN = 'delete-restart-admin-token-0';

/** The only replica running a task dies right after a delete was accepted; its successor finishes it. */
describe('a task deletion interrupted by a crash', () => {
  let dbA: TestDatabase;
  let dbB: TestDatabase;
  let a: TestNode;
  const processes: NodeProcess[] = [];

  const envB = (db: string): Record<string, string> => ({
    DATABASE_URL: db,
    ADMIN_TOKEN: TOKEN,
    SECRET_KEY: 'delete-restart-secret-key-0123456789',
    SYNC_LEASE_RENEW_MS: '1500',
    SYNC_LEASE_TTL_MS: '2000',
    // Longer than the test: the copies can only go because the deletion ran, not by expiry.
    SYNC_CLIENT_TTL: '120000',
  });
  const call = async (base: string, method: string, path: string, body?: unknown): Promise<any> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const copiesInA = async (): Promise<number> => {
    const res = await fetch(`${a.base}/nacos/v1/ns/instance/list?serviceName=orders`);
    return ((await res.json()) as { hosts: unknown[] }).hosts.length;
  };

  beforeAll(async () => {
    [dbA, dbB] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    a = await startTestNode({ DATABASE_URL: dbA.url, ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'warn' });
  });

  afterAll(async () => {
    await killAll(processes);
    await a?.close();
    await Promise.all([dbA?.drop(), dbB?.drop()]);
  });

  it('should complete the deletion after a restart: copies withdrawn, ledger emptied, task gone', async () => {
    const first = spawnNode(envB(dbB.url));
    processes.push(first);
    const b1 = await first.ready;
    const local = (await call(b1, 'POST', '/api/v1/clusters', { name: 'region-b', kind: 'local' })).body;
    const remote = (
      await call(b1, 'POST', '/api/v1/clusters', {
        name: 'region-a',
        kind: 'distro',
        addresses: [`127.0.0.1:${a.httpPort}/${a.grpcPort}`],
        token: TOKEN,
      })
    ).body;
    // Region B pushes its own services into region A.
    const task = (
      await call(b1, 'POST', '/api/v1/tasks', {
        sourceClusterId: local.id,
        targetClusterId: remote.id,
        serviceName: 'orders',
      })
    ).body;
    for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) {
      await fetch(`${b1}/nacos/v1/ns/instance?serviceName=orders&ip=${ip}&port=80&ephemeral=false`, { method: 'POST' });
    }
    await eventually(async () => expect(await copiesInA()).toBe(3), { timeoutMs: 8000 });
    await eventually(
      async () => expect((await call(b1, 'GET', `/api/v1/tasks/${task.id}/instances`)).body.total).toBe(3),
      { timeoutMs: 5000 },
    );

    expect((await call(b1, 'DELETE', `/api/v1/tasks/${task.id}`)).status).toBe(202);
    first.kill('SIGKILL'); // before its next lease round could act on the deletion
    await first.exited;
    expect(await copiesInA()).toBe(3);

    const second = spawnNode(envB(dbB.url));
    processes.push(second);
    const b2 = await second.ready;
    await eventually(async () => expect(await copiesInA()).toBe(0), { timeoutMs: 15000 });
    await eventually(async () => expect((await call(b2, 'GET', `/api/v1/tasks/${task.id}`)).status).toBe(404), {
      timeoutMs: 10000,
    });
  });
});
