import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Page } from '@/admin/page.dto';
import { currentPrincipal } from '@/admin/principal';
import { storableJson, storableText } from '@/common/storable-text';
import type { TaskEventEntity } from '../entities';
import type { EventFilter } from '../store/event.repository';
import { SyncStore } from '../store/sync-store';

export interface TaskEventInput {
  taskId: string | null;
  taskName: string | null;
  kind: string;
  /**
   * `admin` for API calls (recorded as the caller: a session's username, `admin-token`, or
   * `anonymous` in open mode), the worker id for what a replica did.
   */
  actor: string;
  message: string;
  details?: Record<string, unknown>;
  /** An event about clusters rather than a task (a task's event takes the task's source and target). */
  clusterIds?: string[];
}

/**
 * The audit trail: every admin action and every state change a worker saw, kept after the task.
 * Messages and details pass the secret scrubber here, whatever wrote them.
 */
@Injectable()
export class TaskEventLog {
  constructor(private readonly store: SyncStore) {}

  /** Records an event, inside `tx` when given (the change it records commits with it). */
  async record(event: TaskEventInput, tx?: EntityManager): Promise<void> {
    await this.store.events.insert(
      {
        taskId: event.taskId,
        taskName: event.taskName,
        kind: event.kind.slice(0, 64),
        actor: actorOf(event.actor).slice(0, 128),
        message: storableText(event.message, 2048),
        details: event.details ? (storableJson(event.details) as Record<string, unknown>) : null,
        clusterIds: event.clusterIds,
      },
      tx,
    );
  }

  async list(taskId: string, page: number, pageSize: number): Promise<Page<TaskEventEntity>> {
    return this.store.events.page(taskId, page, pageSize);
  }

  /** The trail across tasks and clusters, deleted ones included, newest first. */
  async search(filter: EventFilter, page: number, pageSize: number): Promise<Page<TaskEventEntity>> {
    return this.store.events.search(filter, page, pageSize);
  }
}

/** The caller of the admin API request being served in place of `admin`; any other actor as given. */
function actorOf(actor: string): string {
  return actor === 'admin' ? (currentPrincipal()?.actor ?? actor) : actor;
}
