import { Global, Logger, Module } from '@nestjs/common';
import type { OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Database } from './database';
import { DatabaseConfig } from './database.config';

/** Opens the database (embedded or external), migrates it, and closes it last at shutdown. */
@Global()
@Module({
  providers: [
    {
      provide: Database,
      inject: [DatabaseConfig],
      useFactory: (config: DatabaseConfig) => Database.open(config, new Logger('Database')),
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
