import { Env, EnvBool, EnvInt } from '@/config/env-field';

/** Persistent instances (`ephemeral=false`): their database, and the server-side health checks of their clusters. */
export class PersistentConfig {
  @Env(
    'NACOS_PERSISTENT_WRITE_TIMEOUT_MS',
    'Deadline of committing a persistent instance write to the database; past it the write is answered 503, not acknowledged',
  )
  @EnvInt(100, 600000)
  readonly writeTimeoutMs: number = 5000;

  @Env(
    'NACOS_PERSISTENT_RELOAD_MS',
    'How often each node reads the persistent instances and cluster health checkers from the database and merges them (newest version wins)',
  )
  @EnvInt(100, 3600000)
  readonly reloadMs: number = 30000;

  @Env(
    'NACOS_HEALTH_CHECK_ENABLED',
    'Whether the node responsible for a persistent instance checks it (TCP or HTTP, as its cluster says)',
  )
  @EnvBool()
  readonly healthCheckEnabled: boolean = true;

  @Env('NACOS_HEALTH_CHECK_INTERVAL_MS', 'How often each persistent instance is checked')
  @EnvInt(100, 3600000)
  readonly healthCheckIntervalMs: number = 5000;

  @Env('NACOS_HEALTH_CHECK_TIMEOUT_MS', 'Deadline of one TCP connect or HTTP check; past it the check fails')
  @EnvInt(50, 60000)
  readonly healthCheckTimeoutMs: number = 3000;

  @Env(
    'NACOS_HEALTH_CHECK_TIMES',
    'Consecutive results that turn an instance healthy or unhealthy (a refused connection or an unexpected HTTP status turns it unhealthy at once, as in Nacos)',
  )
  @EnvInt(1, 100)
  readonly healthCheckTimes: number = 3;

  @Env('NACOS_HEALTH_CHECK_CONCURRENCY', 'Checks in flight at once on one node')
  @EnvInt(1, 10000)
  readonly healthCheckConcurrency: number = 64;
}
