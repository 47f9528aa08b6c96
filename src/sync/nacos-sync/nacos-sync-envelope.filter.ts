import { Catch, HttpException, HttpStatus, Logger, UnauthorizedException } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { scrubSecrets } from '@/common/secret-scrubber';
import { databaseHttpException } from '@/observability/database-exceptions';
import { loggableError } from '@/observability/all-exceptions.filter';
import type { NsBaseResult } from './nacos-sync.dto';

/**
 * Answers failures as Nacos-Sync's SkyWalkerTemplate does: HTTP 200, `success: false`,
 * `resultCode: SYSTEM_ERROR` and the reason in `resultMessage` — a bad field, an unknown id, a
 * conflict, the database down. Only a missing or wrong admin token stays an HTTP 401: it is the
 * admin API's auth, which Nacos-Sync does not have. An unexpected error is logged and its details
 * kept from the caller.
 */
@Catch()
export class NacosSyncEnvelopeFilter implements ExceptionFilter {
  private readonly logger = new Logger('NacosSyncApi');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (exception instanceof UnauthorizedException) {
      void reply.status(HttpStatus.UNAUTHORIZED).send(exception.getResponse());
      return;
    }
    const known = exception instanceof HttpException ? exception : databaseHttpException(exception);
    let message: string;
    if (known) {
      message = messageOf(known);
    } else {
      this.logger.error({ err: loggableError(exception) }, 'unhandled error in the Nacos-Sync API');
      message = 'internal error (see the server log)';
    }
    const body: NsBaseResult = { success: false, resultCode: 'SYSTEM_ERROR', resultMessage: scrubSecrets(message) };
    void reply.status(HttpStatus.OK).send(body);
  }
}

function messageOf(err: HttpException): string {
  const body = err.getResponse();
  const raw = typeof body === 'string' ? body : (body as { message?: unknown }).message;
  return (Array.isArray(raw) ? raw : [raw ?? err.message]).map(String).join('; ');
}
