import pino from 'pino';
import type { Logger as PinoLogger } from 'pino';
import { scrubSecrets } from '@/common/secret-scrubber';
import type { AppConfig } from '@/config';

/** Field paths that must never reach a log line, whatever logs them. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'password',
  'token',
  'accessToken',
  '*.password',
  '*.token',
  '*.accessToken',
  'req.query.password',
  'req.query.accessToken',
];

/**
 * A finished JSON log line with every secret masked. Masking inside the JSON text is the cheap
 * path; when a mask cut through an escape sequence (the line no longer parses), the line is
 * parsed, scrubbed value by value and written again.
 */
export function scrubLogLine(line: string): string {
  const scrubbed = scrubSecrets(line);
  if (scrubbed === line) return line;
  try {
    JSON.parse(scrubbed);
    return scrubbed;
  } catch {
    // fall through: scrub the values instead of the text
  }
  try {
    return `${JSON.stringify(scrubValues(JSON.parse(line)))}\n`;
  } catch {
    return scrubbed;
  }
}

function scrubValues(value: unknown): unknown {
  if (typeof value === 'string') return scrubSecrets(value);
  if (Array.isArray(value)) return value.map(scrubValues);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubValues(v)]));
  }
  return value;
}

/** One pino logger per process: JSON for machines, pretty when a person watches a terminal. */
export function createRootLogger(config: AppConfig, destination?: pino.DestinationStream): PinoLogger {
  const pretty = config.log.format ? config.log.format === 'pretty' : process.stdout.isTTY === true;
  const options: pino.LoggerOptions = {
    level: config.log.level,
    base: { pid: process.pid },
    redact: { paths: REDACTED_PATHS, censor: '***' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // The one redaction step for text: field paths above cannot see a secret quoted inside a
    // message or an error (grpc-js quoting a rejected `Bearer …` header), so every finished line —
    // msg, err.message, err.stack and every other field — passes the secret scrubber before it is
    // written. Cheap: a handful of known secrets and three patterns over one line.
    hooks: { streamWrite: scrubLogLine },
    serializers: { err: serializeError },
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

/**
 * Pino's error serializer without what a database error carries beside its message: a TypeORM
 * `QueryFailedError` holds the statement's `parameters` (a cluster's sealed credentials among
 * them) and the driver's own error with them again. SQL parameters never reach a log line.
 */
export function serializeError(err: unknown): unknown {
  const out = pino.stdSerializers.err(err as Error) as unknown as Record<string, unknown>;
  if (out && typeof out === 'object') {
    delete out.parameters;
    delete out.driverError;
  }
  return out;
}
