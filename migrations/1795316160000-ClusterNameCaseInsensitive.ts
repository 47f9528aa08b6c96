import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cluster names are unique regardless of case: `FZ-REMOTE` and `fz-remote` name one registry to a
 * person, and copies carry the name (`syncSource`), so two clusters told apart by case alone are a
 * trap. Names stay stored as given. A database that already holds such names keeps the oldest one
 * as it is and renames each later one to `<name>-<first 8 hex digits of its id>`, recording that in
 * the audit trail of the cluster and of every task using it.
 */
export class ClusterNameCaseInsensitive1795316160000 implements MigrationInterface {
  name = 'ClusterNameCaseInsensitive1795316160000';

  public async up(q: QueryRunner): Promise<void> {
    const result = await q.query(
      `
      WITH ranked AS (
        SELECT id, name, first_value(name) OVER w AS kept, row_number() OVER w AS n
          FROM cluster
        WINDOW w AS (PARTITION BY lower(name) ORDER BY created_at, id)
      ), renamed AS (
        UPDATE cluster c
           SET name = left(r.name, 119) || '-' || left(replace(c.id::text, '-', ''), 8), updated_at = now()
          FROM ranked r
         WHERE r.id = c.id AND r.n > 1
        RETURNING c.id, r.name AS old_name, c.name AS new_name, r.kept
      )
      SELECT * FROM renamed`,
      [],
      true,
    );
    const renamed = result.records as Array<{ id: string; old_name: string; new_name: string; kept: string }>;
    for (const r of renamed) {
      const message =
        `cluster ${r.old_name} renamed ${r.new_name}: cluster names are unique regardless of case, ` +
        `and the older cluster ${r.kept} keeps the name`;
      await q.query(
        `INSERT INTO task_event (task_id, task_name, cluster_id, kind, actor, message, details)
         SELECT NULL, NULL, $1::uuid, 'cluster-renamed', 'migration', $2, $3::jsonb
         UNION ALL
         SELECT t.id, t.name, $1::uuid, 'cluster-renamed', 'migration', $2, $3::jsonb
           FROM sync_task t WHERE t.source_cluster_id = $1::uuid OR t.target_cluster_id = $1::uuid`,
        [r.id, message, JSON.stringify({ from: r.old_name, to: r.new_name, kept: r.kept })],
      );
    }
    await q.query(`CREATE UNIQUE INDEX "UQ_cluster_name_ci" ON "cluster" (lower("name"))`);
  }

  public async down(q: QueryRunner): Promise<void> {
    // Renamed clusters keep their new names: the old ones would collide again.
    await q.query(`DROP INDEX "UQ_cluster_name_ci"`);
  }
}
