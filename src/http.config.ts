import { Env, EnvInt, EnvPort } from '@/config/env-field';
import type { EnvByName } from '@/config/env-field';

/** The HTTP listener: Nacos Open API, admin API, health, metrics, OpenAPI docs. */
export class HttpConfig {
  @Env('HTTP_PORT', 'HTTP: Nacos Open API, admin API, health, metrics, OpenAPI docs (0 = any free port)')
  @EnvPort()
  readonly port: number = 8848;

  @Env('BODY_LIMIT_BYTES', 'Largest accepted HTTP request body')
  @EnvInt(1024, 64 * 1048576)
  readonly bodyLimit: number = 1048576;
}

/** The default of a gRPC port: HTTP_PORT + offset, or 0 (any free port) when HTTP_PORT is 0. */
export function portAfterHttp(offset: number): (env: EnvByName) => number {
  return (env) => (env.HTTP_PORT === 0 ? 0 : (env.HTTP_PORT as number) + offset);
}
