import { HttpException, HttpStatus, Injectable } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ClusterRouting } from '@/routing/cluster-routing';
import { NacosAuthService } from '@/nacos/auth/nacos-auth.service';
import { NOT_INITIALIZED_MESSAGE } from './nacos-errors';
import { NacosParams } from './nacos-params';

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
    const header = request.headers.accesstoken;
    const failure = this.auth.check({
      accessToken: params.optional('accessToken') ?? (typeof header === 'string' && header !== '' ? header : undefined),
      username: params.optional('username'),
      password: params.optional('password'),
    });
    if (failure !== undefined) throw new HttpException(failure, HttpStatus.FORBIDDEN);
    return true;
  }
}
