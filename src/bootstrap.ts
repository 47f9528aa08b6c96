import 'reflect-metadata';
import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { adminFirst } from '@/admin/openapi-order';
import { Logger } from 'nestjs-pino';
import type { Logger as PinoLogger } from 'pino';
import { AppModule } from './app.module';
import { serveConsole } from './console-static';
import { DistroRouting } from '@/distro/distro-routing';
import { SESSION_COOKIE } from '@/admin/auth/session-cookie';
import { NacosGrpcServer } from '@/nacos/grpc/nacos-grpc.server';
import type { AppConfig } from '@/config';
import { jsonBodyParser } from '@/common/json-body';
import { bindingPort } from '@/common/startup-error';
import { FrameworkLogger, pinoLoggerService } from '@/observability/framework-logger';
import {
  AllExceptionsFilter,
  LogLevels,
  Metrics,
  ReadinessGates,
  createRootLogger,
  installHttpMetrics,
} from '@/observability';

export const VERSION = '0.2.0';

export interface RunningNode {
  app: NestFastifyApplication;
  logger: PinoLogger;
  /** The HTTP port actually bound (differs from the config when it asked for 0). */
  httpPort: number;
  /** The Nacos gRPC port actually bound (NACOS_GRPC_PORT, or any free port when it asked for 0). */
  grpcPort: number;
  /** The Distro peer gRPC port actually bound (DISTRO_PORT, or any free port when it asked for 0). */
  distroPort: number;
  urls: { api: string; docs: string; metrics: string };
  /** Graceful stop: closes readiness, stops accepting, finishes in-flight work, closes the database. */
  close(): Promise<void>;
}

/** Builds and starts one node from a validated config. Used by main.ts and by the tests. */
export async function startNode(config: AppConfig, rootLogger = createRootLogger(config)): Promise<RunningNode> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.http.bodyLimit,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1024 },
    forceCloseConnections: 'idle',
  });
  const levels = new LogLevels(config.log.level, rootLogger);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, rootLogger, levels), adapter, {
    logger: new FrameworkLogger(pinoLoggerService(rootLogger)),
    abortOnError: false,
  });
  app.useLogger(new FrameworkLogger(app.get(Logger), levels));
  app.useBodyParser(
    'application/json',
    { bodyLimit: config.http.bodyLimit },
    jsonBodyParser(app.getHttpAdapter().getInstance()),
  );
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, transform: true, forbidUnknownValues: true }));
  app.useGlobalFilters(new AllExceptionsFilter());
  installHttpMetrics(app.getHttpAdapter().getInstance(), app.get(Metrics));

  let shuttingDown = false;
  app
    .get(ReadinessGates)
    .register('shutdown', () => (shuttingDown ? { open: false, reason: 'shutting down' } : { open: true }));

  const document = adminFirst(
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('distro-sync')
        .setDescription('Nacos-compatible registry with Distro replication and cross-region sync tasks')
        .setVersion(VERSION)
        .addBearerAuth()
        .addCookieAuth(SESSION_COOKIE)
        .addApiKey({ type: 'apiKey', in: 'header', name: 'X-CSRF-Token' }, 'csrf')
        .build(),
    ),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs/json' });
  await serveConsole(app);

  try {
    await bindingPort('HTTP_PORT', { host: config.node.host, port: config.http.port }, () =>
      app.listen(config.http.port, config.node.host),
    );
  } catch (err) {
    await app.close();
    throw err;
  }
  const address = app.getHttpServer().address();
  const httpPort = typeof address === 'object' && address ? address.port : config.http.port;
  const shownHost = config.node.host === '0.0.0.0' || config.node.host === '::' ? '127.0.0.1' : config.node.host;
  const base = `http://${shownHost}:${httpPort}`;
  const urls = { api: `${base}/api/v1`, docs: `${base}/api/docs`, metrics: `${base}/metrics` };

  let closing: Promise<void> | undefined;
  return {
    app,
    logger: rootLogger,
    httpPort,
    grpcPort: app.get(NacosGrpcServer).port,
    distroPort: app.get(DistroRouting).port,
    urls,
    close: () => {
      closing ??= (async () => {
        shuttingDown = true;
        await app.close();
      })();
      return closing;
    },
  };
}
