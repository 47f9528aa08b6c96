import type { CopyRecord } from '../../src/sync/reconcile/copy-plan';

/**
 * A copy as a sync task hands it to a target adapter: one healthy, enabled instance of weight 1 at `ip:port`
 * in public / DEFAULT_GROUP, cluster DEFAULT, carrying `metadata` (the task's marks and any more).
 */
export function copyRecord(
  serviceName: string,
  ip: string,
  port: number,
  metadata: Record<string, string>,
): CopyRecord {
  return {
    namespace: 'public',
    groupName: 'DEFAULT_GROUP',
    serviceName,
    clusterName: 'DEFAULT',
    ip,
    port,
    weight: 1,
    healthy: true,
    enabled: true,
    metadata,
  };
}
