import { Writable } from 'node:stream';
import { forgetSecretsForTest, registerSecret } from '@/common/secret-scrubber';
import { AppConfig } from '@/config/app-config';
import { createRootLogger, scrubLogLine, serializeError } from './logger';

describe(createRootLogger.name, () => {
  afterEach(() => forgetSecretsForTest());

  const capture = (): { lines: string[]; sink: Writable } => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    return { lines, sink };
  };

  it('should scrub a secret quoted in msg, err.message, err.stack and any other field', () => {
    registerSecret('Marker-Token-31\n');
    const { lines, sink } = capture();
    const sut = createRootLogger(AppConfig.fromEnv({ LOG_LEVEL: 'info', LOG_FORMAT: 'json' }), sink);
    const err = new Error('Metadata string value "Bearer Marker-Token-31\n" contains illegal characters');
    sut.error({ err, detail: { reason: 'saw Marker-Token-31' } }, 'start failed: Marker-Token-31');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('Marker-Token');
    const line = JSON.parse(lines[0]) as { msg: string; err: { message: string; stack: string } };
    expect(line.msg).toBe('start failed: ***');
    expect(line.err.message).toContain('Bearer ***');
    expect(line.err.stack).toContain('Bearer ***');
  });

  it('should mask an env secret of the config it was made from', () => {
    const config = AppConfig.fromEnv({ LOG_FORMAT: 'json', ADMIN_TOKEN: 'admin-marker-token-0123' });
    const { lines, sink } = capture();
    createRootLogger(config, sink).warn('token admin-marker-token-0123 seen');
    expect(lines[0]).not.toContain('admin-marker-token');
  });
});

describe(scrubLogLine.name, () => {
  afterEach(() => forgetSecretsForTest());

  it('should keep a line JSON when a mask would cut through an escape', () => {
    const line = `${JSON.stringify({ msg: 'Bearer abc\\"def" rest' })}\n`;
    const out = scrubLogLine(line);
    expect(() => JSON.parse(out) as unknown).not.toThrow();
    expect(out).not.toContain('abc');
  });

  it('should leave a line without secrets as it is', () => {
    const line = '{"level":30,"msg":"took task orders"}\n';
    expect(scrubLogLine(line)).toBe(line);
  });
});

describe('serializeError', () => {
  it('should keep type, message and stack of a database error but never its parameters', () => {
    const err = Object.assign(new Error('duplicate key value violates unique constraint'), {
      name: 'QueryFailedError',
      code: '23505',
      query: 'INSERT INTO cluster (name, credentials) VALUES ($1, $2)',
      parameters: ['region-a', 'sealed-credential-bytes'],
      driverError: { parameters: ['region-a', 'sealed-credential-bytes'] },
    });
    const out = JSON.stringify(serializeError(err));
    expect(out).toContain('duplicate key value');
    expect(out).toContain('23505');
    expect(out).not.toContain('sealed-credential-bytes');
  });
});
