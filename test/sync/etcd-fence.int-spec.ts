import type { Etcd3 } from 'etcd3';
import type { ServiceKey } from '../../src/registry';
import { EtcdRegistryAdapter } from '../../src/sync/adapters/etcd-adapter';
import { CopyFencedError } from '../../src/sync/adapters/target-registry';
import type { CopyOwner } from '../../src/sync/adapters/target-registry';
import type { CopyRecord } from '../../src/sync/reconcile/copy-plan';
import { EtcdServer } from '../../tools/support/etcd-server';
import { etcdClient, grpcNamingValue, keysUnder } from './etcd-support';
import { copyRecord } from '../support/copy-record';

const KEY: ServiceKey = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'orders' };
const SELECT_ALL = { namespace: 'public', groupName: '*', serviceName: '*', exclude: [] };

function copyAt(ip: string, metadata: Record<string, string> = {}): CopyRecord {
  return copyRecord('orders', ip, 9000, { syncTaskId: 't1', sourceClusterId: 'src', syncSource: 'a', ...metadata });
}

/**
 * The etcd target's fence against a real etcd: a holding of the task's lease that a newer one has
 * fenced out (its replica has not noticed yet) writes nothing more — no put, no delete, no
 * withdrawal — while the newer one's copies stay as it wrote them; the fence key sits under the
 * prefix's reserved path, where neither the source nor the check reads it.
 */
describe('etcd copies fenced by the lease generation', () => {
  let etcd: EtcdServer;
  let kv: Etcd3;
  const open: EtcdRegistryAdapter[] = [];
  const adapter = (prefix: string | null = null): EtcdRegistryAdapter => {
    const a = new EtcdRegistryAdapter({
      addresses: [etcd.address],
      layout: 'grpc-naming',
      prefix,
      namespace: 'public',
    });
    open.push(a);
    return a;
  };
  const owner = (generation: string): CopyOwner => ({ taskId: 't1', generation, ttlMs: 10_000 });
  const FENCE = '.distro-sync/fence/t1';

  beforeAll(async () => {
    etcd = await EtcdServer.start();
    kv = etcdClient(etcd.address);
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((a) => a.close()));
  });

  afterAll(async () => {
    kv?.close();
    await etcd?.stop();
  });

  it('should refuse every write of a holding that a newer one fenced out, and leave the copies to the newer', async () => {
    const old = adapter();
    await old.renewCopies(owner('9'));
    await old.applyCopies(owner('9'), [{ key: KEY, copies: [copyAt('10.0.0.1')], removed: [] }]);
    // Padded so that etcd's byte order is the generations' order (9 < 10).
    expect(await kv.get(FENCE).string()).toBe('00000000000000000009');

    const next = adapter();
    expect(await next.renewCopies(owner('10'))).toEqual({ present: true });
    expect(await kv.get(FENCE).string()).toBe('00000000000000000010');
    const taken = await keysUnder(kv, 'orders/');

    const change = [{ key: KEY, copies: [copyAt('10.0.0.1', { zone: 'old' }), copyAt('10.0.0.2')], removed: [] }];
    await expect(old.applyCopies(owner('9'), change)).rejects.toThrow(
      /task t1 at lease generation 9 is fenced out of the target: its fence \.distro-sync\/fence\/t1 holds generation 10/,
    );
    await expect(
      old.applyCopies(owner('9'), [{ key: KEY, copies: [], removed: [copyAt('10.0.0.1')] }]),
    ).rejects.toBeInstanceOf(CopyFencedError);
    await expect(old.withdrawCopies(owner('9'))).rejects.toBeInstanceOf(CopyFencedError);
    // A holding that never wrote cannot raise the fence back down.
    await expect(adapter().renewCopies(owner('9'))).rejects.toBeInstanceOf(CopyFencedError);
    expect(await keysUnder(kv, 'orders/')).toEqual(taken);
    expect(await kv.get(FENCE).string()).toBe('00000000000000000010');

    // The newer holding writes on; the source and the check see the fence as nothing at all.
    await next.applyCopies(owner('10'), change);
    expect([...(await keysUnder(kv, 'orders/')).keys()]).toEqual(['orders/10.0.0.1:9000', 'orders/10.0.0.2:9000']);
    await kv.put('payments/10.0.1.1:7000').value(grpcNamingValue('10.0.1.1:7000'));
    const read = adapter();
    expect((await read.snapshot(SELECT_ALL)).map((s) => s.key.name).sort()).toEqual(['orders', 'payments']);
    expect(await read.check()).toMatchObject({ reachable: true, services: 2, instances: 3, otherKeys: 0 });

    // Its withdrawal (the task deleted) removes the fence last; the old holding stays out.
    await next.withdrawCopies(owner('10'));
    expect(await keysUnder(kv, 'orders/')).toEqual(new Map());
    expect(await kv.get(FENCE).string()).toBeNull();
    await expect(old.applyCopies(owner('9'), change)).rejects.toThrow(/its fence .* is gone \(the task was deleted\)/);
    expect(await keysUnder(kv, 'orders/')).toEqual(new Map());
    await kv.delete().key('payments/10.0.1.1:7000');
  });

  it('should keep the fence under the reserved path of a prefix, out of the Kratos layout too', async () => {
    const kratos = new EtcdRegistryAdapter({
      addresses: [etcd.address],
      layout: 'kratos',
      prefix: null,
      namespace: 'public',
    });
    open.push(kratos);
    const copy = { ...copyAt('10.0.2.1'), serviceName: 'orders.grpc' };
    await kratos.renewCopies(owner('1'));
    await kratos.applyCopies(owner('1'), [{ key: { ...KEY, name: 'orders.grpc' }, copies: [copy], removed: [] }]);
    expect([...(await keysUnder(kv, '/microservices/')).keys()].sort()).toEqual([
      '/microservices/.distro-sync/fence/t1',
      '/microservices/orders/10.0.2.1:9000',
    ]);
    expect(await kratos.check()).toMatchObject({ services: 1, instances: 1, otherKeys: 0 });
    expect((await kratos.snapshot(SELECT_ALL)).map((s) => s.key.name)).toEqual(['orders.grpc']);
    await kratos.withdrawCopies(owner('1'));
    expect(await keysUnder(kv, '/microservices/')).toEqual(new Map());
  });
});
