import { DataSource } from 'typeorm';
import { ENTITIES } from '@/sync/entities';
import { MIGRATIONS } from './migration-list';

export interface DataSourceSettings {
  url: string;
  poolSize: number;
  /** Fails a connection attempt after this long instead of hanging (readiness must answer). */
  connectTimeoutMs?: number;
}

/** A TypeORM DataSource over the pg driver; schema changes come only from migrations. */
export function createDataSource(settings: DataSourceSettings): DataSource {
  return new DataSource({
    type: 'postgres',
    url: settings.url,
    entities: ENTITIES,
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
