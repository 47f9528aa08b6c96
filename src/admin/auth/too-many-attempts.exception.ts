import { HttpException, HttpStatus } from '@nestjs/common';

/** 429 with Retry-After (the exception filter sets it from `retryAfterSeconds`). */
export class TooManyAttemptsException extends HttpException {
  readonly retryAfterSeconds: number;

  constructor(waitMs: number) {
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    super(
      {
        statusCode: HttpStatus.TOO_MANY_REQUESTS,
        message: `too many failed sign-ins: try again in ${seconds} s`,
        error: 'Too Many Requests',
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
    this.retryAfterSeconds = seconds;
  }
}
