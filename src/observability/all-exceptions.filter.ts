import { Catch, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { scrubSecrets, scrubbedMessage } from '@/common/secret-scrubber';
import { DatabaseUnavailableException, databaseHttpException } from './database-exceptions';

/**
 * The last line of defence: HTTP exceptions keep their status and body (and Retry-After when they
 * carry `retryAfterSeconds`); database errors get the status they mean (409, 400, 503 with
 * Retry-After); anything else becomes a plain 500 whose
 * details go to the log, never to the caller.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const known = exception instanceof HttpException ? exception : databaseHttpException(exception);
    if (known) {
      if (known instanceof DatabaseUnavailableException) {
        this.logger.warn(
          {
            code: known.databaseCode,
            error: known.detail,
            method: request.method,
            route: routeOf(request),
          },
          'database unavailable while serving a request',
        );
      }
      const { retryAfterSeconds } = known as { retryAfterSeconds?: unknown };
      if (typeof retryAfterSeconds === 'number') void reply.header('Retry-After', String(retryAfterSeconds));
      void reply.status(known.getStatus()).send(known.getResponse());
      return;
    }
    const fastifyStatus = fastifyClientErrorStatus(exception);
    if (fastifyStatus !== undefined) {
      void reply.status(fastifyStatus).send({ statusCode: fastifyStatus, message: (exception as Error).message });
      return;
    }
    this.logger.error(
      { err: loggableError(exception), method: request.method, route: routeOf(request) },
      'unhandled error while serving a request',
    );
    void reply
      .status(HttpStatus.INTERNAL_SERVER_ERROR)
      .send({ statusCode: HttpStatus.INTERNAL_SERVER_ERROR, message: 'Internal server error' });
  }
}

function routeOf(request: FastifyRequest): string | undefined {
  return request.routeOptions.url;
}

/**
 * Type, code, message and stack, scrubbed — and nothing else: a TypeORM `QueryFailedError` also
 * carries the statement's `parameters`, among them a cluster's sealed credentials.
 */
export function loggableError(exception: unknown): Record<string, unknown> {
  if (!(exception instanceof Error)) return { message: scrubbedMessage(exception) };
  const { code } = exception as { code?: unknown };
  return {
    type: exception.name,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    message: scrubbedMessage(exception),
    ...(exception.stack ? { stack: scrubSecrets(exception.stack) } : {}),
  };
}

/** Fastify's own 4xx errors (bad JSON, body too large, bad content type) are the caller's fault. */
function fastifyClientErrorStatus(exception: unknown): number | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const { statusCode, code } = exception as { statusCode?: unknown; code?: unknown };
  if (typeof code === 'string' && code.startsWith('FST_') && typeof statusCode === 'number' && statusCode < 500) {
    return statusCode;
  }
  return undefined;
}
