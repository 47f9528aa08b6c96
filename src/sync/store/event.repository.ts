import type { DataSource, EntityManager, Repository } from 'typeorm';
import { In } from 'typeorm';
import type { Page } from '@/admin/page.dto';
import { sqlRows } from '@/database/sql';
import { TaskEventEntity } from '../entities';

/** The columns of a new `task_event` row (id and time come from the database). */
export type NewTaskEvent = Pick<TaskEventEntity, 'taskId' | 'taskName' | 'kind' | 'actor' | 'message' | 'details'> & {
  /** The clusters of an event that names no task (a cluster's own change); a task's are its source and target. */
  clusterIds?: string[];
};

/** What `GET /api/v1/events` narrows the trail by; every part optional, all must hold. */
export interface EventFilter {
  taskId?: string;
  clusterId?: string;
  kinds?: string[];
  /** Inclusive. */
  since?: Date;
  /** Exclusive. */
  until?: Date;
}

/** `task_event`: the audit trail, newest first; it keeps the ids of tasks and clusters that are gone. */
export class EventRepository {
  private readonly repo: Repository<TaskEventEntity>;

  constructor(private readonly db: DataSource) {
    this.repo = db.getRepository(TaskEventEntity);
  }

  /**
   * Appends an event, inside `tx` when given (the change it records commits with it). A task's
   * event takes the task's clusters from its row in the same statement, so no caller looks them up.
   */
  async insert(event: NewTaskEvent, tx?: EntityManager): Promise<void> {
    await (tx ?? this.db.manager).query(
      `INSERT INTO task_event (task_id, task_name, kind, actor, message, details, cluster_ids)
       VALUES ($1::uuid, $2, $3, $4, $5, $6::jsonb,
               COALESCE((SELECT ARRAY[source_cluster_id, target_cluster_id] FROM sync_task WHERE id = $1::uuid), $7::uuid[]))`,
      [
        event.taskId,
        event.taskName,
        event.kind,
        event.actor,
        event.message,
        event.details === null ? null : JSON.stringify(event.details),
        event.clusterIds ?? [],
      ],
    );
  }

  async page(taskId: string, page: number, pageSize: number): Promise<Page<TaskEventEntity>> {
    return this.search({ taskId }, page, pageSize);
  }

  /** One page of the events `filter` selects, newest first, and how many it selects. */
  async search(filter: EventFilter, page: number, pageSize: number): Promise<Page<TaskEventEntity>> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown): void => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.taskId) add('task_id = ?::uuid', filter.taskId);
    if (filter.clusterId) add('cluster_ids @> ARRAY[?::uuid]', filter.clusterId);
    if (filter.kinds?.length) add('kind = ANY(?::varchar[])', filter.kinds);
    if (filter.since) add('created_at >= ?', filter.since);
    if (filter.until) add('created_at < ?', filter.until);
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const [{ n }] = await sqlRows<{ n: number }>(
      this.db,
      `SELECT count(*)::int AS n FROM task_event ${clause}`,
      params,
    );
    const ids = await sqlRows<{ id: string }>(
      this.db,
      `SELECT id FROM task_event ${clause} ORDER BY created_at DESC, id DESC LIMIT ${pageSize} OFFSET ${(page - 1) * pageSize}`,
      params,
    );
    const rows = ids.length ? await this.repo.findBy({ id: In(ids.map((r) => r.id)) }) : [];
    const byId = new Map(rows.map((r) => [String(r.id), r]));
    return { items: ids.flatMap((r) => byId.get(String(r.id)) ?? []), total: n, page, pageSize };
  }
}
