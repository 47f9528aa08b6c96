import { Controller, HttpCode, HttpException, HttpStatus, Post, Req } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { NacosAuthService } from '@/nacos/auth/nacos-auth.service';
import type { NacosLogin } from '@/nacos/auth/nacos-auth.service';
import { NacosParams } from './nacos-params';

/** Nacos login: credentials as params (query or form), answer with an access token. */
@ApiExcludeController()
@Controller('nacos/v1/auth')
export class NacosAuthController {
  constructor(private readonly auth: NacosAuthService) {}

  @Post(['login', 'users/login'])
  @HttpCode(HttpStatus.OK)
  login(@Req() request: FastifyRequest): NacosLogin {
    const params = NacosParams.fromRequest(request);
    const login = this.auth.login(params.optional('username'), params.optional('password'));
    if (login === undefined) throw new HttpException('unknown user!', HttpStatus.FORBIDDEN);
    return login;
  }
}
