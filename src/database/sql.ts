import type { DataSource, EntityManager } from 'typeorm';

/**
 * Runs one statement and returns its rows, whatever the statement (TypeORM's plain `query`
 * answers UPDATE/DELETE … RETURNING with `[rows, count]` but SELECT with `rows`).
 */
export async function sqlRows<T>(db: DataSource | EntityManager, sql: string, params: unknown[] = []): Promise<T[]> {
  const runner = 'queryRunner' in db && db.queryRunner ? db.queryRunner : undefined;
  if (runner) return (await runner.query(sql, params, true)).records as T[];
  const own = (db as DataSource).createQueryRunner();
  try {
    return (await own.query(sql, params, true)).records as T[];
  } finally {
    await own.release();
  }
}
