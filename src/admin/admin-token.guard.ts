import { ForbiddenException, Injectable, UseGuards, UseInterceptors, applyDecorators } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiForbiddenResponse,
  ApiSecurity,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AdminAuthenticator } from './auth/admin-authenticator';
import { PrincipalInterceptor, attachPrincipal } from './principal';
import { MIN_ROLE, requiredRole, roleAllows } from './roles';
import type { Role } from './roles';

/**
 * Guards the admin API: `Authorization: Bearer <ADMIN_TOKEN>` (acts as `admin`, compared in
 * constant time, never echoed or logged) or a console session, then the role rule — `viewer`
 * reads, `operator` also takes the actions marked `@MinRole('operator')`, any other change needs
 * `admin`. Open (as `anonymous`) only while neither ADMIN_TOKEN is set nor any user exists.
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  constructor(
    private readonly authenticator: AdminAuthenticator,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = await this.authenticator.authenticate(request);
    const marked = this.reflector.getAllAndOverride<Role | undefined>(MIN_ROLE, [
      context.getHandler(),
      context.getClass(),
    ]);
    const need = requiredRole(request.method, marked);
    if (!roleAllows(principal.role, need)) {
      throw new ForbiddenException(
        `this call needs the ${need} role; ${principal.actor} has the ${principal.role} role`,
      );
    }
    attachPrincipal(request, principal);
    return true;
  }
}

/**
 * Marks a controller or route as part of the admin API: the one entry of its authentication and
 * roles (AdminAuthGuard), the caller known to the audit trail, documented as such.
 */
export function AdminApi(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    UseGuards(AdminAuthGuard),
    UseInterceptors(PrincipalInterceptor),
    ApiBearerAuth(),
    ApiCookieAuth(),
    ApiSecurity('csrf'),
    ApiUnauthorizedResponse({ description: 'no valid bearer token or session (and not in open mode)' }),
    ApiForbiddenResponse({ description: 'the role is too low, or a cookie-authenticated change lacks X-CSRF-Token' }),
  );
}
