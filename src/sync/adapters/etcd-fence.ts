import type { ICompare } from 'etcd3';
import type { EtcdClient } from './etcd-client';
import type { EtcdLayout } from './etcd-layouts';
import type { CopyOwner } from './target-registry';
import { CopyFencedError } from './target-registry';

/** Generations are Postgres bigints (19 digits at most): padded, etcd's byte order is their order. */
const WIDTH = 20;
/** Raising races only with other raisers: a few tries settle it. */
const RAISE_TRIES = 5;

/** A generation as the fence holds it. */
export function fenceValue(generation: string): string {
  return generation.padStart(WIDTH, '0');
}

/**
 * The fence of each task in an etcd target: one key under the layout's reserved path
 * (`<prefix>/.distro-sync/fence/<taskId>`, no lease) holding the lease generation of the newest
 * holding that wrote there. A holding raises it once, before its first write, and only upward (a
 * transaction comparing the stored value); every write of copies then carries `holds(owner)`, so
 * once a newer holding has raised it an older one's writes fail whole, and `fencedOut` says so.
 */
export class EtcdFence {
  /** The generation this instance raised the fence to, per task. */
  private readonly raised = new Map<string, string>();

  constructor(
    private readonly client: EtcdClient,
    private readonly layout: EtcdLayout,
  ) {}

  key(taskId: string): string {
    return this.layout.fenceKey(taskId);
  }

  /** Raises the task's fence to the owner's generation, once per generation; CopyFencedError when a newer one holds it. */
  async raise(owner: CopyOwner): Promise<void> {
    if (this.raised.get(owner.taskId) === owner.generation) return;
    const key = Buffer.from(this.key(owner.taskId));
    const mine = fenceValue(owner.generation);
    const put = { request_put: { key, value: Buffer.from(mine) } };
    for (let i = 0; i < RAISE_TRIES; i++) {
      const below = await this.client.txn(
        [{ key, target: 'Value', result: 'Less', value: Buffer.from(mine) }],
        [put],
        [key.toString()],
      );
      const stored = below.read.get(key.toString());
      if (below.succeeded || stored === mine) {
        this.raised.set(owner.taskId, owner.generation);
        return;
      }
      if (stored !== undefined && stored > mine) throw this.fencedBy(owner, stored);
      // No fence yet (etcd fails a value compare on a missing key): create it, unless someone just did.
      if (
        stored === undefined &&
        (await this.client.txn([{ key, target: 'Create', result: 'Equal', create_revision: 0 }], [put])).succeeded
      ) {
        this.raised.set(owner.taskId, owner.generation);
        return;
      }
    }
    throw new Error(`etcd fence ${key.toString()} kept changing while it was raised; tried again at the next call`);
  }

  /** The compare every write of the owner carries: the fence still holds the owner's generation. */
  holds(owner: CopyOwner): ICompare {
    return {
      key: Buffer.from(this.key(owner.taskId)),
      target: 'Value',
      result: 'Equal',
      value: Buffer.from(fenceValue(owner.generation)),
    };
  }

  /**
   * After a failed transaction that carried `holds(owner)` and read the fence key on failure: the
   * CopyFencedError when the fence no longer holds the owner's generation, undefined when another
   * compare failed.
   */
  fencedOut(owner: CopyOwner, read: ReadonlyMap<string, string>): CopyFencedError | undefined {
    const stored = read.get(this.key(owner.taskId));
    return stored === fenceValue(owner.generation) ? undefined : this.fencedBy(owner, stored);
  }

  /** Removes the task's fence (the task is gone) while it still holds the owner's generation. */
  async remove(owner: CopyOwner): Promise<void> {
    const key = this.key(owner.taskId);
    const { succeeded, read } = await this.client.txn(
      [this.holds(owner)],
      [{ request_delete_range: { key: Buffer.from(key) } }],
      [key],
    );
    this.raised.delete(owner.taskId);
    // Gone already (a deletion tried again) is done; a newer generation is not this holder's to remove.
    if (!succeeded && read.has(key)) throw this.fencedBy(owner, read.get(key));
  }

  forget(): void {
    this.raised.clear();
  }

  private fencedBy(owner: CopyOwner, stored: string | undefined): CopyFencedError {
    const what =
      stored === undefined
        ? `its fence ${this.key(owner.taskId)} is gone (the task was deleted)`
        : `its fence ${this.key(owner.taskId)} holds generation ${stored.replace(/^0+(?=\d)/, '')}`;
    return new CopyFencedError(owner.taskId, owner.generation, what);
  }
}
