import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { EtcdServer } from '../../tools/support/etcd-server';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';
import { eventually } from '../../tools/support/eventually';
import { ADMIN_TOKEN, admin, etcdClient, keysUnder, registerNative } from './etcd-support';

const PASSWORD = 'etcd-root-password-7f3a9c';
const WRONG = 'etcd-wrong-password-51be02';

/**
 * An etcd with auth enabled (`etcdctl user add root`, `auth enable`): a cluster with the user's
 * password syncs through it; a wrong password is reported by the check, and neither password
 * reaches the API, the task's state or a log line.
 */
describe('an etcd cluster with auth', () => {
  let etcd: EtcdServer;
  let db: TestDatabase;
  let node: TestNode;

  beforeAll(async () => {
    [etcd, db] = await Promise.all([EtcdServer.start(), createTestDatabase()]);
    etcd.ctl(['user', 'add', 'root', `--new-user-password=${PASSWORD}`, '--interactive=false']);
    etcd.ctl(['auth', 'enable']);
    node = await startTestNode({
      DATABASE_URL: db.url,
      ADMIN_TOKEN,
      SECRET_KEY: 'etcd-auth-spec-secret-key-0123456789',
      SYNC_LEASE_RENEW_MS: '200',
      LOG_LEVEL: 'debug',
    });
  });

  afterAll(async () => {
    await node?.close();
    await Promise.all([etcd?.stop(), db?.drop()]);
  });

  it('should be refused without credentials, so auth is really on', () => {
    expect(() => etcd.ctl(['get', 'x'])).toThrow(/user name is empty|permission denied|authentication/i);
  });

  it('should sync into an etcd with auth, the password sealed and never shown', async () => {
    const local = await admin(node, 'POST', '/clusters', { name: 'region-b', kind: 'local' });
    const cluster = await admin(node, 'POST', '/clusters', {
      name: 'etcd-auth',
      kind: 'etcd',
      addresses: [etcd.address],
      username: 'root',
      password: PASSWORD,
    });
    expect(cluster).toMatchObject({ username: 'root', hasCredentials: true });
    expect(JSON.stringify(cluster)).not.toContain(PASSWORD);
    expect(await admin(node, 'POST', `/clusters/${cluster.id}/check`)).toMatchObject({
      reachable: true,
      version: expect.stringMatching(/^etcd 3\./),
    });

    await registerNative(node, 'secured', '10.9.0.1', 443);
    const task = await admin(node, 'POST', '/tasks', {
      sourceClusterId: local.id,
      targetClusterId: cluster.id,
      serviceName: 'secured',
    });
    const kv = etcdClient(etcd.address, { username: 'root', password: PASSWORD });
    try {
      await eventually(async () =>
        expect([...(await keysUnder(kv, 'secured/')).keys()]).toEqual(['secured/10.9.0.1:443']),
      );
    } finally {
      kv.close();
    }
    await eventually(async () =>
      expect(await admin(node, 'GET', `/tasks/${task.id}`)).toMatchObject({ applied: 1, targetReachable: true }),
    );
  });

  it('should report a wrong password in the check without quoting either password anywhere', async () => {
    const cluster = await admin(node, 'POST', '/clusters', {
      name: 'etcd-wrong',
      kind: 'etcd',
      addresses: [etcd.address],
      username: 'root',
      password: WRONG,
    });
    const report = await admin(node, 'POST', `/clusters/${cluster.id}/check`);
    expect(report).toMatchObject({ reachable: false, error: expect.stringMatching(/auth|password|invalid/i) });
    const everything = JSON.stringify([report, await admin(node, 'GET', '/clusters'), node.logs]);
    expect(everything).not.toContain(WRONG);
    expect(everything).not.toContain(PASSWORD);
  });
});
