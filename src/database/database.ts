import type { DataSource } from 'typeorm';
import { createDataSource } from './data-source';
import type { Entities } from './data-source';
import { EmbeddedPostgres } from './embedded-postgres';
import type { MigrationReport } from './migrator';
import { runMigrations } from './migrator';

export interface DatabaseSettings {
  /** Postgres URL; undefined = start an embedded PGlite under dataDir. */
  url?: string;
  dataDir: string;
  poolSize: number;
  /** How long start-up keeps retrying an unreachable database before giving up. */
  startupTimeoutMs: number;
  /** The entities the DataSource maps (the sync module's); none when only SQL and migrations run. */
  entities?: Entities;
}

export interface DatabaseLog {
  log(message: string): void;
  warn(message: string): void;
}

/** The process's database: an embedded server when needed, the DataSource, migrated at open. */
export class Database {
  private constructor(
    readonly dataSource: DataSource,
    private readonly embedded: EmbeddedPostgres | undefined,
    readonly migrations: MigrationReport,
  ) {}

  get embeddedMode(): boolean {
    return this.embedded !== undefined;
  }

  static async open(settings: DatabaseSettings, log: DatabaseLog): Promise<Database> {
    const embedded = settings.url ? undefined : await EmbeddedPostgres.start(settings.dataDir);
    if (embedded) {
      log.log(`embedded PGlite started (${settings.dataDir === 'memory' ? 'in memory' : settings.dataDir})`);
    }
    try {
      const dataSource = createDataSource({
        url: embedded?.url ?? (settings.url as string),
        poolSize: embedded ? 1 : settings.poolSize,
        entities: settings.entities,
      });
      await initializeWithRetry(dataSource, settings.startupTimeoutMs, log);
      const report = await runMigrations(dataSource);
      log.log(
        report.applied.length > 0
          ? `migrations applied: ${report.applied.join(', ')} (waited ${report.waitedMs} ms for the lock)`
          : `schema up to date (waited ${report.waitedMs} ms for the lock)`,
      );
      return new Database(dataSource, embedded, report);
    } catch (err) {
      await embedded?.stop();
      throw err;
    }
  }

  /** True when a trivial query answers within timeoutMs. */
  async ping(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const query = this.dataSource.query('SELECT 1').then(
      () => true,
      () => false,
    );
    try {
      return await Promise.race([query, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    await this.embedded?.stop();
  }
}

async function initializeWithRetry(dataSource: DataSource, timeoutMs: number, log: DatabaseLog): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 250;
  for (;;) {
    try {
      await dataSource.initialize();
      return;
    } catch (err) {
      if (Date.now() + delay > deadline) {
        throw new Error(`database unreachable after ${timeoutMs} ms: ${(err as Error).message}`, { cause: err });
      }
      log.warn(`database not reachable yet (${(err as Error).message}); retrying in ${delay} ms`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 4000);
    }
  }
}
