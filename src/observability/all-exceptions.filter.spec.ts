import { BadRequestException, Logger } from '@nestjs/common';
import type { ArgumentsHost } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { forgetSecretsForTest, registerSecret } from '@/common/secret-scrubber';
import { AllExceptionsFilter } from './all-exceptions.filter';

/** A Fastify reply and request as far as the filter touches them, recording what it sends. */
function httpHost() {
  const sent: { status?: number; body?: unknown; headers: Record<string, string> } = { headers: {} };
  const reply = {
    status: (code: number) => ((sent.status = code), reply),
    header: (name: string, value: string) => ((sent.headers[name] = value), reply),
    send: (body: unknown) => ((sent.body = body), reply),
  };
  const request = { method: 'POST', routeOptions: { url: '/api/v1/clusters' } };
  const host = {
    getType: () => 'http',
    switchToHttp: () => ({ getResponse: () => reply, getRequest: () => request }),
  } as unknown as ArgumentsHost;
  return { host, sent };
}

describe(AllExceptionsFilter.name, () => {
  const sut = new AllExceptionsFilter();
  let logged: unknown[];

  beforeEach(() => {
    logged = [];
    for (const level of ['error', 'warn'] as const) {
      jest.spyOn(Logger.prototype, level).mockImplementation((...args: unknown[]) => void logged.push(args));
    }
  });
  afterEach(() => {
    jest.restoreAllMocks();
    forgetSecretsForTest();
  });

  it('should keep the status and body of an HTTP exception', () => {
    const { host, sent } = httpHost();
    sut.catch(new BadRequestException(['name must be printable']), host);
    expect(sent).toMatchObject({ status: 400, body: { message: ['name must be printable'] } });
  });

  it('should answer an unmapped database error with a bare 500 and log it without its SQL parameters', () => {
    registerSecret('Sealed-Credential-Marker');
    const { host, sent } = httpHost();
    const driverError = Object.assign(new Error('column "x" of relation "cluster" does not exist'), { code: '42703' });
    sut.catch(
      new QueryFailedError('INSERT ...', ['Sealed-Credential-Marker', 'Plain-Param-Marker'], driverError),
      host,
    );
    expect(sent).toEqual({ status: 500, body: { statusCode: 500, message: 'Internal server error' }, headers: {} });
    const line = JSON.stringify(logged);
    expect(line).toContain('42703');
    expect(line).not.toMatch(/Sealed-Credential-Marker|Plain-Param-Marker/);
  });

  it('should scrub a secret quoted in the message of an unhandled error', () => {
    registerSecret('Quoted-Token-Marker');
    const { host } = httpHost();
    sut.catch(new Error('metadata rejected: "Bearer Quoted-Token-Marker"'), host);
    expect(JSON.stringify(logged)).not.toContain('Quoted-Token-Marker');
  });

  it('should answer a lost database with 503 and Retry-After', () => {
    const { host, sent } = httpHost();
    sut.catch(new QueryFailedError('SELECT 1', [], new Error('Connection terminated unexpectedly')), host);
    expect(sent.status).toBe(503);
    expect(Number(sent.headers['Retry-After'])).toBeGreaterThan(0);
    expect(JSON.stringify(logged)).toContain('Connection terminated unexpectedly');
  });

  it('should answer a not-null violation with 400 naming the column', () => {
    const { host, sent } = httpHost();
    sut.catch(
      new QueryFailedError('INSERT', [], Object.assign(new Error('null'), { code: '23502', column: 'namespace' })),
      host,
    );
    expect(sent.status).toBe(400);
    expect(JSON.stringify(sent.body)).toContain('namespace must not be null');
  });
});
