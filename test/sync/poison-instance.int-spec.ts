import { adminRequest } from '../../tools/support/admin-request';
import { Registry } from '../../src/registry';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';
import { eventually } from '../../tools/support/eventually';
import { runRounds } from '../support/sync-rounds';

const TOKEN = 'poison-instance-admin-token-0';
const FAST = {
  ADMIN_TOKEN: TOKEN,
  SECRET_KEY: 'poison-instance-secret-key-0123456789',
  SYNC_LEASE_RENEW_MS: '200',
  SYNC_LEASE_TTL_MS: '2000',
  SYNC_FULL_RECONCILE_MS: '1000',
  SYNC_DEBOUNCE_MS: '10',
  LOG_LEVEL: 'info',
};

/**
 * Issue 16's first measured failure: region A serves an instance whose metadata holds a NUL (a
 * remote Nacos or an older node can, whatever our own edges refuse), and the A→B task in region B
 * must keep copying every other instance of every service, list the refused one, and take it as
 * soon as it changes in the source.
 */
describe('a source instance the ledger refuses', () => {
  let dbA: TestDatabase;
  let dbB: TestDatabase;
  let a: TestNode;
  let b: TestNode;
  let taskId: string;

  const admin = (node: TestNode, method: string, path: string, body?: unknown): Promise<any> =>
    adminRequest(`${node.base}/api/v1${path}`, TOKEN, method, body);
  const register = async (node: TestNode, service: string, ip: string, metadata: Record<string, string> = {}) => {
    const qs = new URLSearchParams({ serviceName: service, ip, port: '80', metadata: JSON.stringify(metadata) });
    const res = await fetch(`${node.base}/nacos/v1/ns/instance?${qs.toString()}`, { method: 'POST' });
    expect(res.status).toBe(200);
  };
  const ips = async (node: TestNode, service: string): Promise<string[]> => {
    const res = await fetch(`${node.base}/nacos/v1/ns/instance/list?serviceName=${service}`);
    return ((await res.json()) as { hosts: Array<{ ip: string }> }).hosts.map((h) => h.ip).sort();
  };

  beforeAll(async () => {
    [dbA, dbB] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    [a, b] = await Promise.all([
      startTestNode({ ...FAST, DATABASE_URL: dbA.url }),
      startTestNode({ ...FAST, DATABASE_URL: dbB.url }),
    ]);
    const local = await admin(b, 'POST', '/clusters', { name: 'region-b', kind: 'local' });
    const remote = await admin(b, 'POST', '/clusters', {
      name: 'region-a',
      kind: 'distro',
      addresses: [`127.0.0.1:${a.httpPort}/${a.grpcPort}`],
      token: TOKEN,
    });
    await register(a, 'orders', '10.0.0.1');
    await register(a, 'nul-svc', '10.13.0.2');
    // Straight into A's registry, past its edges: what a node from before the edge fix holds.
    a.app
      .get(Registry)
      .registerInstance(
        '10.13.0.1:80#true',
        'ipport',
        { namespace: 'public', group: 'DEFAULT_GROUP', name: 'nul-svc' },
        { ip: '10.13.0.1', port: 80, metadata: { '\u0000': 'a\u0000b' } },
        { now: Date.now() },
      );
    taskId = (
      await admin(b, 'POST', '/tasks', {
        sourceClusterId: remote.id,
        targetClusterId: local.id,
        namespace: '*',
        groupName: '*',
        serviceName: '*',
      })
    ).id;
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await Promise.all([dbA?.drop(), dbB?.drop()]);
  });

  it('should copy every other instance, and list the refused one in the task, an event, a metric and one warn line', async () => {
    await eventually(
      async () => {
        expect(await ips(b, 'orders')).toEqual(['10.0.0.1']);
        expect(await ips(b, 'nul-svc')).toEqual(['10.13.0.2']);
      },
      { timeoutMs: 8000 },
    );
    const task = await eventually(async () => {
      const t = await admin(b, 'GET', `/tasks/${taskId}`);
      expect(t.rejectedCount).toBe(1);
      return t;
    });
    expect(task.rejected).toEqual([
      expect.objectContaining({
        service: 'public/DEFAULT_GROUP@@nul-svc',
        address: '10.13.0.1:80',
        refusedBy: 'ledger',
        reason: expect.stringMatching(/Unicode|0x00/i),
        attempts: 1,
      }),
    ]);
    expect(task).toMatchObject({ applied: 2, desired: 3 });
    expect(task.lastError).toContain('nul-svc 10.13.0.1:80');

    // Services registered afterwards flow at once, and full reconciles (every second) do not stall.
    await register(a, 'later-svc', '10.0.2.1');
    await eventually(async () => expect(await ips(b, 'later-svc')).toEqual(['10.0.2.1']), { timeoutMs: 3000 });
    // Two full reconciles later: a warning repeated per round would be there by now.
    await runRounds(b, 'sync-full-reconcile');
    // In-process nodes share nestjs-pino's logger: B's lines may land in either capture.
    const warns = [...a.logs, ...b.logs].filter(
      (l) => l.taskId === taskId && l.level === 40 && l.address === '10.13.0.1:80',
    );
    expect(warns).toHaveLength(1);
    expect(warns[0].msg).toContain('nul-svc');
    const events = await admin(b, 'GET', `/tasks/${taskId}/events`);
    expect(events.items.filter((e: { kind: string }) => e.kind === 'copy-rejected')).toHaveLength(1);
    const metrics = await (await fetch(`${b.base}/metrics`)).text();
    expect(metrics).toMatch(/distro_sync_task_rejected_copies\{[^}]*\} 1/);
    expect(metrics).toMatch(/distro_sync_task_rejections_total\{[^}]*refused_by="ledger"[^}]*\} 1/);
  });

  it('should take the refused instance once it changes in the source, and drop it from rejected', async () => {
    await register(a, 'nul-svc', '10.13.0.1', { zone: 'fixed' });
    await eventually(async () => expect(await ips(b, 'nul-svc')).toEqual(['10.13.0.1', '10.13.0.2']), {
      timeoutMs: 3000,
    });
    await eventually(
      async () => {
        const t = await admin(b, 'GET', `/tasks/${taskId}`);
        expect(t).toMatchObject({ rejectedCount: 0, rejected: [], applied: 4, desired: 4, lastError: null });
      },
      { timeoutMs: 3000 },
    );
  });
});
