import { Env, EnvOneOf } from '@/config/env-field';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The root logger's level and format. */
export class LoggingConfig {
  @Env('LOG_LEVEL', `Log level: ${LOG_LEVELS.join(', ')}`)
  @EnvOneOf(LOG_LEVELS)
  readonly level: LogLevel = 'info';

  @Env('LOG_FORMAT', 'json | pretty; default pretty when stdout is a terminal, json otherwise', {
    defaultText: 'pretty on a terminal, JSON otherwise',
  })
  @EnvOneOf(['json', 'pretty'])
  readonly format?: 'json' | 'pretty';
}
