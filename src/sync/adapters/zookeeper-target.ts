import { batchError, forEachBounded } from '@/common/bounded';
import { Exception } from 'node-zookeeper-client';
import type { Stat } from 'node-zookeeper-client';
import type { CopyRecord } from '../reconcile/copy-plan';
import { SYNC_TASK_KEY, copyId, copyKey, sameCopy, serviceId } from '../reconcile/copy-plan';
import { CopyRefusedError, isFencedOut } from './target-registry';
import type { CopyOwner, RenewOutcome, ServiceCopies, TargetRegistry } from './target-registry';
import { CreateMode, isZooKeeperCode } from './zookeeper-client';
import { ZooKeeperFence } from './zookeeper-fence';
import type { ZooKeeperReader } from './zookeeper-source';

const CONCURRENCY = 32;

interface HeldCopy {
  path: string;
  record: CopyRecord;
}

interface FoundCopy {
  path: string;
  record: CopyRecord;
  data: Buffer;
  stat: Stat;
}

/**
 * A ZooKeeper written as a task's target. Every copy is an EPHEMERAL znode of this holder's
 * session, so a dead holder's copies vanish when the server times the session out (the session
 * timeout is the copies' TTL). A new holder takes the previous holder's copies over at its first
 * renewal: each is replaced by the same znode under its own session in one atomic transaction
 * (remove + create), so a reader never sees it missing. Copies are found again by their marks
 * (`syncTaskId` and the copy facts, see zookeeper-layouts.ts). Every create, change and removal of
 * a copy is a `multi` that checks the task's fence first (ZooKeeperFence): a holding that a newer
 * one has fenced out writes nothing and gets a CopyFencedError.
 */
export class ZooKeeperTarget implements Omit<TargetRegistry, 'check' | 'close'> {
  /** The copies this session holds, by copyKey. */
  private readonly held = new Map<string, HeldCopy>();
  /** The session `held` belongs to; another one means they expired with it. */
  private session: string | undefined;
  /** Whether this session took over the task's copies already in the target. */
  private adopted = false;
  private readonly ensured = new Set<string>();
  private readonly fence: ZooKeeperFence;

  constructor(
    private readonly reader: ZooKeeperReader,
    private readonly clock: () => number = Date.now,
  ) {
    this.fence = new ZooKeeperFence(reader.zk);
  }

  /** Whether this target ever held copies: closing then must leave them to their session timeout. */
  get holdsCopies(): boolean {
    return this.session !== undefined;
  }

  async applyCopies(owner: CopyOwner, services: ServiceCopies[]): Promise<void> {
    await this.ready(owner);
    const layout = this.reader.layout;
    const ops: Array<() => Promise<void>> = [];
    // A znode holds one copy. ZooKeeper has no groups: copies of one service name from two groups
    // land on one znode in the JSON layouts (`<service>/<ip:port>`), and the second is refused.
    const pathHolders = new Map([...this.held].map(([id, h]) => [h.path, { id, record: h.record }]));
    for (const { key, copies, removed } of services) {
      const wanted = new Set<string>();
      for (const copy of copies) {
        const id = copyKey(copy);
        wanted.add(id);
        const place = layout.placeCopy(copy, this.clock());
        const dirPath = layout.instancesPath(place.dir);
        const path = `${dirPath}/${place.node}`;
        const holder = pathHolders.get(path);
        if (holder !== undefined && holder.id !== id) {
          throw new CopyRefusedError(
            `${path} holds the copy of ${copyId(holder.record)} in ${serviceId(holder.record)}; ${copyId(copy)} of ${serviceId(copy)} would share it (ZooKeeper has no groups: a task writing into it should select one group)`,
          );
        }
        pathHolders.set(path, { id, record: copy });
        const had = this.held.get(id);
        if (had && had.path === path && sameCopy(had.record, copy)) continue;
        ops.push(async () => {
          await this.ensureDir(dirPath);
          if (had && had.path === path) {
            await this.fence.guard(owner, [{ op: 'setData', path, data: place.data }]).catch((err: unknown) => {
              if (!isZooKeeperCode(err, Exception.NO_NODE)) throw err;
              return this.create(owner, path, place.data, place.dir, place.node);
            });
          } else if (had) {
            // The znode's name changes with the copy (a Dubbo URL holds its parameters): swap atomically.
            await this.replace(owner, had.path, path, place.data);
          } else {
            await this.create(owner, path, place.data, place.dir, place.node);
          }
          this.held.set(id, { path, record: copy });
        });
      }
      const sid = serviceId({ namespace: key.namespace, groupName: key.group, serviceName: key.name });
      const unwanted = new Map<string, string>();
      for (const [id, h] of this.held) if (serviceId(h.record) === sid && !wanted.has(id)) unwanted.set(id, h.path);
      for (const gone of removed) {
        const id = copyKey(gone);
        if (wanted.has(id) || unwanted.has(id)) continue;
        try {
          const place = layout.placeCopy(gone, this.clock());
          unwanted.set(id, `${layout.instancesPath(place.dir)}/${place.node}`);
        } catch {
          // A copy the layout cannot hold was never written.
        }
      }
      for (const [id, path] of unwanted) {
        ops.push(async () => {
          await this.removeIfThere(owner, path);
          this.held.delete(id);
        });
      }
    }
    const failures = await forEachBounded(ops, CONCURRENCY, (op) => op());
    if (failures.length > 0) throw writesFailed('ZooKeeper writes', failures, ops.length);
  }

