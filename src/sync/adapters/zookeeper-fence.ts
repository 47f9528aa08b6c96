import { Exception } from 'node-zookeeper-client';
import type { CopyOwner } from './target-registry';
import { CopyFencedError } from './target-registry';
import { CreateMode, failedOpOf, isZooKeeperCode } from './zookeeper-client';
import type { ZooKeeperConnection, ZooKeeperOp } from './zookeeper-client';

/**
 * Where distro-sync keeps its tasks' fences in a ZooKeeper (under the cluster's chroot): beside the
 * layouts' roots, not under one, so no Dubbo or Spring Cloud reader ever lists it as a service.
 */
export const FENCE_DIR = '/distro-sync';
export const FENCE_ROOT = `${FENCE_DIR}/fence`;
/** Raising races only with other raisers: a few tries settle it. */
const RAISE_TRIES = 5;

/**
 * The fence of each task in a ZooKeeper target: a persistent znode `/distro-sync/fence/<taskId>`
 * whose data is the lease generation of the newest holding that wrote there. A holding raises it
 * once, before its first write, and only upward (a setData conditional on the version it read),
 * which moves the znode's version; every write of copies is then a `multi` that begins with a
 * `check` of the version this holding left, so once a newer holding has raised the fence an older
 * one's writes fail whole, and `guard` says so with a CopyFencedError.
 */
export class ZooKeeperFence {
  /** The generation this instance raised each task's fence to, and the version that left it at. */
  private readonly raised = new Map<string, { generation: string; version: number }>();

  constructor(private readonly zk: ZooKeeperConnection) {}

  path(taskId: string): string {
    return `${FENCE_ROOT}/${taskId}`;
  }

  /** Raises the task's fence to the owner's generation, once per generation; CopyFencedError when a newer one holds it. */
  async raise(owner: CopyOwner): Promise<void> {
    if (this.raised.get(owner.taskId)?.generation === owner.generation) return;
    const path = this.path(owner.taskId);
    const mine = BigInt(owner.generation);
    const data = Buffer.from(owner.generation);
    for (let i = 0; i < RAISE_TRIES; i++) {
      let read: { data: Buffer | undefined; version: number } | undefined;
      try {
        const { data: stored, stat } = await this.zk.getData(path);
        read = { data: stored, version: stat.version };
      } catch (err) {
        if (!isZooKeeperCode(err, Exception.NO_NODE)) throw err;
      }
      try {
        if (read === undefined) {
          await this.zk.ensurePath(FENCE_ROOT);
          await this.zk.create(path, data, CreateMode.PERSISTENT);
          this.raised.set(owner.taskId, { generation: owner.generation, version: 0 });
          return;
        }
        const stored = generationIn(read.data);
        if (stored > mine) throw this.fencedOut(owner, `its fence ${path} holds generation ${stored}`);
        if (stored < mine) await this.zk.setData(path, data, read.version);
        this.raised.set(owner.taskId, {
          generation: owner.generation,
          version: stored < mine ? read.version + 1 : read.version,
        });
        return;
      } catch (err) {
        // Another holding raised or created it between the read and the write: read again.
        if (!isZooKeeperCode(err, Exception.BAD_VERSION) && !isZooKeeperCode(err, Exception.NODE_EXISTS)) throw err;
      }
    }
    throw new Error(`zookeeper fence ${path} kept changing while it was raised; tried again at the next call`);
  }

  /**
   * Runs `ops` as one `multi` that first checks the fence is where the owner's raise left it; a
   * failed check is the CopyFencedError, any other refusal rejects as ZooKeeper answered it.
   */
  async guard(owner: CopyOwner, ops: readonly ZooKeeperOp[]): Promise<void> {
    const raised = this.raised.get(owner.taskId);
    if (raised?.generation !== owner.generation) {
      throw new Error(`zookeeper fence of task ${owner.taskId} not raised to generation ${owner.generation}`);
    }
    const path = this.path(owner.taskId);
    try {
      await this.zk.multi([{ op: 'check', path, version: raised.version }, ...ops]);
    } catch (err) {
      if (failedOpOf(err) !== 0) throw err;
      throw this.fencedOut(
        owner,
        isZooKeeperCode(err, Exception.NO_NODE)
          ? `its fence ${path} is gone (the task was deleted)`
          : `its fence ${path} moved past version ${raised.version}: a newer holding raised it`,
      );
    }
  }

  /** Removes the task's fence (the task is gone) while it is still the owner's. */
  async remove(owner: CopyOwner): Promise<void> {
    const raised = this.raised.get(owner.taskId);
    if (raised?.generation !== owner.generation) return;
    const path = this.path(owner.taskId);
    try {
      await this.zk.remove(path, raised.version);
    } catch (err) {
      if (isZooKeeperCode(err, Exception.BAD_VERSION)) throw this.fencedOut(owner, `its fence ${path} moved`);
      // Gone already: a deletion tried again.
      if (!isZooKeeperCode(err, Exception.NO_NODE)) throw err;
    }
    this.raised.delete(owner.taskId);
  }

  forget(): void {
    this.raised.clear();
  }

  private fencedOut(owner: CopyOwner, why: string): CopyFencedError {
    return new CopyFencedError(owner.taskId, owner.generation, why);
  }
}

/** The generation a fence's data holds; 0 for anything else (it is raised over). */
function generationIn(data: Buffer | undefined): bigint {
  const text = data?.toString() ?? '';
  return /^\d{1,20}$/.test(text) ? BigInt(text) : 0n;
}
