import { formatServiceKey } from '@/registry';
import type { CopyRecord } from '../reconcile/copy-plan';
import { SYNC_TASK_KEY, copyId } from '../reconcile/copy-plan';
import { TXN_OPS, deleteIfUnchanged, putIfUnchanged } from './etcd-client';
import type { EtcdClient, EtcdKv } from './etcd-client';
import { EtcdFence } from './etcd-fence';
import type { EtcdLayout } from './etcd-layouts';
import type { CopyOwner, RenewOutcome, ServiceCopies, TargetRegistry } from './target-registry';
import { CopyRefusedError } from './target-registry';

type Compared = ReturnType<typeof putIfUnchanged>;

/** A key of the task's, as read: its copy and the lease it hangs on. */
interface OwnKey {
  kv: EtcdKv;
  copy: CopyRecord;
}

/**
 * An etcd cluster written as a target, through one layout. Every copy of a task hangs on one
 * etcd lease of TTL `owner.ttlMs` (rounded up to seconds), granted by the holder and kept alive by
 * its renewals — nothing here renews on its own, so a holder that stops (killed, lease lost) lets
 * its copies expire one TTL later. A new holder's first renewal grants its own lease and moves
 * every copy of the task onto it (the same key and value written again: a reader sees an update,
 * never a gap). A copy is a key whose value carries the task's `syncTaskId`; a key held by anyone
 * else (a native registration at the same address) is never overwritten: the copy is refused.
 * Every write is conditional on the key being as it was read, so concurrent writers fail and retry,
 * and on the task's fence holding the writer's lease generation (EtcdFence): a holding that a newer
 * one has fenced out writes nothing and gets a CopyFencedError.
 */
export class EtcdTarget implements Pick<
  TargetRegistry,
  'applyCopies' | 'renewCopies' | 'withdrawCopies' | 'listCopies'
