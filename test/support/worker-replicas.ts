import { spawnNode } from './node-process';
import type { NodeProcess } from './node-process';

/**
 * `count` sync worker replicas of one region as node processes (`env` names their database, token and task
 * lease), renewing their leases every 300 ms and reconciling fully every second unless `env` says otherwise:
 * the specs that SIGKILL the holder of a task. The processes are returned at once, so a spec's clean-up can
 * kill them even when one never gets ready; their `ready` gives their bases.
 */
export function spawnWorkers(count: number, env: Record<string, string>): NodeProcess[] {
  return Array.from({ length: count }, () =>
    spawnNode({ SYNC_LEASE_RENEW_MS: '300', SYNC_FULL_RECONCILE_MS: '1000', ...env }),
  );
}
