import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import type { Etcd3 } from 'etcd3';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { EtcdServer } from '../../tools/support/etcd-server';
import { runRounds } from '../support/sync-rounds';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';
import { eventually } from '../../tools/support/eventually';
import {
  ADMIN_TOKEN,
  admin,
  adminStatus,
  deregisterNative,
  etcdClient,
  grpcNamingValue,
  instancesIn,
  keysUnder,
  kratosValue,
  registerNative,
} from './etcd-support';

// Long enough that a takeover on a loaded machine comes well within it; short enough to watch copies expire.
const COPY_TTL_MS = 5000;

/**
 * Clusters of kind `etcd` on a real etcd started by the spec, synced both ways with the region's own
 * (`local`) cluster through real tasks: the gRPC-go naming and the Kratos layouts, in-place updates,
 * deletions, loop-freedom, copies on a lease (a holder that stops lets them expire; the next holder
 * adopts them with no gap), the cluster check and refused input. Full reconciles are far apart, so
 * every change seen here came through the watch or the change feed.
 */
describe('sync tasks with etcd clusters', () => {
  let etcd: EtcdServer;
  let kv: Etcd3;
  let db: TestDatabase;
  let node: TestNode;
  let second: TestNode | undefined;
  const ids: Record<string, string> = {};
  const env = (): Record<string, string> => ({
    DATABASE_URL: db.url,
    ADMIN_TOKEN,
    SECRET_KEY: 'etcd-cluster-spec-secret-key-0123456789',
    SYNC_LEASE_RENEW_MS: '200',
    SYNC_LEASE_TTL_MS: '2000',
    SYNC_CLIENT_TTL: String(COPY_TTL_MS),
    SYNC_FULL_RECONCILE_MS: '600000',
    LOG_LEVEL: 'info',
  });
  const task = async (source: string, target: string, serviceName: string): Promise<string> =>
    (await admin(node, 'POST', '/tasks', { sourceClusterId: source, targetClusterId: target, serviceName })).id;
  const applied = (id: string, count: number) =>
    eventually(
      async () => {
        const t = await admin(node, 'GET', `/tasks/${id}`);
        expect({ applied: t.applied, desired: t.desired, error: t.lastError }).toEqual({
          applied: count,
          desired: count,
          error: null,
        });
      },
      { what: `task ${id} to hold ${count} copies` },
    );

  beforeAll(async () => {
    [etcd, db] = await Promise.all([EtcdServer.start(), createTestDatabase()]);
    kv = etcdClient(etcd.address);
    node = await startTestNode(env());
    ids.local = (await admin(node, 'POST', '/clusters', { name: 'region-b', kind: 'local' })).id;
    ids.grpc = (
      await admin(node, 'POST', '/clusters', { name: 'etcd-grpc', kind: 'etcd', addresses: [etcd.address] })
    ).id;
    ids.kratos = (
      await admin(node, 'POST', '/clusters', {
        name: 'etcd-kratos',
        kind: 'etcd',
        addresses: [etcd.address],
        layout: 'kratos',
      })
    ).id;
  });

  afterAll(async () => {
    kv?.close();
    await Promise.all([node?.close(), second?.close()]);
    await Promise.all([etcd?.stop(), db?.drop()]);
  });

  describe('grpc-naming', () => {
    it('should copy registrations written as gRPC-go writes them into the region, in place and out again', async () => {
      await kv.put('orders/10.0.0.7:9000').value(grpcNamingValue('10.0.0.7:9000'));
      await kv.put('orders/10.0.0.8:9000').value(grpcNamingValue('10.0.0.8:9000', { zone: 'a' }));
      await kv.put('unrelated/config').value('not a registration');
      const id = await task(ids.grpc, ids.local, 'orders');
      await eventually(() => expect(instancesIn(node, 'orders').map((i) => i.ip)).toEqual(['10.0.0.7', '10.0.0.8']));
      const copy = instancesIn(node, 'orders')[1];
      expect(copy.metadata).toMatchObject({
        zone: 'a',
        syncSource: 'etcd-grpc',
        sourceClusterId: ids.grpc,
        syncTaskId: id,
      });

      // A registration changed in place, one gone: both through the watch.
      await kv.put('orders/10.0.0.8:9000').value(grpcNamingValue('10.0.0.8:9000', { zone: 'b' }));
      await kv.delete().key('orders/10.0.0.7:9000');
      await eventually(() => {
        const now = instancesIn(node, 'orders');
        expect(now.map((i) => [i.ip, i.metadata?.zone])).toEqual([['10.0.0.8', 'b']]);
      });
      await applied(id, 1);
      await admin(node, 'DELETE', `/tasks/${id}`);
      await eventually(() => expect(instancesIn(node, 'orders')).toEqual([]), { what: 'the copies withdrawn' });
      await kv.delete().prefix('orders/');
    });

    it("should write the region's instances as gRPC-go reads them, update them in place and remove them", async () => {
      await registerNative(node, 'billing', '10.1.0.1', 8080, { metadata: '{"zone":"a"}' });
      const id = await task(ids.local, ids.grpc, 'billing');
      const keys = await eventually(async () => {
        const found = await keysUnder(kv, 'billing/');
        expect([...found.keys()]).toEqual(['billing/10.1.0.1:8080']);
        return found;
      });
      const first = keys.get('billing/10.1.0.1:8080')!;
      expect(JSON.parse(first.value)).toEqual({
        Op: 0,
        Addr: '10.1.0.1:8080',
        Metadata: {
          zone: 'a',
          syncSource: 'region-b',
          sourceClusterId: ids.local,
          destClusterId: ids.grpc,
          syncTaskId: id,
        },
      });
      // The source is a persistent instance (ephemeral=false); its copy is on the task's lease all the
      // same: etcd copies are leased by design (docs/sync.md, "Persistent instances").
      expect(first.lease).not.toBe('0');

      // In place: the same key rewritten, never deleted in between.
      const deletes: string[] = [];
      const watcher = await kv.watch().prefix('billing/').create();
      watcher.on('delete', (k) => deletes.push(k.key.toString()));
      await registerNative(node, 'billing', '10.1.0.1', 8080, { metadata: '{"zone":"b"}', weight: '2' });
      await eventually(async () => {
        const meta = JSON.parse((await keysUnder(kv, 'billing/')).get('billing/10.1.0.1:8080')!.value).Metadata;
        expect(meta).toMatchObject({ zone: 'b', 'nacos.weight': '2' });
      });
      expect(deletes).toEqual([]);
      await deregisterNative(node, 'billing', '10.1.0.1', 8080);
      await eventually(() => expect(deletes).toEqual(['billing/10.1.0.1:8080']));
      await watcher.cancel();
      await admin(node, 'DELETE', `/tasks/${id}`);
    });

    it('should never copy a copy: tasks both ways between the region and etcd hold still', async () => {
      await kv.put('loop/10.2.0.1:1').value(grpcNamingValue('10.2.0.1:1'));
      await registerNative(node, 'loop', '10.2.0.2', 2);
      const inward = await task(ids.grpc, ids.local, 'loop');
      const outward = await task(ids.local, ids.grpc, 'loop');
      await Promise.all([applied(inward, 1), applied(outward, 1)]);
      await admin(node, 'POST', `/tasks/${inward}/resync`);
      await admin(node, 'POST', `/tasks/${outward}/resync`);
      await runRounds(node, 'sync-lease-round', 3);
      await Promise.all([applied(inward, 1), applied(outward, 1)]);
      expect([...(await keysUnder(kv, 'loop/')).keys()].sort()).toEqual(['loop/10.2.0.1:1', 'loop/10.2.0.2:2']);
      expect(instancesIn(node, 'loop').map((i) => [i.ip, i.metadata?.syncTaskId])).toEqual([
        ['10.2.0.1', inward],
        ['10.2.0.2', undefined],
      ]);
      await admin(node, 'DELETE', `/tasks/${inward}`);
      await admin(node, 'DELETE', `/tasks/${outward}`);
      await eventually(async () => expect([...(await keysUnder(kv, 'loop/')).keys()]).toEqual(['loop/10.2.0.1:1']));
      await deregisterNative(node, 'loop', '10.2.0.2', 2);
    });

    it('should refuse to write over a registration that is not its own copy', async () => {
      await kv.put('taken/10.3.0.1:80').value(grpcNamingValue('10.3.0.1:80', { owner: 'app' }));
      await registerNative(node, 'taken', '10.3.0.1', 80);
      await registerNative(node, 'taken', '10.3.0.2', 80);
      const id = await task(ids.local, ids.grpc, 'taken');
      await eventually(async () => {
        const t = await admin(node, 'GET', `/tasks/${id}`);
        expect(t.applied).toBe(1);
        expect(t.rejected).toEqual([
          expect.objectContaining({
            address: '10.3.0.1:80',
            refusedBy: 'target',
            reason: expect.stringContaining('not this task'),
          }),
        ]);
      });
      expect(JSON.parse((await keysUnder(kv, 'taken/')).get('taken/10.3.0.1:80')!.value).Metadata).toEqual({
        owner: 'app',
      });
      await admin(node, 'DELETE', `/tasks/${id}`);
      await eventually(async () => expect([...(await keysUnder(kv, 'taken/')).keys()]).toEqual(['taken/10.3.0.1:80']));
    });
  });

  describe('kratos', () => {
    it("should copy a Kratos instance into the region as Kratos's Nacos registry names it, and follow it", async () => {
      await kv
        .put('/microservices/helloworld/4f1c')
        .value(
          kratosValue('4f1c', 'helloworld', 'v1.0.0', { region: 'sh' }, [
            'grpc://10.4.0.1:9000?isSecure=false',
            'http://10.4.0.1:8000?isSecure=false',
          ]),
        );
      const id = await task(ids.kratos, ids.local, 'helloworld.*');
      await eventually(() => {
        expect(
          instancesIn(node, 'helloworld.grpc').map((i) => [i.port, i.metadata?.kind, i.metadata?.version]),
        ).toEqual([[9000, 'grpc', 'v1.0.0']]);
        expect(instancesIn(node, 'helloworld.http').map((i) => i.port)).toEqual([8000]);
      });
      await kv
        .put('/microservices/helloworld/4f1c')
        .value(kratosValue('4f1c', 'helloworld', 'v1.1.0', { region: 'sh' }, ['grpc://10.4.0.1:9000?isSecure=false']));
      await eventually(() => {
        expect(instancesIn(node, 'helloworld.grpc').map((i) => i.metadata?.version)).toEqual(['v1.1.0']);
        expect(instancesIn(node, 'helloworld.http')).toEqual([]);
      });
      await kv.delete().key('/microservices/helloworld/4f1c');
      await eventually(() => expect(instancesIn(node, 'helloworld.grpc')).toEqual([]));
      await admin(node, 'DELETE', `/tasks/${id}`);
    });

    it("should write the region's instances as Kratos instances a Kratos client finds by name", async () => {
      await registerNative(node, 'payments.grpc', '10.5.0.1', 9100, { metadata: '{"kind":"grpc","version":"v2"}' });
      const id = await task(ids.local, ids.kratos, 'payments.grpc');
      const found = await eventually(async () => {
        const keys = await keysUnder(kv, '/microservices/payments/');
        expect([...keys.keys()]).toEqual(['/microservices/payments/10.5.0.1:9100']);
        return keys;
      });
      expect(JSON.parse(found.get('/microservices/payments/10.5.0.1:9100')!.value)).toMatchObject({
        id: '10.5.0.1:9100',
        name: 'payments',
        version: 'v2',
        endpoints: ['grpc://10.5.0.1:9100'],
        metadata: { kind: 'grpc', syncTaskId: id },
      });
      await registerNative(node, 'payments.grpc', '10.5.0.1', 9100, { metadata: '{"kind":"grpc","version":"v3"}' });
      await eventually(async () =>
        expect(
          JSON.parse(
            (await keysUnder(kv, '/microservices/payments/')).get('/microservices/payments/10.5.0.1:9100')!.value,
          ).version,
        ).toBe('v3'),
      );
      await admin(node, 'DELETE', `/tasks/${id}`);
      await eventually(async () => expect((await keysUnder(kv, '/microservices/payments/')).size).toBe(0));
      await deregisterNative(node, 'payments.grpc', '10.5.0.1', 9100);
    });
  });

  describe('copies on a lease', () => {
    it("should let a stopped holder's copies expire, and a new holder adopt them with no gap", async () => {
      // etcd to etcd (a second layout prefix), so the replica that takes over sees the same source.
      const mirror = await admin(node, 'POST', '/clusters', {
        name: 'etcd-mirror',
        kind: 'etcd',
        addresses: [etcd.address],
        prefix: 'mirror/',
      });
      await kv.put('leased/10.6.0.1:7000').value(grpcNamingValue('10.6.0.1:7000'));
      const id = await task(ids.grpc, mirror.id, 'leased');
      const key = 'mirror/leased/10.6.0.1:7000';
      const before = await eventually(async () => {
        const found = (await keysUnder(kv, 'mirror/')).get(key);
        expect(found).toBeDefined();
        return found!;
      });
      const deletes: string[] = [];
      const watcher = await kv.watch().prefix('mirror/').create();
      watcher.on('delete', (k) => deletes.push(k.key.toString()));

      // A second replica on the same database takes the task when the first one stops.
      second = await startTestNode(env());
      await node.close();
      const adopted = await eventually(
        async () => {
          const now = (await keysUnder(kv, 'mirror/')).get(key);
          expect(now?.lease).toBeDefined();
          expect(now!.lease).not.toBe(before.lease);
          return now!;
        },
        { what: "the copy moved onto the new holder's lease" },
      );
      expect(JSON.parse(adopted.value)).toEqual(JSON.parse(before.value));
      // The first holder's etcd lease runs out; the copy stays all along.
      await eventually(
        async () => {
          const ttl = await kv.leaseClient.leaseTimeToLive({ ID: before.lease });
          expect(Number(ttl.TTL)).toBeLessThanOrEqual(0);
        },
        { timeoutMs: COPY_TTL_MS * 3, what: "the first holder's lease to expire" },
      );
      expect((await keysUnder(kv, 'mirror/')).has(key)).toBe(true);
      expect(deletes).toEqual([]);

      // Nobody holds the task: its copies go one TTL later.
      const stopped = Date.now();
      await second.close();
      second = undefined;
      await eventually(() => expect(deletes).toEqual([key]), {
        timeoutMs: COPY_TTL_MS * 3,
        what: 'the copy to expire with its lease',
      });
      expect(Date.now() - stopped).toBeGreaterThanOrEqual(COPY_TTL_MS - 1000);
      await watcher.cancel();
      node = await startTestNode(env());
      await admin(node, 'DELETE', `/tasks/${id}`);
      await kv.delete().prefix('leased/');
    });
  });

  describe('pause and resume', () => {
    it("should keep a paused task's copies alive past their TTL, and catch up on resume", async () => {
      await registerNative(node, 'paused', '10.10.0.1', 80, { metadata: '{"v":"1"}' });
      const id = await task(ids.local, ids.grpc, 'paused');
      await applied(id, 1);
      await admin(node, 'POST', `/tasks/${id}/pause`);
      // The holder learns of the pause at its next lease round.
      await runRounds(node, 'sync-lease-round', 1);
      await registerNative(node, 'paused', '10.10.0.1', 80, { metadata: '{"v":"2"}' });
      // Time passing is the behaviour here: longer than the copies' TTL, renewed all along.
      await new Promise((resolve) => setTimeout(resolve, COPY_TTL_MS + 1500));
      const kept = (await keysUnder(kv, 'paused/')).get('paused/10.10.0.1:80');
      expect(JSON.parse(kept!.value).Metadata.v).toBe('1');
      await admin(node, 'POST', `/tasks/${id}/resume`);
      await eventually(async () => {
        const now = (await keysUnder(kv, 'paused/')).get('paused/10.10.0.1:80');
        expect(JSON.parse(now!.value).Metadata.v).toBe('2');
      });
      await admin(node, 'DELETE', `/tasks/${id}`);
      await eventually(async () => expect((await keysUnder(kv, 'paused/')).size).toBe(0));
      await deregisterNative(node, 'paused', '10.10.0.1', 80);
    });
  });

  describe('the cluster check and the admin API', () => {
    it('should report the server version, the layout and what it holds', async () => {
      await kv.delete().all();
      await kv.put('unrelated/config').value('not a registration');
      await kv.put('svc-a/10.7.0.1:1').value(grpcNamingValue('10.7.0.1:1'));
      await kv.put('svc-a/10.7.0.2:1').value(grpcNamingValue('10.7.0.2:1'));
      await kv.put('svc-b/10.7.0.3:1').value(grpcNamingValue('10.7.0.3:1'));
      const report = await admin(node, 'POST', `/clusters/${ids.grpc}/check`);
      expect(report).toMatchObject({
        reachable: true,
        version: expect.stringMatching(/^etcd 3\.\d+\.\d+$/),
        layout: 'grpc-naming under ""',
        services: 2,
        instances: 3,
        otherKeys: 1,
      });
      await kv.delete().all();
    });

    it('should report an etcd that refuses or never answers as unreachable, within seconds', async () => {
      const held: Socket[] = [];
      const silent = createServer((socket) => held.push(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      try {
        for (const address of ['127.0.0.1:1', `127.0.0.1:${(silent.address() as AddressInfo).port}`]) {
          const dead = await admin(node, 'POST', '/clusters', {
            name: 'etcd-dead',
            kind: 'etcd',
            addresses: [address],
          });
          const report = await admin(node, 'POST', `/clusters/${dead.id}/check`);
          expect(report).toMatchObject({ reachable: false, error: expect.any(String) });
          expect(report.latencyMs).toBeLessThan(4000);
          await admin(node, 'DELETE', `/clusters/${dead.id}`);
        }
      } finally {
        for (const socket of held) socket.destroy();
        await new Promise<void>((resolve) => silent.close(() => resolve()));
      }
    });

    it.each([
      ['a layout of another kind', { layout: 'dubbo' }, /layout must be one of grpc-naming, kratos/],
      ['a Nacos gRPC port in an address', { addresses: ['127.0.0.1:2379/3379'] }, /addresses of an etcd cluster/],
      ['a CA that is not PEM', { tlsCa: 'not a certificate' }, /tlsCa must be PEM text/],
      ['a null prefix', { prefix: null }, /prefix must not be null/],
    ])('should refuse %s with a 400 naming the field', async (_what, extra, message) => {
      const res = await adminStatus(node, 'POST', '/clusters', {
        name: 'bad-etcd',
        kind: 'etcd',
        addresses: [etcd.address],
        ...extra,
      });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toMatch(message);
    });

    it('should refuse TLS settings for a kind that takes none', async () => {
      const pem = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
      const res = await adminStatus(node, 'POST', '/clusters', {
        name: 'bad-nacos',
        kind: 'nacos',
        addresses: ['127.0.0.1:8848'],
        tlsCa: pem,
      });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toMatch(/tlsCa applies to etcd clusters only/);
    });

    it('should refuse a task in a namespace the etcd cluster does not serve', async () => {
      const res = await adminStatus(node, 'POST', '/tasks', {
        sourceClusterId: ids.local,
        targetClusterId: ids.grpc,
        namespace: 'dev',
        serviceName: 'x',
      });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toMatch(/namespace must be public: the target etcd cluster etcd-grpc/);
    });
  });
});
