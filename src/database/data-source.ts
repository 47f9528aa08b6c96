import { DataSource } from 'typeorm';
import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from './migration-list';

/** The entity classes a DataSource maps; given by whoever composes the process (the database knows none). */
export type Entities = NonNullable<DataSourceOptions['entities']>;

export interface DataSourceSettings {
  url: string;
  poolSize: number;
  /** Fails a connection attempt after this long instead of hanging (readiness must answer). */
  connectTimeoutMs?: number;
  /** Mapped entities; none for a DataSource that only runs SQL and migrations. */
  entities?: Entities;
}

/** A TypeORM DataSource over the pg driver; schema changes come only from migrations. */
export function createDataSource(settings: DataSourceSettings): DataSource {
  return new DataSource({
    type: 'postgres',
    url: settings.url,
    entities: settings.entities ?? [],
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsRun: false,
    synchronize: false,
    logging: false,
    poolSize: settings.poolSize,
    extra: {
      connectionTimeoutMillis: settings.connectTimeoutMs ?? 5000,
      // Idle connections are dropped after a while so a database restart does not leave dead sockets.
      idleTimeoutMillis: 30000,
      application_name: 'distro-sync',
    },
  });
}
