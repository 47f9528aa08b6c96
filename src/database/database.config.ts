import { Env, EnvInt, EnvPostgresUrl, EnvText } from '@/config/env-field';

/** Where the data lives: an external Postgres, or the embedded PGlite under DATA_DIR. */
export class DatabaseConfig {
  @Env('DATABASE_URL', 'Postgres URL; unset = embedded PGlite under DATA_DIR', {
    sensitive: true,
    defaultText: 'unset',
  })
  @EnvPostgresUrl()
  readonly url?: string;

  @Env('DATA_DIR', 'Directory of the embedded PGlite database ("memory" = throwaway in-memory database)')
  @EnvText()
  readonly dataDir: string = './data';

  @Env('DATABASE_POOL_SIZE', 'Postgres connection pool size (always 1 on embedded PGlite)')
  @EnvInt(1, 200)
  readonly poolSize: number = 10;

  @Env('DATABASE_STARTUP_TIMEOUT_MS', 'How long start-up keeps retrying an unreachable database before it gives up')
  @EnvInt(0, 600000)
  readonly startupTimeoutMs: number = 30000;
}
