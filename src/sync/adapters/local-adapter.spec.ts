import type { DatabaseConfig } from '@/database/database.config';
import type { DistroConfig } from '@/distro/distro.config';
import { Metrics } from '@/observability';
import { Registry } from '@/registry';
import type { ClusterCheckers } from '@/persistent/health/cluster-checkers';
import { PersistentCopies } from '@/persistent/persistent-copies';
import { PersistentInstances } from '@/persistent/persistent-instances';
import type { PersistentConfig } from '@/persistent/persistent.config';
import type { PersistentStore } from '@/persistent/persistent-store';
import type { PersistentWrite } from '@/persistent/persistent-write';
import type { CopyRecord } from '../reconcile/copy-plan';
import { LocalRegistryAdapter } from './local-adapter';
import { isRefusedByTarget } from './target-registry';

const KEY = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'orders' };
const owner = { taskId: 't1', generation: '1', ttlMs: 60_000 };

/** The persistent_instance table in memory: the newest write per address. */
class MemoryStore {
  readonly rows = new Map<string, PersistentWrite>();
  timeoutMs = 0;
  save(write: PersistentWrite): Promise<boolean> {
    this.rows.set(`${write.key.name}|${write.cluster}|${write.ip}:${write.port}`, write);
    return Promise.resolve(true);
  }
  loadMarked(key: string, value: string): Promise<PersistentWrite[]> {
    return Promise.resolve([...this.rows.values()].filter((w) => w.instance?.metadata?.[key] === value));
  }
}

const copy = (ip: string, persistent: boolean, over: Partial<CopyRecord> = {}): CopyRecord => ({
  namespace: 'public',
  groupName: 'DEFAULT_GROUP',
  serviceName: 'orders',
  clusterName: 'DEFAULT',
  ip,
  port: 80,
  weight: 1,
  healthy: true,
  enabled: true,
  metadata: { syncTaskId: 't1', sourceClusterId: 'a' },
  ...(persistent ? { ephemeral: false } : {}),
  ...over,
});

describe(LocalRegistryAdapter.name, () => {
  let registry: Registry;
  let store: MemoryStore;
  let sut: LocalRegistryAdapter;

  beforeEach(() => {
    registry = new Registry({ nodeId: 'a:1' });
    store = new MemoryStore();
    const instances = new PersistentInstances(
      registry,
      store as unknown as PersistentStore,
      {} as ClusterCheckers,
      { writeTimeoutMs: 1000, reloadMs: 1000 } as PersistentConfig,
      { tombstoneTtlMs: 3_600_000 } as DistroConfig,
      { startupTimeoutMs: 1000 } as DatabaseConfig,
      new Metrics(),
    );
    const copies = new PersistentCopies(registry, instances, store as unknown as PersistentStore);
    sut = new LocalRegistryAdapter(registry, () => 'a:1', Date.now, copies);
  });

  const listed = () =>
    registry
      .listInstances(KEY)
      .map((i) => `${i.ip} ${i.ephemeral ? 'ephemeral' : 'persistent'} w=${i.weight}`)
      .sort();
  const apply = (copies: CopyRecord[], removed: CopyRecord[] = []) =>
    sut.applyCopies(owner, [{ key: KEY, copies, removed }]);

  it('should keep persistent copies as persistent instances and ephemeral ones under the sync client', async () => {
    await apply([copy('10.0.0.1', true), copy('10.0.0.2', true)]);
    expect(listed()).toEqual(['10.0.0.1 persistent w=1', '10.0.0.2 persistent w=1']);
    expect(store.rows.size).toBe(2);
    expect((await sut.listCopies(owner)).sort((a, b) => a.ip.localeCompare(b.ip))).toEqual([
      copy('10.0.0.1', true),
      copy('10.0.0.2', true),
    ]);
    // A persistent-only task has no lease: the runner re-applies only for ephemeral copies.
    expect(await sut.renewCopies(owner)).toEqual({ present: false });
  });

  it('should move a copy that changed kind from one kind to the other, both ways', async () => {
    await apply([copy('10.0.0.1', false)]);
    expect(listed()).toEqual(['10.0.0.1 ephemeral w=1']);
    await apply([copy('10.0.0.1', true, { weight: 3 })]);
    expect(listed()).toEqual(['10.0.0.1 persistent w=3']);
    expect(registry.exportClient('sync:t1')?.publications ?? []).toEqual([]);
    await apply([copy('10.0.0.1', false)]);
    expect(listed()).toEqual(['10.0.0.1 ephemeral w=1']);
    expect([...store.rows.values()].map((w) => w.instance)).toEqual([undefined]);
  });

  it('should remove the persistent copies no longer wanted, and withdraw them all with the task', async () => {
    await apply([copy('10.0.0.1', true), copy('10.0.0.2', true)]);
    await apply([copy('10.0.0.2', true)], [copy('10.0.0.1', true)]);
    expect(listed()).toEqual(['10.0.0.2 persistent w=1']);
    await sut.withdrawCopies(owner);
    expect(listed()).toEqual([]);
  });

  it('should refuse a persistent copy into an ephemeral service as the target refusing it, writing nothing there', async () => {
    registry.registerInstance('conn-1', 'connection', KEY, { ip: '10.0.9.9', port: 80 });
    const write = apply([copy('10.0.0.1', true)]);
    await expect(write).rejects.toThrow("is ephemeral service, can't register persistent instance");
    expect(isRefusedByTarget(await write.catch((err: unknown) => err))).toBe(true);
    expect(listed()).toEqual(['10.0.9.9 ephemeral w=1']);
  });
});
