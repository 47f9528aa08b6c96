import { AppConfig, EnvError } from '@/config';
import { createRootLogger } from '@/observability';
import { VERSION, startNode } from './bootstrap';

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
  for (const warning of config.warnings()) logger.warn(warning);

  const node = await startNode(config, logger);
  logger.info(
    { version: VERSION, config: config.describe() },
    `distro-sync ${VERSION} ready — API ${node.urls.api}  docs ${node.urls.docs}  metrics ${node.urls.metrics}`,
  );

  const shutdown = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, 'shutting down: closing readiness, finishing in-flight requests');
    // A hung dependency must not keep a pod in Terminating forever.
    setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'graceful shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
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
