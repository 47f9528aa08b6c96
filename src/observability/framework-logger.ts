import type { LoggerService } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';
import type { LogLevels } from './log-levels';
import type { LogLevel } from './logging.config';

/**
 * Nest's own start-up chatter — a line per module initialized and per route mapped, about 65 in
 * all — is for whoever debugs the wiring, not for the operator starting a node, who is promised
 * one ready line. These contexts log at debug; everything else passes through unchanged.
 */
const FRAMEWORK_CONTEXTS = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
]);
/**
 * Nest reports a provider that failed to construct under this context, with its stack, before the
 * error reaches main.ts — which prints the one clear line. The stack stays available at debug.
 */
const START_FAILURE_CONTEXT = 'ExceptionHandler';

/**
 * Wraps the application logger (nestjs-pino's), moving Nest's start-up lines to debug, and dropping a
 * line below its context's level when a logger's level was changed at run time (LogLevels).
 */
export class FrameworkLogger implements LoggerService {
  constructor(
    private readonly inner: LoggerService,
    private readonly levels?: LogLevels,
  ) {}

  log(message: unknown, ...optionalParams: unknown[]): void {
    const context = optionalParams.at(-1);
    if (typeof context === 'string' && FRAMEWORK_CONTEXTS.has(context)) {
      this.debug(message, ...optionalParams);
      return;
    }
    if (this.passes('info', optionalParams)) this.inner.log(message, ...optionalParams);
  }

  error(message: unknown, ...optionalParams: unknown[]): void {
    if (optionalParams.at(-1) === START_FAILURE_CONTEXT) {
      this.debug(message, ...optionalParams);
      return;
    }
    if (this.passes('error', optionalParams)) this.inner.error(message, ...optionalParams);
  }

  warn(message: unknown, ...optionalParams: unknown[]): void {
    if (this.passes('warn', optionalParams)) this.inner.warn(message, ...optionalParams);
  }

  debug(message: unknown, ...optionalParams: unknown[]): void {
    if (this.passes('debug', optionalParams)) this.inner.debug?.(message, ...optionalParams);
  }

  verbose(message: unknown, ...optionalParams: unknown[]): void {
    if (this.passes('trace', optionalParams)) this.inner.verbose?.(message, ...optionalParams);
  }

  fatal(message: unknown, ...optionalParams: unknown[]): void {
    if (this.passes('fatal', optionalParams)) {
      (this.inner.fatal ?? this.inner.error).call(this.inner, message, ...optionalParams);
    }
  }

  private passes(level: LogLevel, optionalParams: unknown[]): boolean {
    const levels = this.levels;
    if (levels === undefined || !levels.filtering) return true;
    const context = optionalParams.at(-1);
    return levels.enabled(typeof context === 'string' ? context : undefined, level);
  }
}

/**
 * The root pino logger as a Nest LoggerService, for the time before nestjs-pino's own Logger exists
 * (while Nest builds the modules): without it Nest buffers or prints those lines with its coloured
 * console logger, which would mix into the JSON stream when start-up fails.
 */
export function pinoLoggerService(logger: PinoLogger): LoggerService {
  const write =
    (level: 'info' | 'warn' | 'error' | 'debug' | 'trace' | 'fatal') =>
    (message: unknown, ...params: unknown[]): void => {
      const context = typeof params.at(-1) === 'string' ? (params.at(-1) as string) : undefined;
      if (message instanceof Error) logger[level]({ context, err: message }, message.message);
      else logger[level]({ context }, typeof message === 'string' ? message : JSON.stringify(message));
    };
  return {
    log: write('info'),
    error: write('error'),
    warn: write('warn'),
    debug: write('debug'),
    verbose: write('trace'),
    fatal: write('fatal'),
  };
}
