import { Injectable } from '@nestjs/common';
import { isPersistentCopy } from '../reconcile/copy-plan';
import { SyncStore } from '../store/sync-store';
import type { TaskInstancePageDto } from './task-detail.dto';

/** Pages through a task's ledger for operators. */
@Injectable()
export class SyncLedgerReader {
  constructor(private readonly store: SyncStore) {}

  async page(taskId: string, page: number, pageSize: number): Promise<TaskInstancePageDto> {
    const { total, entries } = await this.store.ledger.page(taskId, page, pageSize);
    return {
      total,
      page,
      pageSize,
      items: entries.map((e) => ({ ...e, ephemeral: !isPersistentCopy(e), writtenAt: e.writtenAt.toISOString() })),
    };
  }
}
