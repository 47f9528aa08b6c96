import { Global, Module } from '@nestjs/common';
import { AdminAuthGuard } from './admin-token.guard';
import { AdminAuthenticator } from './auth/admin-authenticator';
import { AuthConfig } from './auth/auth.config';
import { AuthController } from './auth/auth.controller';
import { AuthService } from './auth/auth.service';
import { LoginThrottle } from './auth/login-throttle';
import { PasswordHasher } from './auth/password-hasher';
import { SessionService } from './auth/session.service';
import { PrincipalInterceptor } from './principal';
import { AuthStore } from './store/auth-store';
import { FirstAdmin } from './users/first-admin';
import { UserService } from './users/user.service';
import { UsersController } from './users/users.controller';

/**
 * Who may use the admin API: users and their sessions, login, and the guard every `@AdminApi()`
 * controller uses (global, so any module's controller gets it without importing this one).
 */
@Global()
@Module({
  controllers: [AuthController, UsersController],
  providers: [
    AuthStore,
    PasswordHasher,
    SessionService,
    { provide: LoginThrottle, inject: [AuthConfig], useFactory: (config: AuthConfig) => new LoginThrottle(config) },
    AdminAuthenticator,
    AdminAuthGuard,
    PrincipalInterceptor,
    AuthService,
    UserService,
    FirstAdmin,
  ],
  exports: [AdminAuthenticator, AdminAuthGuard, PrincipalInterceptor],
})
export class AdminAuthModule {}
