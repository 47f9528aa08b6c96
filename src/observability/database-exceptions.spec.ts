import { BadRequestException, ConflictException, HttpStatus } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { DatabaseUnavailableException, databaseHttpException } from './database-exceptions';

const failed = (code: string, fields: Record<string, string> = {}, message = 'driver text'): QueryFailedError =>
  new QueryFailedError('SQL', ['Secret-Param-Marker'], Object.assign(new Error(message), { code, ...fields }));

describe(databaseHttpException.name, () => {
  it('should answer a conflict with 409 in the operator wording of its constraint, or a generic one', () => {
    const worded = databaseHttpException(failed('23505', { constraint: 'UQ_x' }), {
      UQ_x: 'a thing with this name exists',
    });
    expect(worded).toBeInstanceOf(ConflictException);
    expect(worded?.message).toBe('a thing with this name exists');
    expect(databaseHttpException(failed('23001', { constraint: 'FK_y' }))?.getStatus()).toBe(HttpStatus.CONFLICT);
  });

  it('should answer refused values with 400 naming the column, never with the database text', () => {
    const notNull = databaseHttpException(failed('23502', { column: 'group_name' }));
    expect(notNull).toBeInstanceOf(BadRequestException);
    expect(JSON.stringify(notNull?.getResponse())).toContain('group_name must not be null');
    const nul = databaseHttpException(failed('22021', {}, 'invalid byte sequence for encoding "UTF8": 0x00 Secret'));
    expect(nul?.getStatus()).toBe(HttpStatus.BAD_REQUEST);
    expect(JSON.stringify(nul?.getResponse())).not.toMatch(/Secret|0x00/);
  });

  it('should answer an unreachable database with 503 and a retry delay', () => {
    const down = databaseHttpException(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    expect(down).toBeInstanceOf(DatabaseUnavailableException);
    expect(down?.getStatus()).toBe(HttpStatus.SERVICE_UNAVAILABLE);
    expect((down as DatabaseUnavailableException).retryAfterSeconds).toBeGreaterThan(0);
  });

  it('should leave other errors to the 500 path', () => {
    expect(databaseHttpException(failed('42703'))).toBeUndefined();
    expect(databaseHttpException(new Error('boom'))).toBeUndefined();
  });
});
