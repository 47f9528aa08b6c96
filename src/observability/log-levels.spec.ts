import { Writable } from 'node:stream';
import pino from 'pino';
import type { LoggerService } from '@nestjs/common';
import { FrameworkLogger, pinoLoggerService } from './framework-logger';
import { LogLevelError, LogLevels, NAMED_LOGGERS } from './log-levels';

/** A real pino root logger writing into an array, and the application logger on top of it. */
function rig(base: 'info' | 'warn' | 'debug') {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n'))
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  const root = pino({ level: base }, sink);
  const levels = new LogLevels(base, root);
  const logger: LoggerService = new FrameworkLogger(pinoLoggerService(root), levels);
  const messages = () => lines.map((line) => line.msg);
  return { root, levels, logger, messages };
}

describe('LogLevels', () => {
  it('should follow LOG_LEVEL for every logger until one is changed', () => {
    const levels = new LogLevels('info');
    expect(levels.filtering).toBe(false);
    expect(levels.view()).toEqual(Object.fromEntries(Object.keys(NAMED_LOGGERS).map((name) => [name, 'info'])));
    expect(levels.enabled('Distro', 'debug')).toBe(false);
    expect(levels.enabled('Distro', 'info')).toBe(true);
    expect(levels.enabled(undefined, 'warn')).toBe(true);
  });

  it("should take Nacos's level names in any case, and lower the root logger to the lowest level asked", () => {
    const { root, levels } = rig('info');
    expect(levels.set('naming-distro', 'debug')).toEqual({ before: 'info', after: 'debug' });
    expect(root.level).toBe('debug');
    expect(levels.set('naming-push', 'ALL')).toEqual({ before: 'info', after: 'trace' });
    expect(root.level).toBe('trace');
    expect(levels.set('naming-event', 'Off').after).toBe('silent');
    expect(levels.levelOf('naming-event')).toBe('silent');
    expect(levels.enabled('HeartbeatExpiry', 'error')).toBe(false);
    expect(levels.enabled('UdpPushService', 'trace')).toBe(true);
    // Back to LOG_LEVEL: the override goes, and the root level rises again once none is lower.
    levels.set('naming-push', 'INFO');
    expect(root.level).toBe('debug');
    levels.set('naming-distro', ' info ');
    levels.set('naming-event', 'info');
    expect(levels.filtering).toBe(false);
    expect(root.level).toBe('info');
  });

  it('should refuse an unknown logger or level, naming the known ones, and change nothing', () => {
    const { root, levels } = rig('info');
    expect(() => levels.set('naming-performance', 'debug')).toThrow(
      new LogLevelError(
        `logName naming-performance is not a logger here; one of: ${Object.keys(NAMED_LOGGERS).join(', ')}`,
      ),
    );
    expect(() => levels.set('naming-distro', 'verbose')).toThrow(
      'logLevel verbose is not one of ALL, TRACE, DEBUG, INFO, WARN, ERROR, OFF',
    );
    expect(() => levels.set('__proto__', 'debug')).toThrow(LogLevelError);
    expect(levels.filtering).toBe(false);
    expect(root.level).toBe('info');
  });
});

describe('FrameworkLogger with LogLevels', () => {
  it("should write a logger's debug lines once its level is lowered, and no other context's", () => {
    const { levels, logger, messages } = rig('info');
    logger.debug?.('distro before', 'Distro');
    levels.set('naming-distro', 'DEBUG');
    logger.debug?.('distro after', 'Distro');
    logger.debug?.('push after', 'UdpPushService');
    logger.log('push info', 'UdpPushService');
    logger.debug?.('no context');
    expect(messages()).toEqual(['distro after', 'push info']);
  });

  it("should drop a logger's lines below its raised level, keeping the others at LOG_LEVEL", () => {
    const { levels, logger, messages } = rig('debug');
    levels.set('naming-push', 'ERROR');
    logger.warn('push warn', 'PushDispatcher');
    logger.error('push error', 'PushDispatcher');
    logger.debug?.('distro debug', 'Distro');
    levels.set('naming-push', 'OFF');
    logger.fatal?.('push fatal', 'PushDispatcher');
    expect(messages()).toEqual(['push error', 'distro debug']);
  });

  it("should keep Nest's start-up lines at debug whatever the levels", () => {
    const { levels, logger, messages } = rig('info');
    logger.log('Mapped {/x, GET} route', 'RouterExplorer');
    levels.set('naming-distro', 'debug');
    logger.log('Mapped {/y, GET} route', 'RouterExplorer');
    expect(messages()).toEqual([]);
  });
});
