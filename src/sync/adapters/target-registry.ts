import type { ServiceKey } from '@/registry';
import type { CopyRecord } from '../reconcile/copy-plan';
import type { RegistryEndpoint } from './registry-endpoint';

/** Who writes copies into a target, and under which holding of the task's lease. */
export interface CopyOwner {
  taskId: string;
  /** The lease generation: targets that can fence refuse writes from an older holding. */
  generation: string;
  /** How long copies stay visible without a renewal (survives the death of the writer). */
  ttlMs: number;
}

export interface ServiceCopies {
  key: ServiceKey;
  /** The task's complete set of copies in that service; empty = none left there. */
  copies: CopyRecord[];
  /** Copies of the task in that service that are no longer wanted (adapters that patch rather than replace use it). */
  removed: CopyRecord[];
}

/** `present: false` when the target no longer has the task's copies (it restarted, or they lapsed). */
export interface RenewOutcome {
  present: boolean;
}

/**
 * A registry written as a task's target. It holds the task's copies (instances marked with the
 * task's id) and keeps them alive while the holder of the task's lease renews them; they lapse
 * by their TTL when nobody does. It never decides what to copy: the reconciler does. The writes of
 * one task (apply, withdraw) come one at a time from its holder; `renewCopies` and `listCopies`
 * may overlap them.
 *
 * Errors: a rejection means the call did not (fully) take effect and may be retried as is; all
 * calls are idempotent. A refusal for the content of a write (bad input for this registry, which
 * retrying cannot cure) is told apart from a target that is down by `isRefusedByTarget`: throw a
 * `CopyRefusedError` (or an error the function already recognises) for it, anything else for the rest.
 */
export interface TargetRegistry extends RegistryEndpoint {
  /**
   * Makes the task's copies in each given service exactly `copies`: adds the missing, updates the
   * changed in place (no withdraw-and-add gap a reader could see), removes the task's others there
   * (`removed` lists those the ledger knew of; a target that replaces whole sets may ignore it).
   * Services not given are not touched. Applying the same set again changes nothing. On a
   * rejection some services may have been written and others not: the task applies them all again.
   * Copies carry the owner's TTL; a target that can fence refuses an owner of an older generation
   * with a `CopyFencedError` (so do `renewCopies` and `withdrawCopies`).
   */
  applyCopies(owner: CopyOwner, services: ServiceCopies[]): Promise<void>;
  /**
   * Extends the life of every copy of the task by `owner.ttlMs` from now: one call per task, not
   * one per copy, made more often than the TTL. A new holder renews first thing, adopting the
   * previous holder's copies with no gap; a target that fences raises the task's fence to
   * `owner.generation` first (only upward), so from then on an older holding's writes are refused.
   * `present: false` says the target lost the task's copies (it restarted, or they lapsed), so the
   * task applies them all again. Rejects when the target cannot be reached (the task reports it
   * unreachable and keeps going).
   */
  renewCopies(owner: CopyOwner): Promise<RenewOutcome>;
  /**
   * Removes every copy of the task from the target, including ones an earlier holder wrote that
   * this instance never saw, and stops keeping any alive. Idempotent: withdrawing a task with no
   * copies resolves. Rejects when not all could be removed (the deletion is tried again). A target
   * that fences removes the task's fence last: the task is gone.
   */
  withdrawCopies(owner: CopyOwner): Promise<void>;
  /**
   * The copies of the task the target holds now, in no particular order, as they would be written
   * (so a copy that matches the ledger compares equal with `sameCopy`); used to find drift
   * (copies changed or removed behind the task's back). Rejects when the target cannot be read;
   * the task then skips drift repair for that round.
   */
  listCopies(owner: CopyOwner): Promise<CopyRecord[]>;
}

/**
 * A target that fences its writes by the lease generation (etcd, ZooKeeper) found the task's fence
 * raised by a newer holding: this writer lost the task's lease, nothing was written, and retrying
 * cannot help. The runner stops writing for the task and reports it.
 */
export class CopyFencedError extends Error {
  constructor(
    readonly taskId: string,
    readonly generation: string,
    detail: string,
  ) {
    super(`task ${taskId} at lease generation ${generation} is fenced out of the target: ${detail}`);
    this.name = 'CopyFencedError';
  }
}

/** Whether a failed call was a target fencing out an older holding (the error or one of its causes). */
export function isFencedOut(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof CopyFencedError) return true;
  }
  return false;
}

/** A target that refuses a write for its content (bad input for it), not for being unreachable. */
export class CopyRefusedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CopyRefusedError';
  }
}

const GRPC_INVALID_ARGUMENT = 3;
const BAD_REQUEST = 400;

/**
 * Whether a failed write was refused for what it carried — retrying the same copies cannot help,
 * so the task isolates them — as opposed to a target that is down or refuses the credential. Reads
 * the error and its causes: a CopyRefusedError, a gRPC INVALID_ARGUMENT (registry API), an HTTP
 * 400 (Nacos HTTP v1) or a Nacos error answer 400 (INVALID_PARAM, Nacos gRPC).
 */
export function isRefusedByTarget(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof CopyRefusedError) return true;
    const { code, details, status, errorCode } = e as Record<string, unknown>;
    if (code === GRPC_INVALID_ARGUMENT && typeof details === 'string') return true;
    if (status === BAD_REQUEST || errorCode === BAD_REQUEST) return true;
  }
  return false;
}