  /**
   * Ephemeral znodes live as long as the session, which the client keeps alive by itself: the
   * renewal checks that it is still the session the copies were written in (`present: false` when
   * it expired and they went with it) and, the first time, takes over the task's copies an earlier
   * holder left. Rejects at once while the connection is down (the client's pings keep the session
   * and say when the connection is lost, so a connected renewal needs no call).
   */
  async renewCopies(owner: CopyOwner): Promise<RenewOutcome> {
    const zk = this.reader.zk;
    // Disconnected from a session that may well live on: say so at once, never hold the lease round
    // up waiting for the reconnect (the client reconnects by itself).
    if (zk.sessionId !== undefined && !zk.isConnected) {
      throw new Error(`zookeeper ${zk.hosts}: disconnected; the session and its copies live until its timeout`);
    }
    const lost = await this.ready(owner);
    return { present: !lost && this.held.size > 0 };
  }

  async withdrawCopies(owner: CopyOwner): Promise<void> {
    await this.reader.zk.ready();
    await this.fence.raise(owner);
    const found = await this.scan(owner.taskId);
    const failures = await forEachBounded(found, CONCURRENCY, (c) => this.removeIfThere(owner, c.path));
    if (failures.length > 0) throw writesFailed('znode removals', failures, found.length);
    await this.fence.remove(owner);
    this.held.clear();
  }

  async listCopies(owner: CopyOwner): Promise<CopyRecord[]> {
    return (await this.scan(owner.taskId)).map((c) => c.record);
  }

  /**
   * Connects, notices a new session (the copies of the last one expired with it: returns true when
   * some were held), raises the task's fence to the owner's generation (once per generation) and
   * takes over what earlier holders left, once per session.
   */
  private async ready(owner: CopyOwner): Promise<boolean> {
    const zk = this.reader.zk;
    await zk.ready();
    let lost = false;
    if (this.session !== zk.sessionId) {
      lost = this.held.size > 0;
      this.held.clear();
      this.ensured.clear();
      this.adopted = false;
      this.session = zk.sessionId;
    }
    await this.fence.raise(owner);
    if (!this.adopted) {
      await this.adopt(owner);
      this.adopted = true;
    }
    return lost;
  }

  /** Every copy of the task in the target under another session is recreated, atomically, under this one. */
  private async adopt(owner: CopyOwner): Promise<void> {
    const mine = this.session;
    const found = await this.scan(owner.taskId);
    const failures = await forEachBounded(found, CONCURRENCY, async (c) => {
      if (c.stat.ephemeralOwner.toString('hex') !== mine) {
        await this.fence.guard(owner, [
          { op: 'remove', path: c.path, version: c.stat.version },
          { op: 'create', path: c.path, data: c.data, mode: CreateMode.EPHEMERAL },
        ]);
      }
      this.held.set(copyKey(c.record), { path: c.path, record: c.record });
    });
    if (failures.length > 0) throw writesFailed('copy takeovers', failures, found.length);
  }

