import { adminRequest } from '../../tools/support/admin-request';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { freePorts } from '../../tools/support/free-ports';
import { DISTRO_TEST_TOKEN } from '../support/distro-cluster';
import { killAll, spawnNode } from '../support/node-process';
import type { NodeProcess } from '../support/node-process';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';
import { eventually } from '../../tools/support/eventually';
import type { WorkerResponseDto as Worker } from '../../src/sync/worker/workers.controller';

const TOKEN = 'worker-ha-admin-token-00000';
const TTL_MS = 3000;

/**
 * Region B as three real processes sharing one Postgres (replicas of one StatefulSet), pulling
 * from region A. Only a real Postgres has several sessions, so this runs with DATABASE_URL.
 */
(process.env.DATABASE_URL ? describe : describe.skip)('sync workers: three replicas of a region', () => {
  let dbA: TestDatabase;
  let dbB: TestDatabase;
  let a: TestNode;
  const b: NodeProcess[] = [];
  const bases: string[] = [];

  const call = (base: string, method: string, path: string, body?: unknown): Promise<any> =>
    adminRequest(`${base}${path}`, TOKEN, method, body);
  const registerInA = (service: string, ip: string) =>
    fetch(`${a.base}/nacos/v1/ns/instance?serviceName=${service}&ip=${ip}&port=80&ephemeral=false`, { method: 'POST' });
  const copiesOn = async (base: string, service: string): Promise<string[]> => {
    const res = await fetch(`${base}/nacos/v1/ns/instance/list?serviceName=${service}`);
    const body = (await res.json()) as { hosts: Array<{ ip: string }> };
    return body.hosts.map((h) => h.ip).sort();
  };

  beforeAll(async () => {
    [dbA, dbB] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    a = await startTestNode({ DATABASE_URL: dbA.url, ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'warn' });
    const ports = await freePorts(3);
    const members = ports.map((p) => `127.0.0.1:${p}`).join(',');
    for (const port of ports) {
      b.push(
        spawnNode({
          DATABASE_URL: dbB.url,
          DISTRO_PORT: String(port),
          DISTRO_MEMBERS: members,
          DISTRO_TOKEN: DISTRO_TEST_TOKEN,
          DISTRO_PROBE_INTERVAL_MS: '200',
          DISTRO_VERIFY_INTERVAL_MS: '500',
          DISTRO_LOAD_RETRY_MS: '200',
          DISTRO_BOOTSTRAP_WAIT_MS: '1000',
          // Copies of a dead replica's tasks must outlive the lease takeover.
          DISTRO_CLIENT_EXPIRE_MS: '15000',
          ADMIN_TOKEN: TOKEN,
          SECRET_KEY: 'worker-ha-secret-key-0123456789abcdef',
          SYNC_LEASE_TTL_MS: String(TTL_MS),
          SYNC_LEASE_RENEW_MS: '300',
          SYNC_FULL_RECONCILE_MS: '2000',
        }),
      );
    }
    bases.push(...(await Promise.all(b.map((n) => n.ready))));
    for (const base of bases)
      await eventually(async () => expect((await fetch(`${base}/health/ready`)).status).toBe(200), {
        timeoutMs: 20000,
      });
  });

  afterAll(async () => {
    await killAll(b);
    await a?.close();
    await Promise.all([dbA?.drop(), dbB?.drop()]);
  });

  it('should spread 9 tasks 3/3/3, and keep every copy visible while the holder of a task is killed', async () => {
    const local = await call(bases[0], 'POST', '/api/v1/clusters', { name: 'region-b', kind: 'local' });
    const remote = await call(bases[0], 'POST', '/api/v1/clusters', {
      name: 'region-a',
      kind: 'distro',
      addresses: [`127.0.0.1:${a.httpPort}/${a.grpcPort}`],
      token: TOKEN,
    });
    const services = Array.from({ length: 9 }, (_, i) => `svc-${i}`);
    const tasks = await call(bases[0], 'POST', '/api/v1/tasks/batch', {
      tasks: services.map((serviceName) => ({ sourceClusterId: remote.id, targetClusterId: local.id, serviceName })),
    });
    for (const [i, service] of services.entries()) {
      await registerInA(service, `10.0.${i}.1`);
      await registerInA(service, `10.0.${i}.2`);
    }

    const workers: Worker[] = await eventually(
      async () => {
        const list = (await call(bases[1], 'GET', '/api/v1/workers')) as Worker[];
        expect(list.map((w) => w.leases.length).sort()).toEqual([3, 3, 3]);
        return list;
      },
      { timeoutMs: 20000 },
    );
    for (const base of bases) {
      await eventually(async () => expect(await copiesOn(base, 'svc-4')).toEqual(['10.0.4.1', '10.0.4.2']), {
        timeoutMs: 10000,
      });
    }

    // The victim: the replica holding svc-4's task. Watch that service from another replica.
    const task = (tasks as Array<{ id: string; serviceName: string }>).find((t) => t.serviceName === 'svc-4')!;
    const holder = workers.find((w) => w.leases.includes(task.id))!;
    const victim = b.find((n) => n.child.pid === holder.pid)!;
    const watcher = bases[b.indexOf(victim) === 0 ? 1 : 0];

    const samples: number[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        samples.push((await copiesOn(watcher, 'svc-4')).length);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    // Changes keep flowing while the holder dies.
    let next = 3;
    let written = 0;
    const writer = setInterval(() => void registerInA('svc-4', `10.0.4.${next++}`).then(() => written++), 250);
    await eventually(() => written >= 2, { what: 'two writes before the kill' });
    victim.kill('SIGKILL');
    const killedAt = Date.now();

    const taken = await eventually(
      async () => {
        const t = await call(watcher, 'GET', `/api/v1/tasks/${task.id}`);
        expect(t.owner).toEqual(expect.any(String));
        expect(t.owner).not.toBe(holder.id);
        return t;
      },
      { timeoutMs: TTL_MS + 10000 },
    );
    const takenAt = Date.now();
    const takeoverMs = takenAt - killedAt;
    clearInterval(writer);
    // Sampling goes on until the new holder has finished a full reconcile after the takeover: had it dropped
    // a copy it adopted, the samples would show it.
    await eventually(
      async () => Date.parse((await call(watcher, 'GET', `/api/v1/tasks/${task.id}`)).lastReconcileAt ?? '') > takenAt,
      { timeoutMs: 15_000, what: "the new holder's first full reconcile" },
    );
    sampling = false;
    await sampler;

    expect(takeoverMs).toBeLessThan(TTL_MS + 5000);
    expect(taken.owner).not.toBe(holder.id);
    // Never fewer copies than before the kill: no copy disappeared at any moment.
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(2);
    const expected = Array.from({ length: next - 1 }, (_, i) => `10.0.4.${i + 1}`).sort();
    await eventually(async () => expect(await copiesOn(watcher, 'svc-4')).toEqual(expected), { timeoutMs: 8000 });
    // The ledger names exactly what the target holds.
    const ledger = await call(watcher, 'GET', `/api/v1/tasks/${task.id}/instances?pageSize=500`);
    expect(ledger.items.map((i: { ip: string }) => i.ip).sort()).toEqual(expected);
    // The survivors now share the nine tasks.
    await eventually(
      async () => {
        const list = (await call(watcher, 'GET', '/api/v1/workers')) as Worker[];
        const alive = list.filter((w) => w.pid !== holder.pid);
        expect(alive.reduce((n, w) => n + w.leases.length, 0)).toBe(9);
      },
      { timeoutMs: 10000 },
    );
  });
});
