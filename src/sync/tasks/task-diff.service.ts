import { BadGatewayException, Injectable } from '@nestjs/common';
import { scrubbedMessage } from '@/common/secret-scrubber';
import { AdapterFactory } from '../adapters/adapter-factory';
import type { ServiceSnapshot, SourceRegistry } from '../adapters/source-registry';
import { ClusterService } from '../clusters/cluster.service';
import { keepsPersistentCopies } from '../clusters/cluster-kinds';
import { ServiceSelector, desiredCopies, diffCopies } from '../reconcile/copy-plan';
import type { CopyDiff, CopyRecord, TaskSelector } from '../reconcile/copy-plan';
import type { LedgerRepository } from '../store/ledger.repository';
import { SyncStore } from '../store/sync-store';
import { TaskService } from './task.service';

/** Lists in a diff are cut at this many entries; the counts are always complete. */
const MAX_LISTED = 1000;

export interface TaskDiff {
  counts: { add: number; update: number; remove: number };
  diff: CopyDiff;
  truncated: boolean;
}

/** A dry run of a reconcile: what it would add, update and remove in the target right now. */
@Injectable()
export class TaskDiffService {
  private readonly ledger: LedgerRepository;

  constructor(
    store: SyncStore,
    private readonly tasks: TaskService,
    private readonly clusters: ClusterService,
    private readonly adapters: AdapterFactory,
  ) {
    this.ledger = store.ledger;
  }

  async diff(taskId: string): Promise<TaskDiff> {
    const { task } = await this.tasks.get(taskId);
    const source = await this.clusters.get(task.sourceClusterId);
    const target = await this.clusters.get(task.targetClusterId);
    const adapter = this.adapters.create(source, this.clusters.secretsOf(source));
    try {
      const selector = {
        namespace: task.namespace,
        groupName: task.groupName,
        serviceName: task.serviceName,
        exclude: task.exclude,
      };
      const select = new ServiceSelector(selector);
      const context = {
        taskId: task.id,
        sourceClusterId: source.id,
        sourceClusterName: source.name,
        targetClusterId: task.targetClusterId,
        persistentCopies: keepsPersistentCopies(target.kind),
      };
      const desired: CopyRecord[] = [];
      for (const s of await this.sourceSnapshot(adapter, selector, source.name)) {
        if (select.matches(s.key)) desired.push(...desiredCopies(s.key, s.instances, context));
      }
      const diff = diffCopies(desired, await this.ledger.load(task.id));
      const counts = { add: diff.add.length, update: diff.update.length, remove: diff.remove.length };
      const truncated = Object.values(counts).some((n) => n > MAX_LISTED);
      return {
        counts,
        truncated,
        diff: {
          add: diff.add.slice(0, MAX_LISTED),
          update: diff.update.slice(0, MAX_LISTED),
          remove: diff.remove.slice(0, MAX_LISTED),
        },
      };
    } finally {
      await adapter.close();
    }
  }

  /** The source's services, or a 502 naming the cluster when it cannot answer: its failure, not ours. */
  private async sourceSnapshot(
    adapter: SourceRegistry,
    selector: TaskSelector,
    clusterName: string,
  ): Promise<ServiceSnapshot[]> {
    try {
      return await adapter.snapshot(selector);
    } catch (err) {
      throw new BadGatewayException(`source cluster ${clusterName} did not answer: ${scrubbedMessage(err)}`);
    }
  }
}
