import type { DatabaseConfig } from '@/database/database.config';
import type { DistroConfig } from '@/distro/distro.config';
import { Metrics } from '@/observability';
import { Registry } from '@/registry';
import type { ClusterCheckers } from './health/cluster-checkers';
import { PersistentInstances } from './persistent-instances';
import type { PersistentConfig } from './persistent.config';
import type { PersistentStore } from './persistent-store';
import { PersistentStoreError } from './persistent-store-error';
import type { PersistentWrite } from './persistent-write';

const KEY = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'orders' };

/** A database whose commits the test settles one by one, keeping the newest stamp per address as the SQL does. */
class ControlledStore {
  readonly rows = new Map<string, PersistentWrite>();
  readonly pending: Array<{ write: PersistentWrite; settle: (error?: Error) => void }> = [];
  timeoutMs = 0;

  save(write: PersistentWrite): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.pending.push({
        write,
        settle: (error) => {
          if (error) return reject(error);
          const key = `${write.ip}:${write.port}`;
          const held = this.rows.get(key);
          const newer = held === undefined || write.version > held.version;
          if (newer) this.rows.set(key, write);
          resolve(newer);
        },
      });
    });
  }
}

describe(PersistentInstances.name, () => {
  let registry: Registry;
  let store: ControlledStore;
  let sut: PersistentInstances;

  beforeEach(() => {
    registry = new Registry({ nodeId: 'a:1' });
    store = new ControlledStore();
    sut = new PersistentInstances(
      registry,
      store as unknown as PersistentStore,
      {} as ClusterCheckers,
      { writeTimeoutMs: 1000, reloadMs: 1000 } as PersistentConfig,
      { tombstoneTtlMs: 3_600_000 } as DistroConfig,
      { startupTimeoutMs: 1000 } as DatabaseConfig,
      new Metrics(),
    );
  });

  const listed = () => registry.listInstances(KEY).map((i) => `${i.ip}:${i.port} w=${i.weight} e=${i.ephemeral}`);
  const flush = () => new Promise((resolve) => setImmediate(resolve));

  it('should apply a write only once the database took it', async () => {
    const registered = sut.register(KEY, { ip: '10.0.0.1', port: 80, weight: 2 });
    await flush();
    expect(listed()).toEqual([]);
    store.pending[0].settle();
    await registered;
    expect(listed()).toEqual(['10.0.0.1:80 w=2 e=false']);
    expect(store.rows.get('10.0.0.1:80')?.instance).toMatchObject({ weight: 2, ephemeral: false });
  });

  it('should apply nothing when the database refuses the write, and say so', async () => {
    const registered = sut.register(KEY, { ip: '10.0.0.1', port: 80 });
    store.pending[0].settle(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    await expect(registered).rejects.toEqual(expect.any(PersistentStoreError));
    await expect(registered).rejects.toMatchObject({ kind: 'unavailable' });
    expect(listed()).toEqual([]);
  });

  it('should stamp a write when it is accepted: a registration committed after a later deregistration stays undone', async () => {
    const registered = sut.register(KEY, { ip: '10.0.0.1', port: 80 });
    const deregistered = sut.deregister(KEY, 'DEFAULT', '10.0.0.1', 80);
    store.pending[1].settle();
    await deregistered;
    store.pending[0].settle();
    await registered;
    expect(listed()).toEqual([]);
    expect(store.rows.get('10.0.0.1:80')?.instance).toBeUndefined();
    expect(store.pending[0].write.version).toBeLessThan(store.pending[1].write.version);
  });

  it('should update the whole instance from what the node holds, and refuse an address it does not hold', async () => {
    const registered = sut.register(KEY, { ip: '10.0.0.1', port: 80, weight: 2, metadata: { a: '1' } });
    store.pending[0].settle();
    await registered;
    expect(sut.update(KEY, 'DEFAULT', '10.0.0.9', 80, { weight: 3 })).toBeUndefined();
    const updated = sut.update(KEY, 'DEFAULT', '10.0.0.1', 80, { healthy: false });
    store.pending[1].settle();
    await updated;
    expect(store.rows.get('10.0.0.1:80')?.instance).toMatchObject({ weight: 2, healthy: false, metadata: { a: '1' } });
    expect(registry.getInstance(KEY, 'DEFAULT', '10.0.0.1', 80)?.healthy).toBe(false);
  });
});
