import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { sqlRows } from '@/database/sql';
import { copyOfRow } from '../reconcile/sync-ledger';
import type { LedgerRow } from '../reconcile/sync-ledger';
import type { TaskInstancePageDto } from './task-detail.dto';

/** Pages through a task's ledger for operators. */
@Injectable()
export class SyncLedgerReader {
  constructor(private readonly db: DataSource) {}

  async page(taskId: string, page: number, pageSize: number): Promise<TaskInstancePageDto> {
    const [{ n }] = await sqlRows<{ n: number }>(
      this.db,
      `SELECT count(*)::int AS n FROM synced_instance WHERE task_id = $1`,
      [taskId],
    );
    const rows = await sqlRows<LedgerRow & { generation: string; written_at: Date }>(
      this.db,
      `SELECT * FROM synced_instance WHERE task_id = $1
        ORDER BY namespace, group_name, service_name, cluster_name, ip, port LIMIT $2 OFFSET $3`,
      [taskId, pageSize, (page - 1) * pageSize],
    );
    return {
      total: n,
      page,
      pageSize,
      items: rows.map((r) => ({
        ...copyOfRow(r),
        generation: String(r.generation),
        writtenAt: new Date(r.written_at).toISOString(),
      })),
    };
  }
}
