import { Env, EnvSecret } from '@/config/env-field';

/** The bearer token of the admin API `/api/v1` (AdminTokenGuard). */
export class AdminConfig {
  @Env('ADMIN_TOKEN', 'Bearer token of the admin API /api/v1; unset = open (development only)', {
    sensitive: true,
    defaultText: 'unset',
  })
  @EnvSecret(16)
  readonly token?: string;
}
