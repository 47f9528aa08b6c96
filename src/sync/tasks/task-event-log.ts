import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager, Repository } from 'typeorm';
import type { Page } from '@/admin/page.dto';
import { storableJson, storableText } from '@/common/storable-text';
import { TaskEventEntity } from '../entities';

export interface TaskEventInput {
  taskId: string | null;
  taskName: string | null;
  kind: string;
  /** `admin` for API calls, the worker id for what a replica did. */
  actor: string;
  message: string;
  details?: Record<string, unknown>;
}

/**
 * The audit trail: every admin action and every state change a worker saw, kept after the task.
 * Messages and details pass the secret scrubber here, whatever wrote them.
 */
@Injectable()
export class TaskEventLog {
  private readonly repo: Repository<TaskEventEntity>;

  constructor(db: DataSource) {
    this.repo = db.getRepository(TaskEventEntity);
  }

  async record(event: TaskEventInput, tx?: EntityManager): Promise<void> {
    const repo = tx ? tx.getRepository(TaskEventEntity) : this.repo;
    await repo.save(
      repo.create({
        taskId: event.taskId,
        taskName: event.taskName,
        kind: event.kind.slice(0, 64),
        actor: event.actor.slice(0, 128),
        message: storableText(event.message, 2048),
        details: event.details ? (storableJson(event.details) as Record<string, unknown>) : null,
      }),
    );
  }

  async list(taskId: string, page: number, pageSize: number): Promise<Page<TaskEventEntity>> {
    const [items, total] = await this.repo.findAndCount({
      where: { taskId },
      order: { createdAt: 'DESC', id: 'DESC' },
      skip: (page - 1) * pageSize,
      take: pageSize,
    });
    return { items, total, page, pageSize };
  }
}
