import { Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { AuthStore } from '../store/auth-store';
import type { UserRow } from '../store/user.repository';
import { LoginThrottle } from './login-throttle';
import { PasswordHasher } from './password-hasher';
import { SessionService } from './session.service';
import { TooManyAttemptsException } from './too-many-attempts.exception';

/** The one answer to every failed sign-in: it never says whether the user exists or is disabled. */
const REFUSED = 'wrong username or password';

/** Sign-in: throttled, a decoy hash checked for unknown names, a new session on success. */
@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly store: AuthStore,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionService,
    private readonly throttle: LoginThrottle,
  ) {}

  /** Checks the password and opens a session; answers the user and the session id for the cookie. */
  async login(username: string, password: string, address: string): Promise<{ user: UserRow; sessionId: string }> {
    const waitMs = this.throttle.waitMs(username, address);
    if (waitMs > 0) {
      this.logger.warn({ user: username, address, waitMs }, 'sign-in refused: backing off after failures');
      throw new TooManyAttemptsException(waitMs);
    }
    const user = await this.store.users.findByName(username);
    const matches = await this.hasher.verify(user?.passwordHash, password);
    if (!user || !matches || user.disabled) {
      this.throttle.failed(username, address);
      this.logger.warn({ user: username, address }, 'sign-in failed');
      throw new UnauthorizedException(REFUSED);
    }
    this.throttle.succeeded(username);
    const sessionId = await this.sessions.open(user.id);
    this.logger.log({ user: user.username, address }, 'signed in');
    return { user, sessionId };
  }
}
