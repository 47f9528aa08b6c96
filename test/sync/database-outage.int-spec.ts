import { adminRequest } from '../../tools/support/admin-request';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { TcpProxy } from '../support/tcp-proxy';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';
import { eventually } from '../../tools/support/eventually';

const TOKEN = 'db-outage-admin-token-00000';

/** Region B loses its Postgres for 10 s while region A keeps changing. */
describe('sync workers when Postgres is cut', () => {
  let dbA: TestDatabase;
  let dbB: TestDatabase;
  let proxy: TcpProxy;
  let a: TestNode;
  let b: TestNode;

  const admin = (method: string, path: string, body?: unknown): Promise<any> =>
    adminRequest(`${b.base}/api/v1${path}`, TOKEN, method, body);
  const inA = (method: string, ip: string) =>
    fetch(`${a.base}/nacos/v1/ns/instance?serviceName=orders&ip=${ip}&port=80&ephemeral=false`, { method });
  const copiesInB = async (): Promise<string[]> => {
    const res = await fetch(`${b.base}/nacos/v1/ns/instance/list?serviceName=orders`);
    return ((await res.json()) as { hosts: Array<{ ip: string }> }).hosts.map((h) => h.ip).sort();
  };

  beforeAll(async () => {
    [dbA, dbB] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    const target = new URL(dbB.url);
    proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
    target.host = `127.0.0.1:${proxy.port}`;
    const env = {
      ADMIN_TOKEN: TOKEN,
      SECRET_KEY: 'db-outage-secret-key-0123456789abcdef',
      SYNC_LEASE_RENEW_MS: '200',
      SYNC_LEASE_TTL_MS: '2000',
      SYNC_FULL_RECONCILE_MS: '1000',
      LOG_LEVEL: 'warn',
    };
    a = await startTestNode({ ...env, DATABASE_URL: dbA.url });
    b = await startTestNode({ ...env, DATABASE_URL: target.toString(), DATABASE_POOL_SIZE: '4' });
    const local = await admin('POST', '/clusters', { name: 'region-b', kind: 'local' });
    const remote = await admin('POST', '/clusters', {
      name: 'region-a',
      kind: 'distro',
      addresses: [`127.0.0.1:${a.httpPort}/${a.grpcPort}`],
      token: TOKEN,
    });
    await admin('POST', '/tasks', { sourceClusterId: remote.id, targetClusterId: local.id, serviceName: 'orders' });
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await proxy?.stop();
    await Promise.all([dbA?.drop(), dbB?.drop()]);
  });

  it('should keep the copies through the outage, lose no change made meanwhile, and catch up after', async () => {
    await inA('POST', '10.0.0.1');
    await inA('POST', '10.0.0.2');
    await eventually(async () => expect(await copiesInB()).toEqual(['10.0.0.1', '10.0.0.2']), { timeoutMs: 3000 });

    const [task] = (await admin('GET', '/tasks')).items;
    proxy.cut();
    // The admin API answers 503 with Retry-After meanwhile, never 500 (issue 16, item 6).
    for (const path of [`/tasks/${task.id}`, '/tasks', '/clusters']) {
      const res = await fetch(`${b.base}/api/v1${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect({ path, status: res.status, retryAfter: Number(res.headers.get('retry-after')) > 0 }).toEqual({
        path,
        status: 503,
        retryAfter: true,
      });
    }
    await inA('POST', '10.0.0.3');
    await inA('POST', '10.0.0.4');
    await inA('DELETE', '10.0.0.1');
    const cutUntil = Date.now() + 10000;
    const seen = new Set<string>();
    while (Date.now() < cutUntil) {
      // Without its database the region still serves every copy it had.
      seen.add((await copiesInB()).join(','));
      await new Promise((r) => setTimeout(r, 250));
    }
    expect([...seen]).toEqual(['10.0.0.1,10.0.0.2']);
    proxy.restore();

    await eventually(async () => expect(await copiesInB()).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.4']), {
      timeoutMs: 10000,
    });
    await eventually(
      async () => {
        const [task] = (await admin('GET', '/tasks')).items;
        expect(task).toMatchObject({ applied: 3, desired: 3, sourceReachable: true, targetReachable: true });
        const ledger = await admin('GET', `/tasks/${task.id}/instances`);
        expect(ledger.items.map((i: { ip: string }) => i.ip).sort()).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.4']);
      },
      { timeoutMs: 10000 },
    );
  });
});
