import { Env, EnvCheck, EnvInt } from '@/config/env-field';

/** Heartbeats of ephemeral ip-port instances (v1 clients): the interval told to clients and the expiry. */
export class NacosBeatConfig {
  @Env('NACOS_CLIENT_BEAT_INTERVAL_MS', 'Heartbeat interval told to v1 clients (clientBeatInterval)')
  @EnvInt(100, 600000)
  readonly intervalMs: number = 5000;

  @Env('NACOS_CLIENT_BEAT_UNHEALTHY_MS', 'An ephemeral ip-port instance without a beat for this long turns unhealthy')
  @EnvInt(100, 3600000)
  readonly unhealthyMs: number = 15000;

  @Env('NACOS_CLIENT_BEAT_DELETE_MS', 'An ephemeral ip-port instance without a beat for this long is removed')
  @EnvInt(100, 3600000)
  @EnvCheck(
    (c: NacosBeatConfig) =>
      typeof c.deleteMs !== 'number' || typeof c.unhealthyMs !== 'number' || c.deleteMs >= c.unhealthyMs,
    'must not be shorter than NACOS_CLIENT_BEAT_UNHEALTHY_MS',
  )
  readonly deleteMs: number = 30000;

  @Env('NACOS_CLIENT_BEAT_CHECK_MS', 'How often heartbeat expiry runs')
  @EnvInt(50, 600000)
  readonly checkMs: number = 5000;
}
