import type { DataSource, EntityManager, Repository } from 'typeorm';
import type { Page } from '@/admin/page.dto';
import { TaskEventEntity } from '../entities';

/** The columns of a new `task_event` row (id and time come from the database). */
export type NewTaskEvent = Pick<TaskEventEntity, 'taskId' | 'taskName' | 'kind' | 'actor' | 'message' | 'details'>;

/** `task_event`: the audit trail, newest first. */
export class EventRepository {
  private readonly repo: Repository<TaskEventEntity>;

  constructor(db: DataSource) {
    this.repo = db.getRepository(TaskEventEntity);
  }

  /** Appends an event, inside `tx` when given (the change it records commits with it). */
  async insert(event: NewTaskEvent, tx?: EntityManager): Promise<void> {
    const repo = tx ? tx.getRepository(TaskEventEntity) : this.repo;
    await repo.save(repo.create(event));
  }

  async page(taskId: string, page: number, pageSize: number): Promise<Page<TaskEventEntity>> {
    const [items, total] = await this.repo.findAndCount({
      where: { taskId },
      order: { createdAt: 'DESC', id: 'DESC' },
      skip: (page - 1) * pageSize,
      take: pageSize,
    });
    return { items, total, page, pageSize };
  }
}
