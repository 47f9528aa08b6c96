import type { DatabaseConfig } from '@/database/database.config';
import type { DistroConfig } from '@/distro/distro.config';
import { Metrics } from '@/observability';
import { Registry } from '@/registry';
import type { InstanceInput } from '@/registry';
import type { ClusterCheckers } from './health/cluster-checkers';
import { PersistentCopies, PersistentCopyConflict } from './persistent-copies';
import { PersistentInstances } from './persistent-instances';
import type { PersistentConfig } from './persistent.config';
import type { PersistentStore } from './persistent-store';
import { newerWrite } from './persistent-write';
import type { PersistentWrite } from './persistent-write';

const KEY = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'orders' };

/** The database as the SQL keeps it: one row per address, the newest stamp wins, marked rows findable. */
class MemoryStore {
  readonly rows = new Map<string, PersistentWrite>();
  saves = 0;
  timeoutMs = 0;

  save(write: PersistentWrite): Promise<boolean> {
    this.saves++;
    const id = `${write.key.name}|${write.cluster}|${write.ip}:${write.port}`;
    const held = this.rows.get(id);
    if (held !== undefined && !newerWrite(write, held)) return Promise.resolve(false);
    this.rows.set(id, write);
    return Promise.resolve(true);
  }

  loadMarked(key: string, value: string): Promise<PersistentWrite[]> {
    return Promise.resolve([...this.rows.values()].filter((w) => w.instance?.metadata?.[key] === value));
  }
}

const copy = (ip: string, taskId = 't1', over: Partial<InstanceInput> = {}): InstanceInput => ({
  ip,
  port: 80,
  weight: 1,
  healthy: true,
  enabled: true,
  ephemeral: false,
  clusterName: 'DEFAULT',
  metadata: { syncTaskId: taskId },
  ...over,
});

describe(PersistentCopies.name, () => {
  let registry: Registry;
  let store: MemoryStore;
  let instances: PersistentInstances;
  let sut: PersistentCopies;

  beforeEach(() => {
    registry = new Registry({ nodeId: 'a:1' });
    store = new MemoryStore();
    instances = new PersistentInstances(
      registry,
      store as unknown as PersistentStore,
      {} as ClusterCheckers,
      { writeTimeoutMs: 1000, reloadMs: 1000 } as PersistentConfig,
      { tombstoneTtlMs: 3_600_000 } as DistroConfig,
      { startupTimeoutMs: 1000 } as DatabaseConfig,
      new Metrics(),
    );
    sut = new PersistentCopies(registry, instances, store as unknown as PersistentStore);
  });

  const listed = () =>
    registry
      .listInstances(KEY)
      .map((i) => `${i.ip} e=${i.ephemeral} w=${i.weight} task=${i.metadata.syncTaskId ?? '-'}`)
      .sort();

  it('should write the copies as persistent instances, and write nothing for a copy held exactly', async () => {
    await sut.upsert('t1', KEY, [copy('10.0.0.1'), copy('10.0.0.2')]);
    expect(listed()).toEqual(['10.0.0.1 e=false w=1 task=t1', '10.0.0.2 e=false w=1 task=t1']);
    expect(store.saves).toBe(2);
    await sut.upsert('t1', KEY, [copy('10.0.0.1'), copy('10.0.0.2', 't1', { weight: 5 })]);
    expect(store.saves).toBe(3);
    expect(listed()).toContain('10.0.0.2 e=false w=5 task=t1');
  });

  it("should refuse copies into a service holding ephemeral instances, Nacos's words, writing none", async () => {
    registry.registerInstance('conn-1', 'connection', KEY, { ip: '10.0.9.9', port: 80 });
    const write = sut.upsert('t1', KEY, [copy('10.0.0.1')]);
    await expect(write).rejects.toThrow(PersistentCopyConflict);
    await expect(write).rejects.toThrow(
      "Current service DEFAULT_GROUP@@orders is ephemeral service, can't register persistent instance.",
    );
    expect(store.saves).toBe(0);
  });

  it("should not count the task's own ephemeral copies at the same addresses (a kind change replaces them)", () => {
    registry.registerInstance('sync:t1', 'sync', KEY, { ip: '10.0.0.1', port: 80, metadata: { syncTaskId: 't1' } });
    expect(() => sut.check('t1', KEY, [copy('10.0.0.1')])).not.toThrow();
    // Another address of the task's, or another task's at that address, is an ephemeral instance like any.
    expect(() => sut.check('t1', KEY, [copy('10.0.0.2')])).toThrow(PersistentCopyConflict);
    expect(() => sut.check('t2', KEY, [copy('10.0.0.1', 't2')])).toThrow(PersistentCopyConflict);
  });

  it("should refuse an address that holds a persistent instance that is not the task's copy", async () => {
    await instances.register(KEY, copy('10.0.0.1', 'x', { metadata: {} }));
    await expect(sut.upsert('t1', KEY, [copy('10.0.0.1')])).rejects.toThrow(/not this task's copy/);
    await sut.upsert('t2', KEY, [copy('10.0.0.2', 't2')]);
    await expect(sut.upsert('t1', KEY, [copy('10.0.0.2')])).rejects.toThrow(/not this task's copy/);
  });

  it("should remove only the task's copies, and withdraw every one of them the database holds", async () => {
    await instances.register(KEY, copy('10.0.0.9', 'x', { metadata: {} }));
    await sut.upsert('t1', KEY, [copy('10.0.0.1'), copy('10.0.0.2')]);
    await sut.upsert('t2', { ...KEY, name: 'other' }, [copy('10.0.0.3', 't2')]);
    expect(
      await sut.remove('t1', KEY, [
        { ip: '10.0.0.9', port: 80 },
        { ip: '10.0.0.1', port: 80 },
      ]),
    ).toBe(1);
    expect(listed()).toEqual(['10.0.0.2 e=false w=1 task=t1', '10.0.0.9 e=false w=1 task=-']);
    expect(sut.list('t1').map((h) => h.instance.ip)).toEqual(['10.0.0.2']);
    expect(await sut.withdrawAll('t1')).toBe(1);
    expect(listed()).toEqual(['10.0.0.9 e=false w=1 task=-']);
    expect(sut.list('t2').map((h) => h.instance.ip)).toEqual(['10.0.0.3']);
  });
});
