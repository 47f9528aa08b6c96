import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { mapConstraintErrors } from '@/admin/constraint-errors';
import type { Page } from '@/admin/page.dto';
import type { ClusterEntity, SyncTaskEntity, TaskStatus } from '../entities';
import type { TaskChanges } from '../store/task.repository';
import { SyncStore } from '../store/sync-store';
import type { TaskCreateDto, TaskListQueryDto, TaskView } from './task.dto';
import type { TaskUpdateDto } from './task-update.dto';
import { TaskEventLog } from './task-event-log';

const CONFLICTS = {
  UQ_sync_task_name: 'a task with this name exists',
  UQ_sync_task_selector: 'a task with the same clusters and selector exists',
  FK_sync_task_source: 'sourceClusterId names no cluster',
  FK_sync_task_target: 'targetClusterId names no cluster',
};

const ADMIN = 'admin';

/** What to copy where; every change is recorded in the audit trail in the same transaction. */
@Injectable()
export class TaskService {
  constructor(
    private readonly store: SyncStore,
    private readonly events: TaskEventLog,
  ) {}

  async create(dto: TaskCreateDto): Promise<TaskView> {
    const id = await this.store.tasks.transaction((tx) => this.insertIn(tx, dto));
    return this.get(id);
  }

  /**
   * Changes a task's definition. The holder sees the new row at its next lease round and moves the
   * task to the new desired set: copies that stay selected are left as they are, the others are
   * withdrawn under protect mode like any other deletion.
   */
  async update(id: string, dto: TaskUpdateDto): Promise<TaskView> {
    await this.store.tasks.transaction((tx) => this.change(tx, id, dto));
    return this.get(id);
  }

  /** Marks every task for deletion, or none when one id names no task (404 naming them). */
  async removeMany(ids: string[]): Promise<TaskView[]> {
    const unique = [...new Set(ids)];
    await this.store.tasks.transaction(async (tx) => {
      const found = await this.store.tasks.findByIds(unique, tx);
      const missing = unique.filter((id) => !found.some((t) => t.id === id));
      if (missing.length > 0)
        throw new NotFoundException(`no task has the id ${missing.join(', ')}; nothing was deleted`);
      for (const task of found) {
        if (task.status === 'deleting') continue;
        if (!(await this.store.tasks.setStatus(tx, task.id, ['running', 'paused'], 'deleting')))
          throw new ConflictException(`task ${task.id} changed meanwhile; nothing was deleted, retry`);
        await this.events.record(
          {
            taskId: task.id,
            taskName: task.name,
            kind: 'delete-requested',
            actor: ADMIN,
            message: 'deletion requested (batch): copies will be withdrawn',
          },
          tx,
        );
      }
    });
    return this.views(unique);
  }

  /** Creates every task or none. */
  async createBatch(dtos: TaskCreateDto[]): Promise<TaskView[]> {
    const ids = await this.store.tasks.transaction(async (tx) => {
      const out: string[] = [];
      for (const [i, dto] of dtos.entries()) {
        try {
          out.push(await this.insertIn(tx, dto));
        } catch (err) {
          if (err instanceof BadRequestException || err instanceof ConflictException) {
            const body = err.getResponse() as { message?: unknown };
            const messages = Array.isArray(body.message) ? body.message : [body.message];
            const prefixed = messages.map((m) => `tasks.${i}: ${String(m)}`);
            throw err instanceof ConflictException
              ? new ConflictException(prefixed.join('; '))
              : new BadRequestException(prefixed);
          }
          throw err;
        }
      }
      return out;
    });
    return Promise.all(ids.map((id) => this.get(id)));
  }

  async list(query: TaskListQueryDto): Promise<Page<TaskView>> {
    const { ids, total } = await this.store.tasks.page(query, query.page, query.pageSize);
    return { items: await this.views(ids), total, page: query.page, pageSize: query.pageSize };
  }

  async get(id: string): Promise<TaskView> {
    const [view] = await this.views([id]);
    if (!view) throw new NotFoundException(`task ${id} not found`);
    return view;
  }

  async pause(id: string): Promise<TaskView> {
    return this.transition(id, 'paused', ['running'], 'paused', 'paused by an operator: copies kept, no changes');
  }

  async resume(id: string): Promise<TaskView> {
    return this.transition(id, 'running', ['paused'], 'resumed', 'resumed by an operator');
  }

  /** Marks the task for deletion; its holder withdraws the copies in its ledger, then drops the row. */
  async remove(id: string): Promise<TaskView> {
    return this.transition(
      id,
      'deleting',
      ['running', 'paused', 'deleting'],
      'delete-requested',
      'deletion requested: copies will be withdrawn',
    );
  }

  async requestResync(id: string): Promise<TaskView> {
    const view = await this.get(id);
    if (view.task.status === 'deleting') throw new ConflictException('the task is being deleted');
    await this.store.tasks.transaction(async (tx) => {
      await this.store.tasks.stampRequest(tx, id, 'resync');
      await this.events.record(
        {
          taskId: id,
          taskName: view.task.name,
          kind: 'resync-requested',
          actor: ADMIN,
          message: 'full resync requested',
        },
        tx,
      );
    });
    return this.get(id);
  }

