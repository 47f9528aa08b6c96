import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable, createParamDecorator } from '@nestjs/common';
import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { Role } from './roles';

/** Who is calling the admin API, as the audit trail names them. */
export interface Principal {
  /** The username for a session, `admin-token` for the bearer token, `anonymous` in open mode. */
  actor: string;
  role: Role;
  via: 'session' | 'token' | 'open';
  userId?: string;
  sessionId?: string;
}

export const TOKEN_PRINCIPAL: Principal = { actor: 'admin-token', role: 'admin', via: 'token' };
export const OPEN_PRINCIPAL: Principal = { actor: 'anonymous', role: 'admin', via: 'open' };

const byRequest = new WeakMap<object, Principal>();
const current = new AsyncLocalStorage<Principal>();

/** Remembers the guard's verdict for the rest of the request. */
export function attachPrincipal(request: object, principal: Principal): void {
  byRequest.set(request, principal);
}

/** The caller of the admin API request being served, if any (undefined in a worker's own work). */
export function currentPrincipal(): Principal | undefined {
  return current.getStore();
}

/**
 * Runs the handler in the caller's async context, so what it calls (the audit trail) knows who
 * acted without every service taking a parameter for it.
 */
@Injectable()
export class PrincipalInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const principal = byRequest.get(context.switchToHttp().getRequest<object>());
    // Nest binds the handler to the async context in which handle() is called.
    return principal ? current.run(principal, () => next.handle()) : next.handle();
  }
}

/** The handler parameter holding the caller (routes behind @AdminApi only). */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = byRequest.get(context.switchToHttp().getRequest<object>());
  if (!principal) throw new Error('CurrentPrincipal used on a route without @AdminApi');
  return principal;
});