> {
  /** The lease each task's copies hang on, as granted by this holder. */
  private readonly leases = new Map<string, string>();
  private readonly fence: EtcdFence;

  constructor(
    private readonly client: EtcdClient,
    private readonly layout: EtcdLayout,
  ) {
    this.fence = new EtcdFence(client, layout);
  }

  async applyCopies(owner: CopyOwner, services: ServiceCopies[]): Promise<void> {
    await this.fence.raise(owner);
    const lease = await this.lease(owner);
    const writes: Compared[] = [];
    // etcd refuses a transaction naming one key twice; two services never share a key here.
    const written = new Set<string>();
    for (const { key, copies, removed } of services) {
      const wanted = new Map<string, { value: string; copy: CopyRecord }>();
      for (const copy of copies) {
        const write = this.layout.write(copy);
        const twin = wanted.get(write.key);
        if (written.has(write.key) && !twin) {
          throw new CopyRefusedError(`etcd key ${write.key} holds one instance: another service of this write has it`);
        }
        if (twin) {
          throw new CopyRefusedError(
            `etcd key ${write.key} holds one instance: ${copyId(twin.copy)} and ${copyId(copy)} of ${formatServiceKey(key)} would share it`,
          );
        }
        wanted.set(write.key, { value: write.value, copy });
      }
      // Where copies of this service may lie: its prefix, and the prefixes of the keys written now and before.
      const prefixes = new Set([this.layout.servicePrefix(key)]);
      for (const k of [...wanted.keys(), ...removed.map((c) => this.layout.write(c).key)]) {
        prefixes.add(k.slice(0, k.lastIndexOf('/') + 1));
      }
      const existing = new Map<string, EtcdKv>();
      for (const prefix of prefixes) for (const kv of (await this.client.range(prefix)).kvs) existing.set(kv.key, kv);
      const sid = formatServiceKey(key);
      for (const [k, want] of wanted) {
        const had = existing.get(k);
        if (had && !this.isOwn(owner, had)) {
          throw new CopyRefusedError(
            `etcd key ${k} is held by a registration that is not this task's copy; ${copyId(want.copy)} of ${sid} is not written over it`,
          );
        }
        written.add(k);
        if (had?.value === want.value && had.lease === lease) continue;
        writes.push(putIfUnchanged(k, want.value, lease, had?.modRevision));
      }
      for (const [k, kv] of existing) {
        if (wanted.has(k) || written.has(k) || !this.isOwn(owner, kv)) continue;
        if (!this.readCopy(kv).some((c) => formatServiceKey(serviceOf(c)) === sid)) continue;
        written.add(k);
        writes.push(deleteIfUnchanged(k, kv.modRevision));
      }
    }
    await this.commit(owner, writes);
  }

  async renewCopies(owner: CopyOwner): Promise<RenewOutcome> {
    // A new holding fences the older ones out before it takes their copies over.
    await this.fence.raise(owner);
    const held = this.leases.get(owner.taskId);
    if (held !== undefined) {
      if ((await this.client.keepAliveOnce(held)) > 0) return { present: true };
      // The lease ran out (this holder stalled past the TTL): its copies went with it.
      this.leases.delete(owner.taskId);
      await this.lease(owner);
      return { present: false };
    }
    // A new holder: take over whatever copies of the task an earlier holder left on its lease.
    const lease = await this.lease(owner);
    const own = await this.ownKeys(owner);
    await this.commit(
      owner,
      own
        .filter(({ kv }) => kv.lease !== lease)
        .map(({ kv }) => putIfUnchanged(kv.key, kv.value, lease, kv.modRevision)),
    );
    return { present: own.length > 0 };
  }

  async withdrawCopies(owner: CopyOwner): Promise<void> {
    await this.fence.raise(owner);
    const own = await this.ownKeys(owner);
    await this.commit(
      owner,
      own.map(({ kv }) => deleteIfUnchanged(kv.key, kv.modRevision)),
    );
    await this.fence.remove(owner);
    const held = this.leases.get(owner.taskId);
    if (held !== undefined) {
      await this.client.revoke(held);
      this.leases.delete(owner.taskId);
    }
  }

  /**
   * The task's copies. One still on another holder's lease is left out: this holder does not keep
   * it alive, so drift repair writes it again onto this holder's lease.
   */
  async listCopies(owner: CopyOwner): Promise<CopyRecord[]> {
    const lease = this.leases.get(owner.taskId);
    return (await this.ownKeys(owner)).filter(({ kv }) => kv.lease === lease).map(({ copy }) => copy);
  }

  /** Stops keeping nothing alive by itself; forgets the leases (they expire unless a next holder takes the copies over). */
  close(): void {
    this.leases.clear();
    this.fence.forget();
  }

  /** The task's lease, granted on first need. */
  private async lease(owner: CopyOwner): Promise<string> {
    const held = this.leases.get(owner.taskId);
    if (held !== undefined) return held;
    const id = await this.client.grant(Math.max(1, Math.ceil(owner.ttlMs / 1000)));
    this.leases.set(owner.taskId, id);
    return id;
  }

  /** Every key under the layout's prefix that is a copy of the task. */
  private async ownKeys(owner: CopyOwner): Promise<OwnKey[]> {
    const out: OwnKey[] = [];
    for (const kv of (await this.client.range(this.layout.prefix)).kvs) {
      if (!this.isOwn(owner, kv)) continue;
      for (const copy of this.readCopy(kv)) out.push({ kv, copy });
    }
    return out;
  }

  private isOwn(owner: CopyOwner, kv: EtcdKv): boolean {
    return this.readCopy(kv).some((c) => c.metadata[SYNC_TASK_KEY] === owner.taskId);
  }

  private readCopy(kv: EtcdKv): CopyRecord[] {
    return this.layout.read(kv.key, kv.value).map(({ service, instance }) => ({
      namespace: service.namespace,
      groupName: service.group,
      serviceName: service.name,
      clusterName: instance.clusterName,
      ip: instance.ip,
      port: instance.port,
      weight: instance.weight,
      healthy: instance.healthy,
      enabled: instance.enabled,
      metadata: instance.metadata,
    }));
  }

  /**
   * Writes in transactions of at most TXN_OPS; each applies only if none of its keys changed since
   * read and the task's fence still holds the owner's generation.
   */
  private async commit(owner: CopyOwner, writes: Compared[]): Promise<void> {
    const fenceKey = this.fence.key(owner.taskId);
    for (let i = 0; i < writes.length; i += TXN_OPS) {
      const chunk = writes.slice(i, i + TXN_OPS);
      const { succeeded, read } = await this.client.txn(
        [this.fence.holds(owner), ...chunk.map((w) => w.compare)],
        chunk.map((w) => w.op),
        [fenceKey],
      );
      if (succeeded) continue;
      const fenced = this.fence.fencedOut(owner, read);
      if (fenced) throw fenced;
      throw new Error('etcd keys of the task changed while they were written; the write is tried again');
    }
  }
}

function serviceOf(c: CopyRecord): { namespace: string; group: string; name: string } {
  return { namespace: c.namespace, group: c.groupName, name: c.serviceName };
}
