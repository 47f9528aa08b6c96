import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A sync task's ledger records whether each copy is persistent (`ephemeral = false`: a copy of a
 * persistent source instance, kept durably by the target until the task withdraws it) or
 * ephemeral (every copy written before this migration, hence the default).
 */
export class PersistentCopies1795910000000 implements MigrationInterface {
  name = 'PersistentCopies1795910000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "synced_instance" ADD "ephemeral" boolean NOT NULL DEFAULT true`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "synced_instance" DROP COLUMN "ephemeral"`);
  }
}
