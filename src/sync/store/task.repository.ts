import { In } from 'typeorm';
import type { DataSource, EntityManager, Repository } from 'typeorm';
import { sqlRows } from '@/database/sql';
import { SyncTaskEntity } from '../entities';
import type { TaskStatus } from '../entities';

/** The columns of a new `sync_task` row (id, times and requests come from the database). */
export type NewTask = Pick<
  SyncTaskEntity,
  | 'name'
  | 'sourceClusterId'
  | 'targetClusterId'
  | 'namespace'
  | 'groupName'
  | 'serviceName'
  | 'exclude'
  | 'maxDeleteRatio'
  | 'status'
>;

/** The columns a task's definition may change (PATCH, import). */
export type TaskChanges = Partial<
  Pick<SyncTaskEntity, 'name' | 'namespace' | 'groupName' | 'serviceName' | 'exclude' | 'maxDeleteRatio' | 'status'>
>;

/** What makes two tasks the same (UQ_sync_task_selector). */
export type TaskIdentity = Pick<
  SyncTaskEntity,
  'sourceClusterId' | 'targetClusterId' | 'namespace' | 'groupName' | 'serviceName'
>;

/** What the task list can be narrowed by; `name` matches any part of the name, regardless of case. */
export interface TaskFilter {
  status?: TaskStatus;
  sourceClusterId?: string;
  targetClusterId?: string;
  name?: string;
}

/**
 * `sync_task`: what to copy where, and the operators' requests to its holder. The statements a
 * change makes together with its audit event take the transaction's manager (`transaction`).
 */
export class TaskRepository {
  private readonly repo: Repository<SyncTaskEntity>;

  constructor(private readonly db: DataSource) {
    this.repo = db.getRepository(SyncTaskEntity);
  }

  /** Runs `work` in one transaction; the repositories' `tx` parameters take its manager. */
  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  async count(): Promise<number> {
    const rows = await sqlRows<{ n: number }>(this.db, `SELECT count(*)::int AS n FROM sync_task`);
    return rows[0]?.n ?? 0;
  }

  /** The ids of one page of the tasks `filter` selects, by name, and how many it selects. */
  async page(filter: TaskFilter, page: number, pageSize: number): Promise<{ ids: string[]; total: number }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown): void => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.status) add('t.status = ?', filter.status);
    if (filter.sourceClusterId) add('t.source_cluster_id = ?', filter.sourceClusterId);
    if (filter.targetClusterId) add('t.target_cluster_id = ?', filter.targetClusterId);
    if (filter.name) add(`t.name ILIKE ?`, `%${filter.name.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const [{ n }] = await sqlRows<{ n: number }>(
      this.db,
      `SELECT count(*)::int AS n FROM sync_task t ${clause}`,
      params,
    );
    const ids = await sqlRows<{ id: string }>(
      this.db,
      `SELECT t.id FROM sync_task t ${clause} ORDER BY t.name LIMIT ${pageSize} OFFSET ${(page - 1) * pageSize}`,
      params,
    );
    return { ids: ids.map((r) => r.id), total: n };
  }

  /** The tasks of the given ids that exist, inside `tx` when given (with one pooled connection, it must be). */
  async findByIds(ids: string[], tx?: EntityManager): Promise<SyncTaskEntity[]> {
    return tx ? tx.findBy(SyncTaskEntity, { id: In(ids) }) : this.repo.findBy({ id: In(ids) });
  }

  async findOne(id: string): Promise<SyncTaskEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /** The task, its row locked for the rest of `tx` (a change reads it, checks, then writes). */
  async findForUpdate(tx: EntityManager, id: string): Promise<SyncTaskEntity | null> {
    return tx.findOne(SyncTaskEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /** The task with this name (exact), inside `tx`. */
  async findByName(tx: EntityManager, name: string): Promise<SyncTaskEntity | null> {
    return tx.findOneBy(SyncTaskEntity, { name });
  }

  /** The task that copies the same selector between the same clusters, inside `tx`. */
  async findSame(tx: EntityManager, same: TaskIdentity): Promise<SyncTaskEntity | null> {
    return tx.findOneBy(SyncTaskEntity, { ...same });
  }

  /** Every task by name, for an export or a lookup by a derived id (a few thousand rows at most). */
  async all(tx?: EntityManager): Promise<SyncTaskEntity[]> {
    return (tx ?? this.db.manager).find(SyncTaskEntity, { order: { name: 'ASC' } });
  }

  /** Writes a change to a task's definition (id, clusters and requests stay). */
  async change(tx: EntityManager, id: string, changes: TaskChanges): Promise<void> {
    await tx.update(SyncTaskEntity, { id }, changes);
  }

  async insert(tx: EntityManager, task: NewTask): Promise<SyncTaskEntity> {
    return tx.save(tx.create(SyncTaskEntity, task));
  }

  /** Moves a task to `to` if it is in one of `from`; false when it was not (it changed meanwhile). */
  async setStatus(tx: EntityManager, id: string, from: TaskStatus[], to: TaskStatus): Promise<boolean> {
    const result = await tx.update(SyncTaskEntity, { id, status: In(from) }, { status: to });
    return Boolean(result.affected);
  }

  /** Stamps an operator's request (a full resync, the release of held deletions) for the holder to see. */
  async stampRequest(tx: EntityManager, id: string, request: 'resync' | 'holdRelease'): Promise<void> {
    await tx.update(
      SyncTaskEntity,
      { id },
      request === 'resync' ? { resyncRequestedAt: () => 'now()' } : { holdReleaseRequestedAt: () => 'now()' },
    );
  }

  /** Drops a task that is being deleted (the deletion's last statement, in its fenced transaction). */
  async deleteDeleting(tx: EntityManager, id: string): Promise<void> {
    await tx.query(`DELETE FROM sync_task WHERE id = $1 AND status = 'deleting'`, [id]);
  }
}
