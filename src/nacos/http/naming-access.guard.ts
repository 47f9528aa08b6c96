import { HttpException, HttpStatus, Injectable } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ClusterRouting } from '@/routing/cluster-routing';
import { NacosAuthService } from '@/nacos/auth/nacos-auth.service';
import { NOT_INITIALIZED_MESSAGE } from './nacos-errors';
import { NacosParams } from './nacos-params';

/** Headers a request to another member of the region carries. */
export type PeerHeaders = Record<string, string>;

/** The token sent as the `accessToken` header (Nacos 3's clients send it so), or undefined. */
function headerToken(request: FastifyRequest): string | undefined {
  const token = request.headers.accesstoken;
  return typeof token === 'string' && token !== '' ? token : undefined;
}

/**
 * The caller's credentials sent as a header rather than a param, for a request made on its behalf to
 * another member (a forwarded write, a gathered read): that member applies the same rule to the same
 * identity. Params (`accessToken`, `username`/`password`) travel with the params.
 */
export function credentialHeaders(request: FastifyRequest): PeerHeaders {
  const token = headerToken(request);
  return token === undefined ? {} : { accesstoken: token };
}

/**
 * In front of every Nacos naming route: 503 until Distro is initialized (as Nacos's server
 * status filter), then the optional Nacos auth (accessToken, or username/password params). Nacos 3's
 * admin API asks for an admin identity: every user here is a global admin, so a valid one passes.
 */
@Injectable()
export class NamingAccessGuard implements CanActivate {
  constructor(
    private readonly routing: ClusterRouting,
    private readonly auth: NacosAuthService,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.routing.initialized()) throw new HttpException(NOT_INITIALIZED_MESSAGE, HttpStatus.SERVICE_UNAVAILABLE);
    if (!this.auth.enabled) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const params = NacosParams.fromRequest(request);
    // Nacos reads the identity from the `accessToken` header too (the param wins), as Nacos 3's clients send it.
    const failure = this.auth.check({
      accessToken: params.optional('accessToken') ?? headerToken(request),
      username: params.optional('username'),
      password: params.optional('password'),
    });
    if (failure !== undefined) throw new HttpException(failure, HttpStatus.FORBIDDEN);
    return true;
  }
}
