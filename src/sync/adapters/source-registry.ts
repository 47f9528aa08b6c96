import type { ServiceKey } from '@/registry';
import type { SourceInstance, TaskSelector } from '../reconcile/copy-plan';
import type { RegistryEndpoint } from './registry-endpoint';

/** One source service as it is now: the unit of change a task reacts to. */
export interface ServiceSnapshot {
  key: ServiceKey;
  /** Every instance of the service, copies from other regions included (the plan leaves those out). */
  instances: readonly SourceInstance[];
}

export interface SourceWatch {
  /** Ends the feed: no `onService` or `onError` call starts after it returns. Idempotent. */
  close(): void;
}

/**
 * A registry read as a task's source. It reports services and their instances as they are; it
 * never writes, and it knows nothing of the task's copies, ledger or target.
 */
export interface SourceRegistry extends RegistryEndpoint {
  /**
   * Every service that matches the selector now, each with all its instances, in no particular
   * order; a matching service with no instances may be listed empty or left out (both mean "none").
   * All or nothing: rejects when any part of the read failed, so a partial read is never taken
   * for services that vanished (a rejection means "the source cannot be read", and the task keeps
   * its copies). A selector the registry cannot serve (e.g. a group pattern where the registry
   * lists per group) rejects with a message naming the limitation. Safe to call concurrently.
   */
  snapshot(selector: TaskSelector): Promise<ServiceSnapshot[]>;
  /**
   * Starts a feed of changes: `onService` with a full, fresh snapshot of one matching service
   * each time it changes (a service that vanished comes with no instances). The calls for one
   * service arrive in the order of its changes, and the latest call is its state; changes may be
   * coalesced, and a snapshot equal to the previous one may be repeated (the task takes it as
   * idempotent). There is no initial dump: the task reads `snapshot` after starting the watch.
   * `onError` says the feed broke or a round of it failed (the task reports the source
   * unreachable); the watch keeps trying to recover on its own until closed, and a source whose
   * feed cannot break may never call it. Neither callback is called after `close()`.
   */
  watch(selector: TaskSelector, onService: (s: ServiceSnapshot) => void, onError: (err: Error) => void): SourceWatch;
}
