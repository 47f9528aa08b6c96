import { setLogger as setGrpcLogger } from '@grpc/grpc-js';
import { AppConfig, EnvError } from '@/config';
import { createRootLogger } from '@/observability';
import { StartupError } from '@/common/startup-error';
import { scrubbedMessage } from '@/common/secret-scrubber';
import { VERSION, startNode } from './bootstrap';
import type { RunningNode } from './bootstrap';

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = AppConfig.fromEnv();
  } catch (err) {
    if (err instanceof EnvError) {
      process.stderr.write(`distro-sync cannot start: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createRootLogger(config);
  // grpc-js prints its own errors to stderr ("E No address added …"); route them into the JSON log.
  // Its info and debug lines follow LOG_LEVEL only: a named logger set lower at run time (LogLevels, which
  // lowers the root level) must not open grpc-js's own chatter too.
  const grpcDebug = config.log.level === 'debug' || config.log.level === 'trace';
  const grpcQuiet = (...args: unknown[]) => {
    if (grpcDebug) logger.debug({ component: 'grpc-js' }, args.map(String).join(' '));
  };
  setGrpcLogger({
    error: (...args: unknown[]) => logger.warn({ component: 'grpc-js' }, args.map(String).join(' ')),
    info: grpcQuiet,
    debug: grpcQuiet,
  });
  for (const warning of config.warnings()) logger.warn(warning);

  logger.debug({ config: config.describe() }, 'effective configuration (sensitive values masked)');
  let node: RunningNode;
  try {
    node = await startNode(config, logger);
  } catch (err) {
    // One clear line first, through the same logger as every other line; the stack stays at debug.
    const message = err instanceof StartupError ? err.message : scrubbedMessage(err);
    logger.fatal(`distro-sync cannot start: ${message}`);
    logger.debug({ err }, 'start-up failure in detail');
    logger.flush();
    process.exit(1);
  }
  logger.info(
    { version: VERSION },
    `distro-sync ${VERSION} ready — API ${node.urls.api}  docs ${node.urls.docs}  metrics ${node.urls.metrics}`,
  );

  const shutdown = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, 'shutting down: closing readiness, finishing in-flight requests');
    // A hung dependency must not keep a pod in Terminating forever.
    setTimeout(() => {
      logger.error({ timeoutMs: config.node.shutdownTimeoutMs }, 'graceful shutdown timed out; exiting');
      process.exit(1);
    }, config.node.shutdownTimeoutMs).unref();
    node.close().then(
      () => {
        logger.info('stopped cleanly');
        logger.flush();
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`distro-sync failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
