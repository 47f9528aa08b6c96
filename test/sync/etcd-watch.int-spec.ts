import type { Etcd3 } from 'etcd3';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { EtcdServer } from '../../tools/support/etcd-server';
import { TcpProxy } from '../support/tcp-proxy';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';
import { eventually } from '../../tools/support/eventually';
import { ADMIN_TOKEN, admin, etcdClient, grpcNamingValue, instancesIn } from './etcd-support';

/**
 * An etcd source's watch across outages: the task reads etcd through a TCP proxy the spec can cut.
 * Full reconciles are far apart, so whatever reaches the region came through the watch: resumed
 * from the revision it had seen (an etcd restart, a cut connection), or — when etcd compacted that
 * revision away meanwhile — re-listed.
 */
describe('an etcd source across outages', () => {
  let etcd: EtcdServer;
  let proxy: TcpProxy;
  let kv: Etcd3;
  let db: TestDatabase;
  let node: TestNode;
  let taskId: string;
  const ips = (): string[] => instancesIn(node, 'watched').map((i) => i.ip);
  const reachable = async (): Promise<boolean> => (await admin(node, 'GET', `/tasks/${taskId}`)).sourceReachable;

  beforeAll(async () => {
    [etcd, db] = await Promise.all([EtcdServer.start(), createTestDatabase()]);
    proxy = await TcpProxy.start('127.0.0.1', etcd.clientPort);
    kv = etcdClient(etcd.address);
    node = await startTestNode({
      DATABASE_URL: db.url,
      ADMIN_TOKEN,
      SYNC_LEASE_RENEW_MS: '200',
      SYNC_FULL_RECONCILE_MS: '600000',
      LOG_LEVEL: 'info',
    });
    const local = await admin(node, 'POST', '/clusters', { name: 'region-b', kind: 'local' });
    const source = await admin(node, 'POST', '/clusters', {
      name: 'etcd-behind-proxy',
      kind: 'etcd',
      addresses: [`127.0.0.1:${proxy.port}`],
    });
    await kv.put('watched/10.0.0.1:80').value(grpcNamingValue('10.0.0.1:80'));
    taskId = (
      await admin(node, 'POST', '/tasks', {
        sourceClusterId: source.id,
        targetClusterId: local.id,
        serviceName: 'watched',
      })
    ).id;
    await eventually(() => expect(ips()).toEqual(['10.0.0.1']));
  });

  afterAll(async () => {
    kv?.close();
    await node?.close();
    await proxy?.stop();
    await Promise.all([etcd?.stop(), db?.drop()]);
  });

  it('should resume after an etcd restart from the revision it had seen, missing no change', async () => {
    await etcd.restart();
    // Written while the watch is still reconnecting: only a watch resumed from its own revision sees it.
    const writer = etcdClient(etcd.address);
    try {
      await writer.put('watched/10.0.0.2:80').value(grpcNamingValue('10.0.0.2:80'));
    } finally {
      writer.close();
    }
    await eventually(() => expect(ips()).toEqual(['10.0.0.1', '10.0.0.2']), {
      timeoutMs: 20_000,
      what: 'the registration written after the restart',
    });
  });

  it('should resume after a cut connection with the changes made meanwhile', async () => {
    proxy.cut();
    await eventually(async () => expect(await reachable()).toBe(false), { what: 'the source reported unreachable' });
    await kv.put('watched/10.0.0.3:80').value(grpcNamingValue('10.0.0.3:80'));
    await kv.put('watched/10.0.0.1:80').value(grpcNamingValue('10.0.0.1:80', { moved: 'yes' }));
    proxy.restore();
    await eventually(
      () => {
        expect(ips()).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
        expect(instancesIn(node, 'watched')[0].metadata?.moved).toBe('yes');
      },
      { timeoutMs: 20_000, what: 'the changes made while the connection was cut' },
    );
  });

  it('should list again when etcd compacted the revision the watch was at', async () => {
    proxy.cut();
    await eventually(async () => expect(await reachable()).toBe(false), { what: 'the source reported unreachable' });
    await kv.delete().key('watched/10.0.0.2:80');
    await kv.put('watched/10.0.0.4:80').value(grpcNamingValue('10.0.0.4:80'));
    const { header } = await kv.kv.range({ key: Buffer.from('watched/') });
    // Only the newest revision is kept: the watch's next revision is gone, with the deletion's event.
    await kv.kv.compact({ revision: header.revision, physical: true });
    proxy.restore();
    await eventually(() => expect(ips()).toEqual(['10.0.0.1', '10.0.0.3', '10.0.0.4']), {
      timeoutMs: 20_000,
      what: 'the re-listed content',
    });
    // The watch goes on from the new listing.
    await kv.delete().key('watched/10.0.0.3:80');
    await eventually(() => expect(ips()).toEqual(['10.0.0.1', '10.0.0.4']));
  });
});
