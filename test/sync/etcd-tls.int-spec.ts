import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { EtcdServer } from '../../tools/support/etcd-server';
import type { EtcdTls } from '../../tools/support/etcd-server';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';
import { eventually } from '../../tools/support/eventually';
import { ADMIN_TOKEN, admin, etcdClient, keysUnder, registerNative } from './etcd-support';

/**
 * An etcd that speaks TLS only and wants a client certificate: a cluster with the CA, client
 * certificate and key syncs through it, one without the client certificate is refused, and the
 * TLS settings are sealed like credentials: written, never returned, never logged.
 */
describe('an etcd cluster over TLS', () => {
  let etcd: EtcdServer;
  let tls: EtcdTls;
  let db: TestDatabase;
  let node: TestNode;

  beforeAll(async () => {
    [etcd, db] = await Promise.all([EtcdServer.start({ tls: true }), createTestDatabase()]);
    tls = etcd.tls!;
    node = await startTestNode({
      DATABASE_URL: db.url,
      ADMIN_TOKEN,
      SECRET_KEY: 'etcd-tls-spec-secret-key-0123456789',
      SYNC_LEASE_RENEW_MS: '200',
      LOG_LEVEL: 'debug',
    });
  });

  afterAll(async () => {
    await node?.close();
    await Promise.all([etcd?.stop(), db?.drop()]);
  });

  it('should sync into an etcd over TLS with a client certificate, the settings never returned', async () => {
    const local = await admin(node, 'POST', '/clusters', { name: 'region-b', kind: 'local' });
    const cluster = await admin(node, 'POST', '/clusters', {
      name: 'etcd-tls',
      kind: 'etcd',
      addresses: [etcd.address],
      tlsCa: tls.ca,
      tlsCert: tls.clientCert,
      tlsKey: tls.clientKey,
    });
    expect(cluster.hasCredentials).toBe(true);
    expect(Object.keys(cluster)).not.toEqual(expect.arrayContaining(['tlsCa', 'tlsCert', 'tlsKey']));
    expect(await admin(node, 'POST', `/clusters/${cluster.id}/check`)).toMatchObject({
      reachable: true,
      version: expect.stringMatching(/^etcd 3\./),
    });

    await registerNative(node, 'private', '10.8.0.1', 8443);
    await admin(node, 'POST', '/tasks', {
      sourceClusterId: local.id,
      targetClusterId: cluster.id,
      serviceName: 'private',
    });
    const kv = etcdClient(etcd.address, undefined, tls);
    try {
      await eventually(async () =>
        expect([...(await keysUnder(kv, 'private/')).keys()]).toEqual(['private/10.8.0.1:8443']),
      );
    } finally {
      kv.close();
    }
    const keyBody = tls.clientKey.split('\n')[1];
    expect(JSON.stringify([await admin(node, 'GET', `/clusters/${cluster.id}`), node.logs])).not.toContain(keyBody);
  });

  it('should be refused without the client certificate the server asks for', async () => {
    const cluster = await admin(node, 'POST', '/clusters', {
      name: 'etcd-tls-no-cert',
      kind: 'etcd',
      addresses: [etcd.address],
      tlsCa: tls.ca,
    });
    expect(await admin(node, 'POST', `/clusters/${cluster.id}/check`)).toMatchObject({ reachable: false });
  });

  it('should be refused in plain text by a server that speaks TLS only', async () => {
    const cluster = await admin(node, 'POST', '/clusters', {
      name: 'etcd-plain',
      kind: 'etcd',
      addresses: [etcd.address],
    });
    expect(await admin(node, 'POST', `/clusters/${cluster.id}/check`)).toMatchObject({ reachable: false });
  });
});
