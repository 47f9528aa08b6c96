import { BadRequestException, ConflictException, ServiceUnavailableException } from '@nestjs/common';
import type { HttpException } from '@nestjs/common';
import { scrubbedMessage } from '@/common/secret-scrubber';
import { classifyDatabaseError } from '@/database/database-errors';
import type { DatabaseFailure } from '@/database/database-errors';

/** What `Retry-After` tells a caller while the database cannot be reached. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** 503 for a database that is away: the request may well succeed when retried. */
export class DatabaseUnavailableException extends ServiceUnavailableException {
  readonly retryAfterSeconds = DATABASE_RETRY_AFTER_SECONDS;

  /**
   * @param databaseCode the SQLSTATE or socket code, for the log line
   * @param detail the driver's message, scrubbed of secrets, for the log line (never the answer)
   */
  constructor(
    readonly databaseCode: string,
    readonly detail: string,
  ) {
    super('the database cannot be reached now; retry later');
  }
}

/**
 * The HTTP answer to a database error, or undefined when it is not one we can explain (a 500):
 * unique / foreign key / restrict → 409, a value the database refuses → 400, no connection → 503.
 * `messages` gives an operator's wording per constraint name; the database's own text (which may
 * quote the values sent) never reaches the caller.
 */
export function databaseHttpException(
  err: unknown,
  messages: Readonly<Record<string, string>> = {},
): HttpException | undefined {
  const failure = classifyDatabaseError(err);
  if (!failure) return undefined;
  const worded = failure.constraint ? messages[failure.constraint] : undefined;
  switch (failure.kind) {
    case 'conflict':
      return new ConflictException(worded ?? conflictMessage(failure));
    case 'invalid-input':
      return new BadRequestException([worded ?? invalidInputMessage(failure)]);
    case 'unavailable':
      return new DatabaseUnavailableException(failure.code, scrubbedMessage(err));
  }
}

function conflictMessage(failure: DatabaseFailure): string {
  return failure.constraint ? `conflicts with existing data (${failure.constraint})` : 'conflicts with existing data';
}

function invalidInputMessage(failure: DatabaseFailure): string {
  switch (failure.code) {
    case '23502':
      return `${failure.column ?? 'a field'} must not be null`;
    case '23514':
      return `a value breaks the rule ${failure.constraint ?? 'of its field'}`;
    case '22001':
      return 'a value is longer than its field allows';
    case '22003':
      return 'a number is out of range';
    case '22021':
    case '22P05':
      return 'text must be printable (no NUL or control characters)';
    default:
      return 'a value has a form the database cannot store';
  }
}
