import { Env, EnvInt, EnvOneOf, EnvText } from '@/config/env-field';

/** Settings of the whole process: where every listener binds, how long shutdown may take. */
export class NodeConfig {
  @Env('NODE_ENV', 'production | development | test')
  @EnvOneOf(['production', 'development', 'test'])
  readonly nodeEnv: 'production' | 'development' | 'test' = 'production';

  @Env('HOST', 'Address every listener binds to')
  @EnvText()
  readonly host: string = '0.0.0.0';

  @Env('SHUTDOWN_TIMEOUT_MS', 'Longest a graceful shutdown may take before the process exits anyway')
  @EnvInt(100, 120000)
  readonly shutdownTimeoutMs: number = 10000;
}
