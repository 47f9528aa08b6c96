import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a task's state shows beside its last error: the source instances the ledger or the target
 * refused (`rejected`, the first 50, and `rejected_count`, all of them), and when whatever fails
 * — a start, a write, a deletion — is tried next (`next_attempt_at`).
 */
export class TaskRejectedAndRetry1795400000000 implements MigrationInterface {
  name = 'TaskRejectedAndRetry1795400000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "task_state" ADD "rejected" jsonb NOT NULL DEFAULT '[]'`);
    await q.query(`ALTER TABLE "task_state" ADD "rejected_count" integer NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE "task_state" ADD "next_attempt_at" TIMESTAMP WITH TIME ZONE`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "task_state" DROP COLUMN "next_attempt_at"`);
    await q.query(`ALTER TABLE "task_state" DROP COLUMN "rejected_count"`);
    await q.query(`ALTER TABLE "task_state" DROP COLUMN "rejected"`);
  }
}
