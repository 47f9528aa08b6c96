import type { DataSource, QueryRunner } from 'typeorm';
import { MigrationExecutor } from 'typeorm/migration/MigrationExecutor';

/** Arbitrary but fixed: every replica of every version takes the same lock. */
export const MIGRATION_LOCK_KEY = 7_274_2025;

export interface MigrationReport {
  applied: string[];
  waitedMs: number;
}

/**
 * Applies pending migrations while holding a session-level pg_advisory_lock, so replicas that
 * start together migrate once: the first applies, the others wait and then find nothing to do.
 * The lock and the migrations share one connection (the embedded database has a pool of one).
 */
export async function runMigrations(dataSource: DataSource): Promise<MigrationReport> {
  return withMigrationLock(dataSource, async (runner) => {
    const executor = new MigrationExecutor(dataSource, runner);
    executor.transaction = 'each';
    const applied = await executor.executePendingMigrations();
    return applied.map((m) => m.name);
  });
}

/** Reverts the most recent migration under the same lock. */
export async function revertLastMigration(dataSource: DataSource): Promise<void> {
  await withMigrationLock(dataSource, async (runner) => {
    const executor = new MigrationExecutor(dataSource, runner);
    executor.transaction = 'each';
    await executor.undoLastMigration();
    return [];
  });
}

async function withMigrationLock(
  dataSource: DataSource,
  work: (runner: QueryRunner) => Promise<string[]>,
): Promise<MigrationReport> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  const started = Date.now();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const waitedMs = Date.now() - started;
    try {
      return { applied: await work(runner), waitedMs };
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}
