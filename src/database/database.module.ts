import { Global, Logger, Module } from '@nestjs/common';
import type { OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '@/config';
import { Database } from './database';

/** Opens the database (embedded or external), migrates it, and closes it last at shutdown. */
@Global()
@Module({
  providers: [
    {
      provide: Database,
      inject: [AppConfig],
      useFactory: (config: AppConfig) =>
        Database.open(
          {
            url: config.database.url,
            dataDir: config.database.dataDir,
            poolSize: config.database.poolSize,
            startupTimeoutMs: config.database.startupTimeoutMs,
          },
          new Logger('Database'),
        ),
    },
    { provide: DataSource, inject: [Database], useFactory: (db: Database) => db.dataSource },
  ],
  exports: [Database, DataSource],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(private readonly database: Database) {}

  async onApplicationShutdown(): Promise<void> {
    await this.database.close();
  }
}
