import { Env, EnvCheck, EnvInt, EnvOneOf, EnvSecret, EnvText } from '@/config/env-field';
import { PASSWORD_MIN_LENGTH, USERNAME_PATTERN, USERNAME_RULE } from '../users/credentials';

/** argon2id's own default memory cost, which the user CLI and every node not told otherwise use. */
export const DEFAULT_HASH_MEMORY_KIB = 65_536;

/** Users, sessions and login throttling of the admin API (AdminAuthGuard, AuthController). */
export class AuthConfig {
  @Env('ADMIN_USERNAME', 'The first admin, created at start only while no user exists (with ADMIN_PASSWORD)', {
    defaultText: 'unset',
  })
  @EnvText()
  @EnvCheck(
    (c: AuthConfig) => c.username === undefined || USERNAME_PATTERN.test(c.username),
    `must be ${USERNAME_RULE}`,
  )
  @EnvCheck(
    (c: AuthConfig) => (c.username === undefined) === (c.password === undefined),
    'and ADMIN_PASSWORD go together',
  )
  readonly username?: string;

  @Env('ADMIN_PASSWORD', `Password of ADMIN_USERNAME (>= ${PASSWORD_MIN_LENGTH} chars); used only to create it`, {
    sensitive: true,
    defaultText: 'unset',
  })
  @EnvSecret(PASSWORD_MIN_LENGTH)
  readonly password?: string;

  @Env('SESSION_IDLE_TIMEOUT_MS', 'A console session ends after this long without a call')
  @EnvInt(60_000, 7 * 24 * 3600 * 1000)
  readonly sessionIdleMs: number = 1_800_000;

  @Env('SESSION_MAX_AGE_MS', 'A console session ends this long after login, however busy')
  @EnvInt(60_000, 30 * 24 * 3600 * 1000)
  readonly sessionMaxAgeMs: number = 43_200_000;

  @Env(
    'SESSION_COOKIE_SECURE',
    '`auto`: the cookie is Secure when the request came over https (TLS or X-Forwarded-Proto); `always`',
  )
  @EnvOneOf(['auto', 'always'])
  readonly cookieSecure: 'auto' | 'always' = 'auto';

  @Env('LOGIN_FAILURES_FREE', 'Failed logins of one username before each further attempt waits (backoff)')
  @EnvInt(1, 1000)
  readonly usernameFailuresFree: number = 5;

  @Env('LOGIN_IP_FAILURES_FREE', 'Failed logins from one client address before each further attempt waits')
  @EnvInt(1, 10_000)
  readonly ipFailuresFree: number = 20;

  @Env('LOGIN_BACKOFF_MS', 'First wait after the free failures; doubles with each further failure, at most 15 min')
  @EnvInt(1, 900_000)
  readonly backoffMs: number = 1000;

  @Env(
    'PASSWORD_HASH_MEMORY_KIB',
    'Memory of one argon2id password hash (3 passes, 4 lanes); below the default only for tests, warned at start',
  )
  @EnvInt(1024, 4_194_304)
  readonly hashMemoryKib: number = DEFAULT_HASH_MEMORY_KIB;
}