  async requestHoldRelease(id: string): Promise<TaskView> {
    const view = await this.get(id);
    const hold = view.state?.hold;
    if (!hold) throw new ConflictException('the task holds no deletions');
    await this.store.tasks.transaction(async (tx) => {
      await this.store.tasks.stampRequest(tx, id, 'holdRelease');
      await this.events.record(
        {
          taskId: id,
          taskName: view.task.name,
          kind: 'hold-release-requested',
          actor: ADMIN,
          message: 'release of held deletions requested',
          details: { ...hold },
        },
        tx,
      );
    });
    return this.get(id);
  }

  /** Pauses or resumes a task inside `tx` (an import that carries the status); false when it already was. */
  async setRunningIn(
    tx: EntityManager,
    task: SyncTaskEntity,
    to: 'running' | 'paused',
    actor = ADMIN,
  ): Promise<boolean> {
    if (task.status === to) return false;
    const from: TaskStatus = to === 'running' ? 'paused' : 'running';
    if (!(await this.store.tasks.setStatus(tx, task.id, [from], to)))
      throw new ConflictException(`task ${task.name} is ${task.status} and cannot become ${to}`);
    await this.events.record(
      {
        taskId: task.id,
        taskName: task.name,
        kind: to === 'running' ? 'resumed' : 'paused',
        actor,
        message: `${to === 'running' ? 'resumed' : 'paused'} by an import`,
      },
      tx,
    );
    return true;
  }

  private async transition(
    id: string,
    to: TaskStatus,
    from: TaskStatus[],
    kind: string,
    message: string,
  ): Promise<TaskView> {
    const view = await this.get(id);
    if (view.task.status === to) return view;
    if (!from.includes(view.task.status)) throw new ConflictException(`a ${view.task.status} task cannot become ${to}`);
    await this.store.tasks.transaction(async (tx) => {
      if (!(await this.store.tasks.setStatus(tx, id, from, to)))
        throw new ConflictException('the task changed meanwhile; retry');
      await this.events.record({ taskId: id, taskName: view.task.name, kind, actor: ADMIN, message }, tx);
    });
    return this.get(id);
  }

  /**
   * Applies `dto` to the task inside `tx` (PATCH, import); returns the names of the fields that
   * changed (none: nothing written, no event).
   */
  async change(tx: EntityManager, id: string, dto: TaskUpdateDto, actor = ADMIN): Promise<string[]> {
    const task = await this.store.tasks.findForUpdate(tx, id);
    if (!task) throw new NotFoundException(`task ${id} not found`);
    if (task.status === 'deleting') throw new ConflictException('the task is being deleted and cannot change');
    const changes: TaskChanges = {};
    const changed: Record<string, { from: unknown; to: unknown }> = {};
    for (const field of ['name', 'namespace', 'groupName', 'serviceName', 'exclude', 'maxDeleteRatio'] as const) {
      const to = dto[field];
      if (to === undefined || JSON.stringify(to) === JSON.stringify(task[field])) continue;
      changed[field] = { from: task[field], to };
      Object.assign(changes, { [field]: to });
    }
    const fields = Object.keys(changed);
    if (fields.length === 0) return [];
    const next = { ...task, ...changes };
    const [source, target] = await this.clustersOf(tx, task);
    const problems = nacosSelectorProblems(next, source, target);
    if (problems.length > 0) throw new BadRequestException(problems);
    await this.refuseDuplicates(tx, next, { named: true, source, target }, task.id);
    await mapConstraintErrors(() => this.store.tasks.change(tx, id, changes), CONFLICTS);
    await this.events.record(
      {
        taskId: id,
        taskName: next.name,
        kind: 'updated',
        actor,
        message: `changed ${fields.join(', ')}: now copies ${selectorText(next)} from ${source.name} to ${target.name}`,
        details: changed,
      },
      tx,
    );
    return fields;
  }

  /**
   * A 409 naming the task that already copies the same selector between the same clusters, or
   * already has the name: the operator learns which task to look at, not just that one exists.
   */
  private async refuseDuplicates(
    tx: EntityManager,
    task: Pick<
      SyncTaskEntity,
      'name' | 'sourceClusterId' | 'targetClusterId' | 'namespace' | 'groupName' | 'serviceName'
    >,
    how: { named: boolean; source: ClusterEntity; target: ClusterEntity },
    self?: string,
  ): Promise<void> {
    const same = await this.store.tasks.findSame(tx, {
      sourceClusterId: task.sourceClusterId,
      targetClusterId: task.targetClusterId,
      namespace: task.namespace,
      groupName: task.groupName,
      serviceName: task.serviceName,
    });
    if (same && same.id !== self) {
      throw new ConflictException(
        `task ${same.id} (${same.name}) already copies the same selector ${selectorText(task)} from ${how.source.name} to ${how.target.name}; change that task (PATCH /api/v1/tasks/${same.id}) or choose another selector`,
      );
    }
    const named = await this.store.tasks.findByName(tx, task.name);
    if (named && named.id !== self) {
      throw new ConflictException(
        how.named
          ? `a task named ${task.name} exists: ${named.id}`
          : `the name generated for this task, ${task.name}, is taken by task ${named.id} (which copies another selector); give this task a name`,
      );
    }
  }

