import { Env, EnvSecret } from '@/config/env-field';

/** The bearer token of the admin API `/api/v1` (AdminAuthenticator); it acts as `admin`. */
export class AdminConfig {
  @Env(
    'ADMIN_TOKEN',
    'Bearer token of the admin API /api/v1, acting as admin; with neither it nor a user the API is open (development only)',
    {
      sensitive: true,
      defaultText: 'unset',
    },
  )
  @EnvSecret(16)
  readonly token?: string;
}
