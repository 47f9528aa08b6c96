import { Client } from 'pg';
import { adminRequest } from '../../tools/support/admin-request';
import { eventually } from '../../tools/support/eventually';
import { freePorts } from '../../tools/support/free-ports';
import { DistroRouting } from '../../src/distro/distro-routing';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { distroEnv } from '../support/distro-cluster';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';
import { sharedDatabase } from '../persistent/region-database';
import type { SharedDatabase } from '../persistent/region-database';

const TOKEN = 'persistent-copies-admin-token-0';
const FAST = {
  ADMIN_TOKEN: TOKEN,
  SECRET_KEY: 'persistent-copies-secret-key-0123456',
  SYNC_LEASE_RENEW_MS: '200',
  SYNC_LEASE_TTL_MS: '2000',
  SYNC_FULL_RECONCILE_MS: '1000',
  SYNC_DEBOUNCE_MS: '10',
  NACOS_PERSISTENT_RELOAD_MS: '300',
  LOG_LEVEL: 'warn',
};

interface Host {
  ip: string;
  port: number;
  weight: number;
  healthy: boolean;
  ephemeral: boolean;
  metadata: Record<string, string>;
}

/**
 * Copies of persistent instances between two regions: region A (one node) and region B (two nodes
 * on one database), B restarted whole while its copies are frozen, so what it serves after the
 * restart can only come from its database.
 */