  private async clustersOf(tx: EntityManager, task: SyncTaskEntity): Promise<[ClusterEntity, ClusterEntity]> {
    const clusters = await this.store.clusters.findByIds([task.sourceClusterId, task.targetClusterId], tx);
    const source = clusters.find((c) => c.id === task.sourceClusterId);
    const target = clusters.find((c) => c.id === task.targetClusterId);
    if (!source || !target) throw new ConflictException('the clusters of the task are gone');
    return [source, target];
  }

  /** Creates a task inside `tx` (create, batch, import); returns its id. */
  async insertIn(tx: EntityManager, dto: TaskCreateDto, actor = ADMIN): Promise<string> {
    if (dto.sourceClusterId === dto.targetClusterId)
      throw new BadRequestException(['targetClusterId must differ from sourceClusterId']);
    const clusters = await this.store.clusters.findByIds([dto.sourceClusterId, dto.targetClusterId], tx);
    const source = clusters.find((c) => c.id === dto.sourceClusterId);
    const target = clusters.find((c) => c.id === dto.targetClusterId);
    const missing = [
      !source && 'sourceClusterId names no cluster',
      !target && 'targetClusterId names no cluster',
    ].filter(Boolean);
    if (missing.length > 0 || !source || !target) throw new BadRequestException(missing);
    const kindProblems = nacosSelectorProblems(dto, source, target);
    if (kindProblems.length > 0) throw new BadRequestException(kindProblems);
    const name =
      dto.name ?? `${source.name}>${target.name}:${dto.namespace}/${dto.groupName}@@${dto.serviceName}`.slice(0, 128);
    await this.refuseDuplicates(
      tx,
      { ...dto, name, sourceClusterId: source.id, targetClusterId: target.id },
      { named: dto.name !== undefined, source, target },
    );
    const saved = await mapConstraintErrors(
      () =>
        this.store.tasks.insert(tx, {
          name,
          sourceClusterId: source.id,
          targetClusterId: target.id,
          namespace: dto.namespace,
          groupName: dto.groupName,
          serviceName: dto.serviceName,
          exclude: dto.exclude,
          maxDeleteRatio: dto.maxDeleteRatio,
          status: 'running',
        }),
      CONFLICTS,
    );
    await this.store.states.insertEmpty(tx, saved.id);
    await this.events.record(
      {
        taskId: saved.id,
        taskName: name,
        kind: 'created',
        actor,
        message: `copies ${selectorText(dto)} from ${source.name} to ${target.name}`,
      },
      tx,
    );
    return saved.id;
  }

  private async views(ids: string[]): Promise<TaskView[]> {
    if (ids.length === 0) return [];
    const tasks = await this.store.tasks.findByIds(ids);
    const states = await this.store.states.findByTaskIds(ids);
    const leases = await this.store.leases.holders(ids);
    const byId = new Map(tasks.map((t) => [t.id, t]));
    return ids.flatMap((id) => {
      const task = byId.get(id);
      if (!task) return [];
      const lease = leases.find((l) => l.taskId === id);
      return [
        {
          task,
          owner: lease?.owner ?? null,
          leaseExpiresAt: lease?.expiresAt ?? null,
          state: states.find((s) => s.taskId === id) ?? null,
        },
      ];
    });
  }
}

/**
 * A nacos or etcd cluster serves the namespace it is registered with: a task writing into one must
 * use it. As a source, a nacos cluster is read in any namespace, or across namespaces and groups by
 * pattern (its console lists them); an etcd one takes `*` for its one namespace.
 */
function nacosSelectorProblems(
  dto: Pick<TaskCreateDto, 'namespace'>,
  source: ClusterEntity,
  target: ClusterEntity,
): string[] {
  const problems: string[] = [];
  for (const [side, cluster] of [
    ['source', source],
    ['target', target],
  ] as const) {
    const ns = cluster.namespace ?? 'public';
    // etcd has no namespaces: an etcd cluster holds the services of its one namespace, like a nacos cluster.
    const oneNamespace = cluster.kind === 'nacos' || cluster.kind === 'etcd';
    const read = side === 'source' && (cluster.kind === 'nacos' || dto.namespace === '*');
    if (oneNamespace && dto.namespace !== ns && !read) {
      problems.push(
        `namespace must be ${ns}: the ${side} ${cluster.kind} cluster ${cluster.name} is registered for that namespace`,
      );
    }
  }
  return problems;
}

/** `namespace/group@@service`, and the exclusions when there are any. */
function selectorText(
  t: Pick<TaskCreateDto, 'namespace' | 'groupName' | 'serviceName'> & { exclude?: string[] },
): string {
  const base = `${t.namespace}/${t.groupName}@@${t.serviceName}`;
  return t.exclude && t.exclude.length > 0 ? `${base} except ${t.exclude.join(', ')}` : base;
}
