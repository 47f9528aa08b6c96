import type { ServiceKey } from '@/registry';
import type { CopyRecord, SourceInstance, TaskSelector } from '../reconcile/copy-plan';

/** One source service as it is now: the unit of change a task reacts to. */
export interface ServiceSnapshot {
  key: ServiceKey;
  instances: readonly SourceInstance[];
}

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

export interface ReachabilityReport {
  reachable: boolean;
  latencyMs: number;
  version?: string;
  /** The wire protocol the adapter speaks to the registry (`grpc` or `http-v1` for nacos clusters). */
  protocol?: string;
  error?: string;
}

/** `present: false` when the target no longer has the task's copies (it restarted, or they lapsed). */
export interface RenewOutcome {
  present: boolean;
}

export interface SourceWatch {
  close(): void;
}

/**
 * One registry as a sync task sees it — read as a source, written as a target. One implementation
 * per cluster kind (local in-process, distro over the registry API, nacos over the Nacos gRPC
 * client or, for Nacos 1.x, HTTP v1), so the reconciler knows nothing of transports.
 */
export interface RegistryAdapter {
  /** Every service matching the selector, with its instances. */
  snapshot(selector: TaskSelector): Promise<ServiceSnapshot[]>;
  /** Calls `onService` with a fresh snapshot of each matching service that changes; `onError` when the feed breaks. */
  watch(selector: TaskSelector, onService: (s: ServiceSnapshot) => void, onError: (err: Error) => void): SourceWatch;
  /** Makes the task's copies in each given service exactly the given set. */
  applyCopies(owner: CopyOwner, services: ServiceCopies[]): Promise<void>;
  /** Keeps every copy of the task alive: one call per task, not one per instance. */
  renewCopies(owner: CopyOwner): Promise<RenewOutcome>;
  /** Removes every copy of the task. */
  withdrawCopies(owner: CopyOwner): Promise<void>;
  /** The copies the target holds for the task, to repair drift. */
  listCopies(owner: CopyOwner): Promise<CopyRecord[]>;
  check(): Promise<ReachabilityReport>;
  close(): Promise<void>;
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