describe('persistent copies between two regions', () => {
  let dbA: TestDatabase;
  let dbB: SharedDatabase;
  let a: TestNode;
  let b: TestNode[] = [];
  let bPorts: number[];
  const ids: Record<string, string> = {};

  const admin = (node: TestNode, method: string, path: string, body?: unknown): Promise<any> =>
    adminRequest(`${node.base}/api/v1${path}`, TOKEN, method, body);
  const nacos = async (node: TestNode, method: string, path: string, params: Record<string, string | number>) => {
    const qs = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));
    const res = await fetch(`${node.base}/nacos/v1/ns${path}?${qs.toString()}`, { method });
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return method === 'GET' ? res.json() : res.text();
  };
  const hosts = async (node: TestNode, service: string): Promise<Host[]> =>
    ((await nacos(node, 'GET', '/instance/list', { serviceName: service, healthyOnly: 'false' })) as { hosts: Host[] })
      .hosts;
  const register = (node: TestNode, service: string, ip: string, extra: Record<string, string | number> = {}) =>
    nacos(node, 'POST', '/instance', { serviceName: service, ip, port: 8080, ephemeral: 'false', ...extra });
  const deregister = (node: TestNode, service: string, ip: string) =>
    nacos(node, 'DELETE', '/instance', { serviceName: service, ip, port: 8080, ephemeral: 'false' });
  /** What every node of B lists for a service. */
  const everyB = (service: string): Promise<Host[][]> => Promise.all(b.map((n) => hosts(n, service)));
  /** The live persistent rows of B's database for a service. */
  const storedInB = async (service: string): Promise<Array<{ ip: string; metadata: Record<string, string> }>> => {
    const pg = new Client({ connectionString: dbB.url });
    await pg.connect();
    try {
      const { rows } = await pg.query(
        'SELECT ip, metadata FROM persistent_instance WHERE service_name = $1 AND NOT deleted ORDER BY ip',
        [service],
      );
      return rows as Array<{ ip: string; metadata: Record<string, string> }>;
    } finally {
      await pg.end();
    }
  };

  const startB = async (): Promise<void> => {
    const members = [`127.0.0.1:${bPorts[0]}`, `127.0.0.1:${bPorts[1]}`];
    b = [];
    for (let i = 0; i < 2; i++) {
      const env = distroEnv(bPorts[i], members, {
        ...FAST,
        DATABASE_URL: dbB.url,
        DATABASE_POOL_SIZE: '3',
        HTTP_PORT: String(bPorts[2 + i]),
        NACOS_GRPC_PORT: String(bPorts[4 + i]),
      });
      b.push(await startTestNode(env));
    }
    await eventually(() => b.every((n) => n.app.get(DistroRouting).initialized()), { timeoutMs: 20000 });
  };
  const stopB = async (): Promise<void> => {
    await Promise.all(b.map((n) => n.close()));
    b = [];
  };

  beforeAll(async () => {
    [dbA, dbB] = await Promise.all([createTestDatabase(), sharedDatabase()]);
    bPorts = await freePorts(6);
    a = await startTestNode({ ...FAST, DATABASE_URL: dbA.url });
    await startB();
    ids.aLocal = (await admin(a, 'POST', '/clusters', { name: 'region-a', kind: 'local' })).id;
    ids.aSeesB = (
      await admin(a, 'POST', '/clusters', {
        name: 'region-b',
        kind: 'distro',
        addresses: b.map((n) => `127.0.0.1:${n.httpPort}/${n.grpcPort}`),
        token: TOKEN,
      })
    ).id;
    ids.bLocal = (await admin(b[0], 'POST', '/clusters', { name: 'region-b', kind: 'local' })).id;
    ids.bSeesA = (
      await admin(b[0], 'POST', '/clusters', {
        name: 'region-a',
        kind: 'distro',
        addresses: [`127.0.0.1:${a.httpPort}/${a.grpcPort}`],
        token: TOKEN,
      })
    ).id;
  }, 60000);

  afterAll(async () => {
    await Promise.all([a?.close(), ...b.map((n) => n.close())]);
    await Promise.all([dbA?.drop(), dbB?.drop()]);
  });

  /**
   * The whole life of a persistent copy through one task (`runOn` holds it): copied persistent to
   * every node of B and its database, kept through a restart of all of B with the task paused,
   * updated, withdrawn when the source instance goes and when the task is deleted.
   */
  const lifeOfACopy = async (runOn: () => TestNode, taskBody: Record<string, string>, service: string) => {
    const task = await admin(runOn(), 'POST', '/tasks', { ...taskBody, serviceName: service });
    await register(a, service, '10.7.0.1', { metadata: JSON.stringify({ zone: 'a1' }) });
    await eventually(
      async () => {
        for (const list of await everyB(service)) {
          expect(list).toEqual([
            expect.objectContaining({
              ip: '10.7.0.1',
              ephemeral: false,
              metadata: expect.objectContaining({ zone: 'a1', syncTaskId: task.id }),
            }),
          ]);
        }
        expect(await storedInB(service)).toEqual([
          { ip: '10.7.0.1', metadata: expect.objectContaining({ syncTaskId: task.id }) },
        ]);
      },
      { timeoutMs: 5000 },
    );

    // The ledger says what kind of copy it is.
    const ledger = await admin(runOn(), 'GET', `/tasks/${task.id}/instances`);
    expect(ledger.items).toEqual([expect.objectContaining({ ip: '10.7.0.1', ephemeral: false })]);

    // Frozen, then every node of B restarted: what B serves now comes from its database alone.
    await admin(runOn(), 'POST', `/tasks/${task.id}/pause`);
    await stopB();
    await startB();
    for (const list of await everyB(service)) {
      expect(list).toEqual([expect.objectContaining({ ip: '10.7.0.1', ephemeral: false })]);
    }
    await admin(runOn(), 'POST', `/tasks/${task.id}/resume`);

    // Kept current: fields and health as the source says (health set by hand: its cluster is not checked).
    await nacos(a, 'PUT', '/cluster', {
      serviceName: service,
      clusterName: 'DEFAULT',
      checkPort: 80,
      useInstancePort4Check: 'true',
      healthChecker: JSON.stringify({ type: 'NONE' }),
    });
    await nacos(a, 'PUT', '/instance', {
      serviceName: service,
      ip: '10.7.0.1',
      port: 8080,
      ephemeral: 'false',
      weight: 3,
      metadata: JSON.stringify({ zone: 'a2' }),
    });
    await nacos(a, 'PUT', '/health/instance', { serviceName: service, ip: '10.7.0.1', port: 8080, healthy: 'false' });
    await eventually(
      async () => {
        for (const list of await everyB(service)) {
          expect(list).toEqual([
            expect.objectContaining({ weight: 3, healthy: false, metadata: expect.objectContaining({ zone: 'a2' }) }),
          ]);
        }
      },
      { timeoutMs: 8000 },
    );

    // The source instance goes: so does the copy, everywhere and in the database.
    await deregister(a, service, '10.7.0.1');
    await eventually(
      async () => {
        for (const list of await everyB(service)) expect(list).toEqual([]);
        expect(await storedInB(service)).toEqual([]);
      },
      { timeoutMs: 8000 },
    );

    // The task goes: so do its copies.
    await register(a, service, '10.7.0.2');
    await eventually(async () => expect(await storedInB(service)).toHaveLength(1), { timeoutMs: 8000 });
    await admin(runOn(), 'DELETE', `/tasks/${task.id}`);
    await eventually(
      async () => {
        for (const list of await everyB(service)) expect(list).toEqual([]);
        expect(await storedInB(service)).toEqual([]);
      },
      { timeoutMs: 8000 },
    );
  };

  it('should keep a persistent copy in a `distro` target: durable, on every node, current, withdrawn', async () => {
    await lifeOfACopy(() => a, { sourceClusterId: ids.aLocal, targetClusterId: ids.aSeesB }, 'pushed');
  }, 90000);

  it('should keep a persistent copy in a `local` target: durable, on every node, current, withdrawn', async () => {
    await lifeOfACopy(() => b[0], { sourceClusterId: ids.bSeesA, targetClusterId: ids.bLocal }, 'pulled');
  }, 90000);

  it('should refuse a persistent copy into a service holding ephemeral instances, and copy the others', async () => {
    // An ephemeral instance of B's own (a v1 registration; beats keep it while the test runs).
    const beat = () =>
      nacos(b[0], 'PUT', '/instance/beat', {
        serviceName: 'mixed-eph',
        beat: JSON.stringify({
          ip: '10.9.0.9',
          port: 9090,
          serviceName: 'DEFAULT_GROUP@@mixed-eph',
          cluster: 'DEFAULT',
        }),
      });
    await nacos(b[0], 'POST', '/instance', { serviceName: 'mixed-eph', ip: '10.9.0.9', port: 9090, ephemeral: 'true' });
    const beats = setInterval(() => void beat().catch(() => undefined), 1000);
    try {
      await register(a, 'mixed-eph', '10.9.0.1');
      await register(a, 'mixed-ok', '10.9.0.2');
      const task = await admin(a, 'POST', '/tasks', {
        sourceClusterId: ids.aLocal,
        targetClusterId: ids.aSeesB,
        serviceName: 'mixed-*',
      });
      await eventually(
        async () => {
          expect(await hosts(b[1], 'mixed-ok')).toEqual([
            expect.objectContaining({ ip: '10.9.0.2', ephemeral: false }),
          ]);
          const t = await admin(a, 'GET', `/tasks/${task.id}`);
          expect(t.rejected).toEqual([
            expect.objectContaining({
              service: 'public/DEFAULT_GROUP@@mixed-eph',
              address: '10.9.0.1:8080',
              refusedBy: 'target',
              reason: expect.stringContaining('is ephemeral service'),
            }),
          ]);
        },
        { timeoutMs: 8000 },
      );
      // B's own ephemeral instance is untouched, and no copy went in beside it.
      expect(await hosts(b[0], 'mixed-eph')).toEqual([expect.objectContaining({ ip: '10.9.0.9', ephemeral: true })]);
      const events = await admin(a, 'GET', `/tasks/${task.id}/events`);
      expect(events.items.some((e: { kind: string }) => e.kind === 'copy-rejected')).toBe(true);
      await admin(a, 'DELETE', `/tasks/${task.id}`);
      await eventually(async () => expect(await hosts(b[0], 'mixed-ok')).toEqual([]), { timeoutMs: 8000 });
    } finally {
      clearInterval(beats);
    }
  }, 60000);
});