  /** Every znode of the layout that is a copy of the task, with its data and stat. */
  private async scan(taskId: string): Promise<FoundCopy[]> {
    const { zk, layout } = this.reader;
    const dirs = await this.reader.dirs();
    const out: FoundCopy[] = [];
    const failures = await forEachBounded(dirs, CONCURRENCY, async (dir) => {
      const path = layout.instancesPath(dir);
      let nodes: string[];
      try {
        nodes = await zk.getChildren(path);
      } catch (err) {
        if (isZooKeeperCode(err, Exception.NO_NODE)) return;
        throw err;
      }
      for (const node of nodes) {
        // Dubbo URLs carry the marks in the name: only copies of the task are read.
        if (!layout.readsData && layout.readCopy(dir, node, undefined)?.metadata[SYNC_TASK_KEY] !== taskId) continue;
        let read: { data: Buffer | undefined; stat: Stat };
        try {
          read = await zk.getData(`${path}/${node}`);
        } catch (err) {
          if (isZooKeeperCode(err, Exception.NO_NODE)) continue;
          throw err;
        }
        const record = layout.readCopy(dir, node, read.data);
        if (record?.metadata[SYNC_TASK_KEY] !== taskId) continue;
        out.push({ path: `${path}/${node}`, record, data: read.data ?? Buffer.alloc(0), stat: read.stat });
      }
    });
    if (failures.length > 0) throw batchError('directory reads', failures, dirs.length);
    return out;
  }

  private async create(owner: CopyOwner, path: string, data: Buffer, dir: string, node: string): Promise<void> {
    const zk = this.reader.zk;
    try {
      await this.fence.guard(owner, [{ op: 'create', path, data, mode: CreateMode.EPHEMERAL }]);
      return;
    } catch (err) {
      if (!isZooKeeperCode(err, Exception.NODE_EXISTS)) throw err;
    }
    // A znode of that name exists: a copy an earlier session left is taken over; a native instance
    // at the same address (a provider registered in both registries) is left alone.
    const existing = await zk.getData(path).catch(() => undefined);
    if (existing && this.reader.layout.readCopy(dir, node, existing.data) === undefined) {
      throw new CopyRefusedError(`${path} is registered natively in ZooKeeper; the copy stays out`);
    }
    await this.replace(owner, path, path, data);
  }

  private async replace(owner: CopyOwner, from: string, to: string, data: Buffer): Promise<void> {
    try {
      await this.fence.guard(owner, [
        { op: 'remove', path: from },
        { op: 'create', path: to, data, mode: CreateMode.EPHEMERAL },
      ]);
    } catch (err) {
      // The old one is gone already: a plain create.
      if (!isZooKeeperCode(err, Exception.NO_NODE)) throw err;
      await this.fence.guard(owner, [{ op: 'create', path: to, data, mode: CreateMode.EPHEMERAL }]);
    }
  }

  private async removeIfThere(owner: CopyOwner, path: string): Promise<void> {
    await this.fence.guard(owner, [{ op: 'remove', path }]).catch((err: unknown) => {
      if (!isZooKeeperCode(err, Exception.NO_NODE)) throw err;
    });
  }

  /** Persistent parents, as Dubbo and Curator create them; once per session and directory. */
  private async ensureDir(path: string): Promise<void> {
    if (this.ensured.has(path)) return;
    await this.reader.zk.ensurePath(path);
    this.ensured.add(path);
  }
}

/** One error for a batch of failed writes; a fenced-out one wins, since retrying cannot help. */
function writesFailed(what: string, failures: readonly unknown[], total: number): Error {
  const fenced = failures.find(isFencedOut);
  return fenced instanceof Error ? fenced : batchError(what, failures, total);
}
