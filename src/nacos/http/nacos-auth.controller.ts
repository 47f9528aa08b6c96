import { Controller, HttpCode, HttpException, HttpStatus, Post, Req } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { NacosAuthService } from '@/nacos/auth/nacos-auth.service';
import type { NacosLogin } from '@/nacos/auth/nacos-auth.service';
import { NacosParams } from './nacos-params';

/**
 * Nacos login: credentials as params (query or form), answer with an access token. Nacos 3's clients
 * try `/nacos/v3/auth/user/login` first (falling back to v1 only on a 404), which answers the same.
 */
@ApiExcludeController()
@Controller('nacos')
export class NacosAuthController {
  constructor(private readonly auth: NacosAuthService) {}

  @Post(['v1/auth/login', 'v1/auth/users/login', 'v3/auth/user/login'])
  @HttpCode(HttpStatus.OK)
  login(@Req() request: FastifyRequest): NacosLogin {
    const params = NacosParams.fromRequest(request);
    const login = this.auth.login(params.optional('username'), params.optional('password'));
    if (login === undefined) throw new HttpException('unknown user!', HttpStatus.FORBIDDEN);
    return login;
  }
}
