import {
  BadRequestException,
  ConflictException,
  Injectable,
  Logger,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { mapConstraintErrors } from '../constraint-errors';
import { LoginThrottle } from '../auth/login-throttle';
import { PasswordHasher } from '../auth/password-hasher';
import { TooManyAttemptsException } from '../auth/too-many-attempts.exception';
import { SessionService } from '../auth/session.service';
import type { Principal } from '../principal';
import type { Role } from '../roles';
import { AuthStore } from '../store/auth-store';
import type { UserChange, UserRow } from '../store/user.repository';

const CONFLICTS = { UQ_app_user_username_ci: 'a user with this username exists (usernames match regardless of case)' };
const LAST_ADMIN = 'the last enabled admin cannot be demoted, disabled or deleted: make another admin first';

/**
 * Users of the admin API: created, changed and removed by admins, each change logged with who made
 * it (never a password or hash). Ending what a user could do takes effect at once: sessions are
 * checked against the user on every call, and removed here as well.
 */
@Injectable()
export class UserService {
  private readonly logger = new Logger(UserService.name);

  constructor(
    private readonly store: AuthStore,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionService,
    private readonly throttle: LoginThrottle,
  ) {}

  list(): Promise<UserRow[]> {
    return this.store.users.list();
  }

  async create(by: Principal, user: { username: string; role: Role; password: string }): Promise<UserRow> {
    if (by.via === 'open' && user.role !== 'admin') {
      // Open mode ends with the first user: without ADMIN_TOKEN, only an admin could manage users after.
      throw new BadRequestException(['role of the first user must be admin (no ADMIN_TOKEN is set)']);
    }
    const passwordHash = await this.hasher.hash(user.password);
    const saved = await mapConstraintErrors(
      () => this.store.users.insert({ username: user.username, role: user.role, passwordHash }),
      CONFLICTS,
    );
    this.logger.log({ actor: by.actor, user: saved.username, role: saved.role }, 'user created');
    return saved;
  }

  async update(by: Principal, username: string, change: { role?: Role; disabled?: boolean }): Promise<UserRow> {
    const saved = await this.apply(username, change);
    if (change.disabled === true) await this.sessions.closeAllOf(saved.id);
    this.logger.log({ actor: by.actor, user: saved.username, ...change }, 'user changed');
    return saved;
  }

  /** An admin sets a new password: every session of the user ends. */
  async resetPassword(by: Principal, username: string, password: string): Promise<void> {
    const saved = await this.apply(username, { passwordHash: await this.hasher.hash(password) });
    await this.sessions.closeAllOf(saved.id);
    this.logger.log({ actor: by.actor, user: saved.username }, 'password reset');
  }

  /**
   * A signed-in user changes their own password with the current one (throttled like a login);
   * their other sessions end, this one stays.
   */
  async changeOwnPassword(by: Principal, address: string, current: string, next: string): Promise<void> {
    const user = by.userId === undefined ? undefined : await this.store.users.findByName(by.actor);
    if (!user || user.id !== by.userId)
      throw new UnauthorizedException('only a signed-in user has a password to change');
    const waitMs = this.throttle.waitMs(user.username, address);
    if (waitMs > 0) throw new TooManyAttemptsException(waitMs);
    if (!(await this.hasher.verify(user.passwordHash, current))) {
      this.throttle.failed(user.username, address);
      throw new BadRequestException(['currentPassword is wrong']);
    }
    await this.apply(user.username, { passwordHash: await this.hasher.hash(next) });
    await this.sessions.closeAllOf(user.id, by.sessionId);
    this.logger.log({ actor: by.actor, user: user.username }, 'own password changed');
  }

  async remove(by: Principal, username: string): Promise<void> {
    const user = await this.find(username);
    const removed = await this.store.users.delete(user.id);
    if (removed === 'last-admin') throw new ConflictException(LAST_ADMIN);
    if (!removed) throw new NotFoundException(`no user ${username}`);
    this.logger.log({ actor: by.actor, user: user.username }, 'user deleted');
  }

  private async apply(username: string, change: UserChange): Promise<UserRow> {
    const user = await this.find(username);
    const saved = await this.store.users.update(user.id, change);
    if (saved === 'last-admin') throw new ConflictException(LAST_ADMIN);
    if (!saved) throw new NotFoundException(`no user ${username}`);
    return saved;
  }

  private async find(username: string): Promise<UserRow> {
    const user = await this.store.users.findByName(username);
    if (!user) throw new NotFoundException(`no user ${username}`);
    return user;
  }
}
