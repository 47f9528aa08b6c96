import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit trail outlives tasks and clusters, so an event keeps the ids of what it is about as plain
 * values, not keys that a deletion nulls: `task_id` loses its foreign key (ON DELETE SET NULL emptied
 * it when the task went), and `cluster_ids` holds a task's source and target, or the cluster an
 * admin changed, so `GET /api/v1/events?taskId=&clusterId=` finds them after both are gone.
 * Existing events of tasks that still exist get their clusters; those of deleted tasks cannot.
 */
export class EventClusters1795750000000 implements MigrationInterface {
  name = 'EventClusters1795750000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "task_event" DROP CONSTRAINT "FK_task_event_task"`);
    await q.query(`ALTER TABLE "task_event" ADD "cluster_ids" uuid array NOT NULL DEFAULT '{}'`);
    await q.query(
      `UPDATE "task_event" e SET "cluster_ids" = ARRAY[t."source_cluster_id", t."target_cluster_id"]
         FROM "sync_task" t WHERE e."task_id" = t."id"`,
    );
    await q.query(
      `UPDATE "task_event" SET "cluster_ids" = ARRAY["cluster_id"] WHERE "cluster_id" IS NOT NULL AND "task_id" IS NULL`,
    );
    await q.query(`CREATE INDEX "IDX_task_event_clusters" ON "task_event" USING gin ("cluster_ids")`);
    await q.query(`CREATE INDEX "IDX_task_event_created" ON "task_event" ("created_at")`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "IDX_task_event_created"`);
    await q.query(`DROP INDEX "IDX_task_event_clusters"`);
    await q.query(`ALTER TABLE "task_event" DROP COLUMN "cluster_ids"`);
    await q.query(
      `UPDATE "task_event" e SET "task_id" = NULL WHERE NOT EXISTS (SELECT 1 FROM "sync_task" t WHERE t."id" = e."task_id")`,
    );
    await q.query(
      `ALTER TABLE "task_event" ADD CONSTRAINT "FK_task_event_task" FOREIGN KEY ("task_id") REFERENCES "sync_task"("id") ON DELETE SET NULL`,
    );
  }
}
