/**
 * The one environment schema of distro-sync. Every variable the process reads is declared here,
 * with a description (shown in errors and docs) and a `sensitive` flag (never logged or echoed).
 */

export class EnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid environment:\n  - ${problems.join('\n  - ')}`);
    this.name = 'EnvError';
  }
}

type Parser<T> = (raw: string) => T;

export interface EnvVar<T> {
  description: string;
  sensitive: boolean;
  /** Default when unset or empty; a function may derive it from already parsed values. */
  default?: T | ((parsed: Record<string, unknown>) => T);
  parse: Parser<T>;
}

function fail(message: string): never {
  throw new Error(message);
}

export const parsers = {
  port: (raw: string): number => {
    if (!/^\d+$/.test(raw)) fail(`must be a port number 0-65535, got "${raw}"`);
    const n = Number(raw);
    if (n > 65535) fail(`must be a port number 0-65535, got ${n}`);
    return n;
  },
  int:
    (min: number, max: number) =>
    (raw: string): number => {
      if (!/^-?\d+$/.test(raw)) fail(`must be an integer, got "${raw}"`);
      const n = Number(raw);
      if (n < min || n > max) fail(`must be between ${min} and ${max}, got ${n}`);
      return n;
    },
  bool: (raw: string): boolean => {
    const v = raw.toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(v)) return true;
    if (['false', '0', 'no', 'off'].includes(v)) return false;
    return fail(`must be true or false, got "${raw}"`);
  },
  string: (raw: string): string => raw,
  secret:
    (minLength: number) =>
    (raw: string): string => {
      if (raw.length < minLength) fail(`must be at least ${minLength} characters long`);
      return raw;
    },
  oneOf:
    <T extends string>(...values: T[]) =>
    (raw: string): T => {
      if (!(values as string[]).includes(raw)) fail(`must be one of ${values.join(', ')}, got "${raw}"`);
      return raw as T;
    },
  postgresUrl: (raw: string): string => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return fail('must be a postgres:// URL');
    }
    if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') fail('must be a postgres:// URL');
    return raw;
  },
  /** `host:port,host:port` — peers of this region's Distro cluster. */
  hostPortList: (raw: string): string[] => {
    const items = raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    for (const item of items) {
      const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(item);
      if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) fail(`"${item}" is not host:port`);
    }
    return items;
  },
  hostname: (raw: string): string => {
    if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(raw)) fail(`"${raw}" is not a DNS name (optionally :port)`);
    return raw;
  },
};

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const envSchema = {
  NODE_ENV: {
    description: 'production | development | test',
    sensitive: false,
    default: 'production',
    parse: parsers.oneOf('production', 'development', 'test'),
  },
  HOST: {
    description: 'Address every listener binds to',
    sensitive: false,
    default: '0.0.0.0',
    parse: parsers.string,
  },
  HTTP_PORT: {
    description: 'HTTP: Nacos Open API, admin API, health, metrics, OpenAPI docs (0 = any free port)',
    sensitive: false,
    default: 8848,
    parse: parsers.port,
  },
  NACOS_GRPC_PORT: {
    description: 'gRPC: Nacos 2.x client protocol (default HTTP_PORT + 1000)',
    sensitive: false,
    default: (p: Record<string, unknown>) => ((p.HTTP_PORT as number) === 0 ? 0 : (p.HTTP_PORT as number) + 1000),
    parse: parsers.port,
  },
  DISTRO_PORT: {
    description: 'gRPC: Distro peer protocol (default HTTP_PORT + 1001)',
    sensitive: false,
    default: (p: Record<string, unknown>) => ((p.HTTP_PORT as number) === 0 ? 0 : (p.HTTP_PORT as number) + 1001),
    parse: parsers.port,
  },
  DISTRO_MEMBERS: {
    description: 'Peers of this region, host:distroPort,... (self may be listed); empty = standalone',
    sensitive: false,
    default: [] as string[],
    parse: parsers.hostPortList,
  },
  DISTRO_MEMBERS_DNS: {
    description: 'DNS name (Kubernetes headless Service) whose A records are the peers; re-resolved periodically',
    sensitive: false,
    default: undefined,
    parse: parsers.hostname,
  },
  DISTRO_TOKEN: {
    description: 'Shared secret every Distro peer must present; unset = open (development only)',
    sensitive: true,
    default: undefined,
    parse: parsers.secret(16),
  },
  DATABASE_URL: {
    description: 'Postgres URL; unset = embedded PGlite under DATA_DIR',
    sensitive: true,
    default: undefined,
    parse: parsers.postgresUrl,
  },
  DATA_DIR: {
    description: 'Directory of the embedded PGlite database ("memory" = throwaway in-memory database)',
    sensitive: false,
    default: './data',
    parse: parsers.string,
  },
  DATABASE_POOL_SIZE: {
    description: 'Postgres connection pool size (always 1 on embedded PGlite)',
    sensitive: false,
    default: 10,
    parse: parsers.int(1, 200),
  },
  DATABASE_STARTUP_TIMEOUT_MS: {
    description: 'How long start-up keeps retrying an unreachable database before it gives up',
    sensitive: false,
    default: 30000,
    parse: parsers.int(0, 600000),
  },
  ADMIN_TOKEN: {
    description: 'Bearer token of the admin API /api/v1; unset = open (development only)',
    sensitive: true,
    default: undefined,
    parse: parsers.secret(16),
  },
  LOG_LEVEL: {
    description: `Log level: ${LOG_LEVELS.join(', ')}`,
    sensitive: false,
    default: 'info',
    parse: parsers.oneOf(...LOG_LEVELS),
  },
  LOG_FORMAT: {
    description: 'json | pretty; default pretty when stdout is a terminal, json otherwise',
    sensitive: false,
    default: undefined,
    parse: parsers.oneOf('json', 'pretty'),
  },
  SHUTDOWN_TIMEOUT_MS: {
    description: 'Longest a graceful shutdown may take before the process exits anyway',
    sensitive: false,
    default: 10000,
    parse: parsers.int(100, 120000),
  },
  BODY_LIMIT_BYTES: {
    description: 'Largest accepted HTTP request body',
    sensitive: false,
    default: 1048576,
    parse: parsers.int(1024, 64 * 1048576),
  },
  // --- Nacos HTTP edge and auth (add NACOS_* variables here) ---
  // --- Distro (add DISTRO_* tuning variables here) ---
  // --- Nacos gRPC server and registry API (add GRPC_* / REGISTRY_* variables here) ---
  // --- sync tasks (add SYNC_* / SECRET_KEY here) ---
} satisfies Record<string, EnvVar<unknown>>;

export type EnvSchema = typeof envSchema;
export type EnvValues = {
  [K in keyof EnvSchema]: EnvSchema[K] extends EnvVar<infer T> ? T : never;
};

/** Parses and validates `env` against the schema, collecting every problem before failing. */
export function parseEnv(env: Record<string, string | undefined>): EnvValues {
  const problems: string[] = [];
  const parsed: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(envSchema) as [string, EnvVar<unknown>][]) {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') {
      parsed[name] = typeof spec.default === 'function' ? undefined : spec.default;
      continue;
    }
    try {
      parsed[name] = spec.parse(raw.trim());
    } catch (err) {
      problems.push(`${name} ${(err as Error).message} (${spec.description})`);
    }
  }
  for (const [name, spec] of Object.entries(envSchema) as [string, EnvVar<unknown>][]) {
    if (parsed[name] === undefined && typeof spec.default === 'function' && !problems.some((p) => p.startsWith(name))) {
      parsed[name] = (spec.default as (p: Record<string, unknown>) => unknown)(parsed);
    }
  }
  if (problems.length > 0) throw new EnvError(problems);
  return parsed as EnvValues;
}

/** The environment with every sensitive value masked, for start-up logs and diagnostics. */
export function describeEnv(values: EnvValues): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(envSchema) as [string, EnvVar<unknown>][]) {
    const v = (values as Record<string, unknown>)[name];
    out[name] = spec.sensitive && v !== undefined ? '***' : v;
  }
  return out;
}
