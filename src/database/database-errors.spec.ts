import { QueryFailedError } from 'typeorm';
import { classifyDatabaseError } from './database-errors';

/** A node-postgres error as the driver builds it: a message plus the server's fields. */
const pgError = (code: string, fields: Record<string, string> = {}): Error =>
  Object.assign(new Error(`server said ${code}`), { code, severity: 'ERROR', ...fields });
const queryFailed = (driverError: Error): QueryFailedError =>
  new QueryFailedError('INSERT INTO "cluster" ... VALUES ($1, $2)', ['name', Buffer.from('sealed')], driverError);

describe(classifyDatabaseError.name, () => {
  it('should call unique, foreign key and restrict violations conflicts, naming the constraint', () => {
    expect(classifyDatabaseError(queryFailed(pgError('23505', { constraint: 'UQ_cluster_name' })))).toEqual({
      kind: 'conflict',
      code: '23505',
      constraint: 'UQ_cluster_name',
    });
    expect(classifyDatabaseError(queryFailed(pgError('23503', { constraint: 'FK_sync_task_source' })))).toMatchObject({
      kind: 'conflict',
      constraint: 'FK_sync_task_source',
    });
    // Postgres 17 and PGlite report ON DELETE RESTRICT as restrict_violation.
    expect(classifyDatabaseError(queryFailed(pgError('23001', { constraint: 'FK_sync_task_target' })))).toMatchObject({
      kind: 'conflict',
      code: '23001',
    });
  });

  it('should call not-null violations and text the database cannot store invalid input', () => {
    expect(classifyDatabaseError(queryFailed(pgError('23502', { column: 'namespace' })))).toEqual({
      kind: 'invalid-input',
      code: '23502',
      column: 'namespace',
    });
    for (const code of ['22021', '22P05', '22001', '23514']) {
      expect(classifyDatabaseError(queryFailed(pgError(code)))).toMatchObject({ kind: 'invalid-input', code });
    }
  });

  it('should call lost and refused connections unavailable', () => {
    for (const code of ['57P01', '57P03', '08006', '08001', '53300']) {
      expect(classifyDatabaseError(queryFailed(pgError(code)))).toMatchObject({ kind: 'unavailable', code });
    }
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(classifyDatabaseError(refused)).toEqual({ kind: 'unavailable', code: 'ECONNREFUSED' });
    expect(classifyDatabaseError(new Error('Connection terminated unexpectedly'))).toEqual({
      kind: 'unavailable',
      code: 'connection',
    });
    expect(classifyDatabaseError(new Error('timeout exceeded when trying to connect'))).toMatchObject({
      kind: 'unavailable',
    });
    expect(
      classifyDatabaseError(queryFailed(new Error('Connection terminated due to connection timeout'))),
    ).toMatchObject({ kind: 'unavailable' });
  });

  it('should leave everything else unclassified: those are our faults, 500s', () => {
    expect(classifyDatabaseError(queryFailed(pgError('42P01')))).toBeUndefined(); // undefined_table
    expect(classifyDatabaseError(new TypeError("Cannot read properties of null (reading 'length')"))).toBeUndefined();
    expect(classifyDatabaseError(undefined)).toBeUndefined();
    expect(classifyDatabaseError('text')).toBeUndefined();
  });
});
