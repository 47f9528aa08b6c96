import { Injectable, UnauthorizedException, UseGuards, applyDecorators } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { ApiBearerAuth, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AdminConfig } from './admin-token.config';
import { secretsEqual } from '@/common/secret-compare';

/**
 * Guards the admin API with `Authorization: Bearer <ADMIN_TOKEN>` when ADMIN_TOKEN is set (start-up
 * warns when it is not). The token is compared in constant time and never echoed or logged.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(private readonly config: AdminConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.config.token;
    if (!expected) return true;
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1] || !secretsEqual(match[1], expected)) {
      throw new UnauthorizedException('a valid admin bearer token is required');
    }
    return true;
  }
}

/** Marks a controller or route as part of the admin API: bearer token, documented as such. */
export function AdminApi(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    UseGuards(AdminTokenGuard),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'ADMIN_TOKEN is set and the bearer token is missing or wrong' }),
  );
}
