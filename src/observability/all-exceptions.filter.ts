import { Catch, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The last line of defence: HTTP exceptions keep their status and body; anything else becomes a
 * plain 500 whose details go to the log, never to the caller.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    if (exception instanceof HttpException) {
      void reply.status(exception.getStatus()).send(exception.getResponse());
      return;
    }
    const fastifyStatus = fastifyClientErrorStatus(exception);
    if (fastifyStatus !== undefined) {
      void reply.status(fastifyStatus).send({ statusCode: fastifyStatus, message: (exception as Error).message });
      return;
    }
    this.logger.error(
      { err: exception, method: request.method, route: request.routeOptions.url },
      'unhandled error while serving a request',
    );
    void reply
      .status(HttpStatus.INTERNAL_SERVER_ERROR)
      .send({ statusCode: HttpStatus.INTERNAL_SERVER_ERROR, message: 'Internal server error' });
  }
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
