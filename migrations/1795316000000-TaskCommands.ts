import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Operator commands that must reach whichever replica holds a task: a resync or a release of held
 * deletions is recorded on the task row with its time, and the holder acts on a time it has not
 * seen yet (pause, resume and delete already travel through `status`).
 */
export class TaskCommands1795316000000 implements MigrationInterface {
  name = 'TaskCommands1795316000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "sync_task" ADD "resync_requested_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "sync_task" ADD "hold_release_requested_at" TIMESTAMP WITH TIME ZONE`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "sync_task" DROP COLUMN "hold_release_requested_at"`);
    await q.query(`ALTER TABLE "sync_task" DROP COLUMN "resync_requested_at"`);
  }
}
