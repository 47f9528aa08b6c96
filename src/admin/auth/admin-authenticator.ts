import { ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { secretsEqual } from '@/common/secret-compare';
import { AdminConfig } from '../admin-token.config';
import { OPEN_PRINCIPAL, TOKEN_PRINCIPAL } from '../principal';
import type { Principal } from '../principal';
import { AuthStore } from '../store/auth-store';
import { CSRF_HEADER, sessionIdOf } from './session-cookie';
import { SessionService } from './session.service';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Says who calls the admin API: the bearer ADMIN_TOKEN (acts as `admin`), a console session (its
 * user's role; a change must carry the CSRF header), or nobody — allowed only in open mode, while
 * neither ADMIN_TOKEN is set nor any user exists.
 */
@Injectable()
export class AdminAuthenticator {
  /** Once a user exists the API stays closed: the last enabled admin cannot be removed through it. */
  private usersExist = false;

  constructor(
    private readonly admin: AdminConfig,
    private readonly store: AuthStore,
    private readonly sessions: SessionService,
  ) {}

  async authenticate(request: FastifyRequest): Promise<Principal> {
    const authorization = request.headers.authorization;
    if (authorization !== undefined && this.admin.token) return this.bearer(authorization, this.admin.token);
    const sessionId = sessionIdOf(request);
    if (sessionId !== undefined) {
      const session = await this.sessions.resolve(sessionId);
      if (session) {
        this.checkCsrf(request, sessionId);
        return { actor: session.username, role: session.role, via: 'session', userId: session.userId, sessionId };
      }
    }
    if (await this.isOpen()) return OPEN_PRINCIPAL;
    throw new UnauthorizedException(
      sessionId !== undefined
        ? 'the session has expired or ended: sign in again (POST /api/v1/auth/login)'
        : 'sign in (POST /api/v1/auth/login) or send Authorization: Bearer <ADMIN_TOKEN>',
    );
  }

  /** Open mode: no ADMIN_TOKEN and no user yet (development only; start-up warns). */
  async isOpen(): Promise<boolean> {
    if (this.admin.token) return false;
    if (!this.usersExist) this.usersExist = await this.store.users.any();
    return !this.usersExist;
  }

  private bearer(header: string, expected: string): Principal {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1] || !secretsEqual(match[1], expected)) {
      throw new UnauthorizedException('a valid admin bearer token is required');
    }
    return TOKEN_PRINCIPAL;
  }

  private checkCsrf(request: FastifyRequest, sessionId: string): void {
    if (SAFE_METHODS.has(request.method)) return;
    const sent = request.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || !secretsEqual(sent, this.sessions.csrfTokenOf(sessionId))) {
      throw new ForbiddenException(
        'a change made with the session cookie needs the X-CSRF-Token header: the csrfToken that login or GET /api/v1/auth/me answered',
      );
    }
  }
}
