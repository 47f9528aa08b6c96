import { BadGatewayException, BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
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
import type { TaskDryRunDto } from './task-update.dto';

/** Lists in a diff are cut at this many entries; the counts are always complete. */
const MAX_LISTED = 1000;
/** The task id a new task's dry run stamps on its copies (it has no id yet, and no ledger). */
const NEW_TASK_ID = '00000000-0000-0000-0000-000000000000';

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
    return this.plan(task.sourceClusterId, task.targetClusterId, task, { taskId: task.id });
  }

  /**
   * A dry run of a task not created or not changed yet: with `taskId`, that task's clusters and
   * ledger under the selector given (a PATCH preview); without, a new task's first round (all adds).
   */
  async dryRun(dto: TaskDryRunDto): Promise<TaskDiff> {
    if (dto.taskId === undefined) {
      const sourceClusterId = dto.sourceClusterId ?? '';
      const targetClusterId = dto.targetClusterId ?? '';
      if (sourceClusterId === targetClusterId)
        throw new BadRequestException(['targetClusterId must differ from sourceClusterId']);
      await this.clusterOrBadRequest(targetClusterId, 'targetClusterId');
      const selector = {
        namespace: dto.namespace ?? 'public',
        groupName: dto.groupName ?? 'DEFAULT_GROUP',
        serviceName: dto.serviceName ?? '*',
        exclude: dto.exclude ?? [],
      };
      await this.clusterOrBadRequest(sourceClusterId, 'sourceClusterId');
      return this.plan(sourceClusterId, targetClusterId, selector, { taskId: NEW_TASK_ID });
    }
    const { task } = await this.tasks.get(dto.taskId);
    const changedClusters = [
      dto.sourceClusterId !== undefined && dto.sourceClusterId !== task.sourceClusterId && 'sourceClusterId',
      dto.targetClusterId !== undefined && dto.targetClusterId !== task.targetClusterId && 'targetClusterId',
    ].filter((f): f is string => typeof f === 'string');
    if (changedClusters.length > 0)
      throw new BadRequestException(changedClusters.map((f) => `${f} cannot change: it is the task's own`));
    const selector = {
      namespace: dto.namespace ?? task.namespace,
      groupName: dto.groupName ?? task.groupName,
      serviceName: dto.serviceName ?? task.serviceName,
      exclude: dto.exclude ?? task.exclude,
    };
    return this.plan(task.sourceClusterId, task.targetClusterId, selector, { taskId: task.id });
  }

  private async clusterOrBadRequest(id: string, field: string): Promise<void> {
    try {
      await this.clusters.get(id);
    } catch (err) {
      if (err instanceof NotFoundException) throw new BadRequestException([`${field} names no cluster`]);
      throw err;
    }
  }

  /** Desired copies from the source under `selector`, against the ledger of `ledgerOf.taskId`. */
  private async plan(
    sourceClusterId: string,
    targetClusterId: string,
    selector: TaskSelector,
    ledgerOf: { taskId: string },
  ): Promise<TaskDiff> {
    const source = await this.clusters.get(sourceClusterId);
    const target = await this.clusters.get(targetClusterId);
    const adapter = this.adapters.create(source, this.clusters.secretsOf(source));
    try {
      const select = new ServiceSelector(selector);
      const context = {
        taskId: ledgerOf.taskId,
        sourceClusterId: source.id,
        sourceClusterName: source.name,
        targetClusterId,
        persistentCopies: keepsPersistentCopies(target.kind),
      };
      const desired: CopyRecord[] = [];
      for (const s of await this.sourceSnapshot(adapter, selector, source.name)) {
        if (select.matches(s.key)) desired.push(...desiredCopies(s.key, s.instances, context));
      }
      const written = ledgerOf.taskId === NEW_TASK_ID ? [] : await this.ledger.load(ledgerOf.taskId);
      const diff = diffCopies(desired, written);
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
