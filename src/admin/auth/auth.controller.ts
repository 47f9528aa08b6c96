import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AdminApi } from '../admin-token.guard';
import { CurrentPrincipal } from '../principal';
import type { Principal } from '../principal';
import { MinRole } from '../roles';
import { PasswordChangeDto } from '../users/user.dto';
import { UserService } from '../users/user.service';
import { AuthConfig } from './auth.config';
import { LoginDto, SessionResponseDto } from './auth.dto';
import { AuthService } from './auth.service';
import { cameOverHttps, sessionCookie } from './session-cookie';
import { SessionService } from './session.service';

@ApiTags('auth')
@Controller('api/v1/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionService,
    private readonly users: UserService,
    private readonly config: AuthConfig,
  ) {}

  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in: sets the HTTP-only session cookie, answers the CSRF token for changes' })
  @ApiOkResponse({ type: SessionResponseDto })
  @ApiUnauthorizedResponse({ description: 'wrong username or password (never says which)' })
  @ApiTooManyRequestsResponse({ description: 'too many failures for this username or address; see Retry-After' })
  async login(
    @Body() dto: LoginDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SessionResponseDto> {
    const { user, sessionId } = await this.auth.login(dto.username, dto.password, request.ip);
    void reply.header('set-cookie', sessionCookie(sessionId, this.sessions.cookieMaxAgeSeconds, this.secure(request)));
    return {
      username: user.username,
      role: user.role,
      via: 'session',
      csrfToken: this.sessions.csrfTokenOf(sessionId),
    };
  }

  @Post('logout')
  @AdminApi()
  @MinRole('viewer')
  @HttpCode(204)
  @ApiOperation({ summary: 'Sign out: ends the session and clears its cookie' })
  @ApiNoContentResponse()
  async logout(
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    if (principal.sessionId !== undefined) await this.sessions.close(principal.sessionId);
    void reply.header('set-cookie', sessionCookie('', 0, this.secure(request)));
  }

  @Get('me')
  @AdminApi()
  @ApiOperation({ summary: 'Who this call is authenticated as, with the CSRF token of a session' })
  @ApiOkResponse({ type: SessionResponseDto })
  me(@CurrentPrincipal() principal: Principal): SessionResponseDto {
    const session = principal.via === 'session' && principal.sessionId !== undefined;
    return {
      username: session ? principal.actor : null,
      role: principal.role,
      via: principal.via,
      ...(session && principal.sessionId ? { csrfToken: this.sessions.csrfTokenOf(principal.sessionId) } : {}),
    };
  }

  @Post('password')
  @AdminApi()
  @MinRole('viewer')
  @HttpCode(204)
  @ApiOperation({ summary: 'Change your own password with the current one; your other sessions end' })
  @ApiNoContentResponse()
  async changePassword(
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Body() dto: PasswordChangeDto,
  ): Promise<void> {
    await this.users.changeOwnPassword(principal, request.ip, dto.currentPassword, dto.newPassword);
  }

  private secure(request: FastifyRequest): boolean {
    return this.config.cookieSecure === 'always' || cameOverHttps(request);
  }
}
