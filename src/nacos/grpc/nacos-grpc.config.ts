import { Env, EnvInt, EnvPort, EnvSecret } from '@/config/env-field';
import { portAfterHttp } from '@/http.config';

/** The Nacos gRPC port (NacosGrpcServer): the Nacos 2.x client protocol. */
export class NacosGrpcConfig {
  @Env('NACOS_GRPC_PORT', 'gRPC: Nacos 2.x client protocol (default HTTP_PORT + 1000)', {
    derive: portAfterHttp(1000),
    defaultText: 'HTTP_PORT + 1000',
  })
  @EnvPort()
  readonly port!: number;

  @Env('NACOS_GRPC_MAX_MESSAGE_BYTES', 'Largest gRPC message accepted or sent on the Nacos gRPC port (Nacos: 10 MiB)')
  @EnvInt(65536, 256 * 1048576)
  readonly maxMessageBytes: number = 10485760;

  @Env(
    'NACOS_GRPC_KEEPALIVE_MS',
    'Interval of HTTP/2 pings to idle gRPC clients, so half-open connections are found and dropped',
  )
  @EnvInt(1000, 3600000)
  readonly keepaliveMs: number = 30000;

  @Env(
    'NACOS_GRPC_DETECTION_IDLE_MS',
    'A gRPC connection silent for this long gets a ClientDetectionRequest; no answer closes it',
  )
  @EnvInt(100, 3600000)
  readonly detectionIdleMs: number = 20000;

  @Env(
    'NACOS_GRPC_PUSH_DELAY_MS',
    'After a push to gRPC subscribers, further changes of the service within this window become one push',
  )
  @EnvInt(0, 10000)
  readonly pushDelayMs: number = 5;

  @Env(
    'NACOS_GRPC_PUSH_ACK_TIMEOUT_MS',
    'How long a gRPC subscriber has to acknowledge a push before it is retried (3 retries)',
  )
  @EnvInt(50, 60000)
  readonly pushAckTimeoutMs: number = 3000;
}

/** The registry API (proto/registry/v1) that the Nacos gRPC port serves to sync tasks of other regions. */
export class RegistryApiConfig {
  // The registry API falls back to the admin token: both guard writes an operator controls.
  @Env(
    'REGISTRY_API_TOKEN',
    'Bearer token of the registry API (proto/registry/v1); unset = ADMIN_TOKEN; neither = open',
    {
      sensitive: true,
      derive: (env) => env.ADMIN_TOKEN,
      defaultText: 'unset = `ADMIN_TOKEN`',
    },
  )
  @EnvSecret(16)
  readonly token?: string;

  @Env(
    'REGISTRY_API_DEFAULT_TTL_MS',
    'Lease of a sync client published through the registry API when the call names none',
  )
  @EnvInt(1000, 3600000)
  readonly defaultTtlMs: number = 30000;

  @Env('REGISTRY_API_MAX_TTL_MS', 'Longest lease a registry API call may ask for')
  @EnvInt(1000, 86400000)
  readonly maxTtlMs: number = 600000;

  @Env('REGISTRY_API_MAX_PUBLICATIONS', 'Most instances one registry API Publish or Withdraw call may carry')
  @EnvInt(1, 1000000)
  readonly maxPublications: number = 20000;

  @Env(
    'REGISTRY_API_MAX_WATCHES',
    'Most concurrent registry API Watch streams per node; every sync task whose source is this region holds one',
  )
  @EnvInt(1, 100000)
  readonly maxWatches: number = 10000;
}
