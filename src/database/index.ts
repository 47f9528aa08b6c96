export { Database } from './database';
export { DatabaseModule } from './database.module';
export { createDataSource } from './data-source';
export type { Entities } from './data-source';
export { EmbeddedPostgres } from './embedded-postgres';
export { MIGRATION_LOCK_KEY, revertLastMigration, runMigrations } from './migrator';
