import { Global, Logger, Module } from '@nestjs/common';
import type { DynamicModule, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Entities } from './data-source';
import { Database } from './database';
import { DatabaseConfig } from './database.config';

/**
 * Opens the database (embedded or external), migrates it, and closes it last at shutdown. The
 * entities it maps come from the composition (`forRoot({ entities })`): the database module knows
 * no feature module.
 */
@Global()
@Module({})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(private readonly database: Database) {}

  static forRoot(options: { entities: Entities }): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        {
          provide: Database,
          inject: [DatabaseConfig],
          useFactory: (config: DatabaseConfig) =>
            Database.open({ ...config, entities: options.entities }, new Logger('Database')),
        },
        { provide: DataSource, inject: [Database], useFactory: (db: Database) => db.dataSource },
      ],
      exports: [Database, DataSource],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.database.close();
  }
}
