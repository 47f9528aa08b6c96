import pino from 'pino';
import type { Logger as PinoLogger } from 'pino';
import type { AppConfig } from '@/config';

/** Field paths that must never reach a log line, whatever logs them. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'password',
  'token',
  'accessToken',
  '*.password',
  '*.token',
  '*.accessToken',
  'req.query.password',
  'req.query.accessToken',
];

/** One pino logger per process: JSON for machines, pretty when a person watches a terminal. */
export function createRootLogger(config: AppConfig, destination?: pino.DestinationStream): PinoLogger {
  const pretty = config.log.format ? config.log.format === 'pretty' : process.stdout.isTTY === true;
  const options: pino.LoggerOptions = {
    level: config.log.level,
    base: { pid: process.pid },
    redact: { paths: REDACTED_PATHS, censor: '***' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (destination) return pino(options, destination);
  if (pretty) {
    return pino({
      ...options,
      transport: { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' } },
    });
  }
  return pino(options);
}
