/**
 * What a database error means for the caller, decided once for every transport: the request
 * conflicts with stored data, the request carried a value the database refuses, or the database
 * cannot be reached now (worth a retry). Anything else is a fault of ours and stays unclassified.
 */
export type DatabaseFailureKind = 'conflict' | 'invalid-input' | 'unavailable';

export interface DatabaseFailure {
  kind: DatabaseFailureKind;
  /** The SQLSTATE, the Node error code, or `connection` for a driver's own message; safe to log. */
  code: string;
  /** The constraint the database named (unique, foreign key, check), when it did. */
  constraint?: string;
  /** The column the database named (not-null), when it did. */
  column?: string;
}

const CONFLICT = new Set([
  '23505', // unique_violation
  '23503', // foreign_key_violation
  '23001', // restrict_violation: Postgres 17 and PGlite report ON DELETE RESTRICT with it
]);

const INVALID_INPUT = new Set([
  '23502', // not_null_violation
  '23514', // check_violation
  '22001', // string_data_right_truncation
  '22003', // numeric_value_out_of_range
  '22021', // character_not_in_repertoire: NUL or a bad byte in UTF-8 text
  '22P02', // invalid_text_representation
  '22P05', // untranslatable_character: `\u0000` in jsonb
]);

const UNAVAILABLE = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up, shutting down, in recovery
  '53300', // too_many_connections
]);

/** Socket errors of the driver's connection to the database. */
const NODE_CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** Messages of node-postgres and TypeORM for a connection that is gone or never came. */
const CONNECTION_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end|connection is not established|Client was closed and is not queryable/i;

/**
 * Classifies a thrown value from TypeORM or node-postgres (a `QueryFailedError` carries the
 * driver's fields), or returns undefined when it is not a database error we can explain.
 */
export function classifyDatabaseError(err: unknown): DatabaseFailure | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const outer = err as { code?: unknown; message?: unknown; driverError?: unknown };
  const driver = (typeof outer.driverError === 'object' && outer.driverError !== null ? outer.driverError : outer) as {
    code?: unknown;
    constraint?: unknown;
    column?: unknown;
    message?: unknown;
  };
  const code = typeof driver.code === 'string' ? driver.code : typeof outer.code === 'string' ? outer.code : undefined;
  const named = {
    ...(typeof driver.constraint === 'string' && driver.constraint ? { constraint: driver.constraint } : {}),
    ...(typeof driver.column === 'string' && driver.column ? { column: driver.column } : {}),
  };
  if (code !== undefined) {
    if (CONFLICT.has(code)) return { kind: 'conflict', code, ...named };
    if (INVALID_INPUT.has(code)) return { kind: 'invalid-input', code, ...named };
    if (UNAVAILABLE.has(code) || code.startsWith('08') || NODE_CONNECTION_CODES.has(code)) {
      return { kind: 'unavailable', code };
    }
  }
  const message = typeof driver.message === 'string' ? driver.message : outer.message;
  if (typeof message === 'string' && CONNECTION_MESSAGES.test(message)) {
    return { kind: 'unavailable', code: code ?? 'connection' };
  }
  return undefined;
}
