import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { ValidateBy } from 'class-validator';
import { Env, EnvBool, EnvCheck, EnvInt, EnvSecret } from '@/config/env-field';

export interface NacosUser {
  username: string;
  password: string;
}

/** `user:password,user2:password2` into users; a malformed list stays text, refused by the rule. */
function toUsers(raw: string): NacosUser[] | string {
  const users: NacosUser[] = [];
  for (const item of raw.split(',').filter((i) => i.trim().length > 0)) {
    const at = item.indexOf(':');
    if (at <= 0 || at === item.length - 1) return raw;
    users.push({ username: item.slice(0, at).trim(), password: item.slice(at + 1) });
  }
  return users;
}

function EnvUserList(): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? toUsers(value) : value)),
    ValidateBy({
      name: 'envUserList',
      validator: {
        validate: (value: unknown) => Array.isArray(value),
        defaultMessage: () => 'must be user:password pairs separated by commas',
      },
    }),
  );
}

/** Optional Nacos auth of the naming API (NacosAuthService): users, token signing, token lifetime. */
export class NacosAuthConfig {
  @Env('NACOS_AUTH_ENABLED', 'Require a Nacos login (accessToken or username/password params) on the Nacos naming API')
  @EnvBool()
  readonly enabled: boolean = false;

  @Env('NACOS_AUTH_USERS', 'Nacos users as user:password,user2:password2 (used when NACOS_AUTH_ENABLED=true)', {
    sensitive: true,
    defaultText: 'empty',
  })
  @EnvUserList()
  @EnvCheck(
    (c: NacosAuthConfig) => c.enabled !== true || !Array.isArray(c.users) || c.users.length > 0,
    'must name at least one user:password when NACOS_AUTH_ENABLED=true',
  )
  readonly users: ReadonlyArray<NacosUser> = [];

  @Env(
    'NACOS_AUTH_SECRET',
    'Secret that signs Nacos access tokens (>= 32 chars); required when NACOS_AUTH_ENABLED=true',
    {
      sensitive: true,
      defaultText: 'unset',
    },
  )
  @EnvSecret(32)
  @EnvCheck(
    (c: NacosAuthConfig) => c.enabled !== true || c.secret !== undefined,
    'is required when NACOS_AUTH_ENABLED=true (it signs the access tokens)',
  )
  readonly secret?: string;

  @Env('NACOS_AUTH_TOKEN_TTL_MS', 'Lifetime of a Nacos access token issued by /nacos/v1/auth/login')
  @EnvInt(1000, 7 * 24 * 3600 * 1000)
  readonly tokenTtlMs: number = 18000000;
}
