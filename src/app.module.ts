import { Module, RequestMethod } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger as PinoLogger } from 'pino';
import type { AppConfig } from '@/config';
import { ConfigModule } from '@/config';
import { DatabaseModule } from '@/database';
import { LogLevels, ObservabilityModule } from '@/observability';
import { serializeError } from '@/observability/logger';
import { CoreModule } from '@/core.module';
import { AdminAuthModule } from '@/admin/admin-auth.module';
import { DistroModule } from '@/distro/distro.module';
import { NacosHttpModule } from '@/nacos/nacos-http.module';
import { NacosGrpcModule } from '@/nacos/nacos-grpc.module';
import { NamingCatalogModule } from '@/naming-catalog/naming-catalog.module';
import { SyncModule } from '@/sync/sync.module';
import { ENTITIES as SYNC_ENTITIES } from '@/sync/entities';

/** The whole node: config, logging, database, observability, and (in later parts) the protocols. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, rootLogger: PinoLogger, levels: LogLevels): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({
          pinoHttp: {
            logger: rootLogger,
            // pino-http puts its own error serializer on the logger every Nest line goes through; this
            // one keeps a database error's SQL parameters (sealed credentials among them) out of the line.
            serializers: { err: serializeError },
            // Admin calls are worth a line each; probes, scrapes and the Nacos data path are not.
            autoLogging: { ignore: (req) => !(req.url ?? '').startsWith('/api/v1') },
            customLogLevel: (_req, res, err) => {
              const level = err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info';
              // A request line follows LOG_LEVEL even while a named logger runs lower (LogLevels).
              return levels.enabled(undefined, level) ? level : 'silent';
            },
          },
          exclude: [
            { path: 'nacos/*splat', method: RequestMethod.ALL },
            { path: 'health/*splat', method: RequestMethod.ALL },
            { path: 'metrics', method: RequestMethod.ALL },
          ],
        }),
        // The database maps the entities of the modules that own them; it imports none itself.
        DatabaseModule.forRoot({ entities: SYNC_ENTITIES }),
        ObservabilityModule.forRoot(levels),
        CoreModule,
        AdminAuthModule,
        // Protocol modules (Nacos HTTP, Nacos gRPC, Distro, sync) are added below, one line each.
        DistroModule,
        NacosHttpModule,
        NacosGrpcModule,
        NamingCatalogModule,
        SyncModule,
      ],
    };
  }
}
