import { Env, EnvInt } from '@/config/env-field';

/** UDP push to v1 subscribers (UdpPushService). */
export class NacosUdpConfig {
  @Env(
    'NACOS_UDP_PUSH_DELAY_MS',
    'Changes of one service within this window are pushed to UDP subscribers as one packet',
  )
  @EnvInt(0, 60000)
  readonly pushDelayMs: number = 100;

  @Env('NACOS_UDP_PUSH_RETRIES', 'How often an unacknowledged UDP push is resent (1 s apart)')
  @EnvInt(0, 10)
  readonly retries: number = 3;

  @Env(
    'NACOS_UDP_SUBSCRIBER_TTL_MS',
    'A UDP subscriber that stops polling /instance/list for this long gets no more pushes',
  )
  @EnvInt(100, 3600000)
  readonly subscriberTtlMs: number = 30000;
}
