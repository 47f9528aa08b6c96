import { printableViolation } from '@/common/text-rule';
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
      // Tokens travel in gRPC metadata and HTTP headers, where a control character is refused with an
      // error quoting the whole value (surrounding blanks, such as the trailing newline `echo` leaves
      // in a mounted Secret, are trimmed before this). The value itself is never quoted here.
      const reason = printableViolation(raw);
      if (reason !== undefined) fail(`${reason} (tokens and secrets are printable text)`);
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
  NACOS_AUTH_ENABLED: {
    description: 'Require a Nacos login (accessToken or username/password params) on the Nacos naming API',
    sensitive: false,
    default: false,
    parse: parsers.bool,
  },
  NACOS_AUTH_USERS: {
    description: 'Nacos users as user:password,user2:password2 (used when NACOS_AUTH_ENABLED=true)',
    sensitive: true,
    default: [] as Array<{ username: string; password: string }>,
    parse: (raw: string): Array<{ username: string; password: string }> =>
      raw
        .split(',')
        .filter((item) => item.trim().length > 0)
        .map((item) => {
          const at = item.indexOf(':');
          if (at <= 0 || at === item.length - 1) fail('must be user:password pairs separated by commas');
          return { username: item.slice(0, at).trim(), password: item.slice(at + 1) };
        }),
  },
  NACOS_AUTH_SECRET: {
    description: 'Secret that signs Nacos access tokens (>= 32 chars); required when NACOS_AUTH_ENABLED=true',
    sensitive: true,
    default: undefined,
    parse: parsers.secret(32),
  },
  NACOS_AUTH_TOKEN_TTL_MS: {
    description: 'Lifetime of a Nacos access token issued by /nacos/v1/auth/login',
    sensitive: false,
    default: 18000000,
    parse: parsers.int(1000, 7 * 24 * 3600 * 1000),
  },
  NACOS_CLIENT_BEAT_INTERVAL_MS: {
    description: 'Heartbeat interval told to v1 clients (clientBeatInterval)',
    sensitive: false,
    default: 5000,
    parse: parsers.int(100, 600000),
  },
  NACOS_CLIENT_BEAT_UNHEALTHY_MS: {
    description: 'An ephemeral ip-port instance without a beat for this long turns unhealthy',
    sensitive: false,
    default: 15000,
    parse: parsers.int(100, 3600000),
  },
  NACOS_CLIENT_BEAT_DELETE_MS: {
    description: 'An ephemeral ip-port instance without a beat for this long is removed',
    sensitive: false,
    default: 30000,
    parse: parsers.int(100, 3600000),
  },
  NACOS_CLIENT_BEAT_CHECK_MS: {
    description: 'How often heartbeat expiry runs',
    sensitive: false,
    default: 5000,
    parse: parsers.int(50, 600000),
  },
  NACOS_UDP_PUSH_DELAY_MS: {
    description: 'Changes of one service within this window are pushed to UDP subscribers as one packet',
    sensitive: false,
    default: 100,
    parse: parsers.int(0, 60000),
  },
  NACOS_UDP_PUSH_RETRIES: {
    description: 'How often an unacknowledged UDP push is resent (1 s apart)',
    sensitive: false,
    default: 3,
    parse: parsers.int(0, 10),
  },
  NACOS_UDP_SUBSCRIBER_TTL_MS: {
    description: 'A UDP subscriber that stops polling /instance/list for this long gets no more pushes',
    sensitive: false,
    default: 30000,
    parse: parsers.int(100, 3600000),
  },
  // --- Distro (add DISTRO_* tuning variables here) ---
  DISTRO_SELF: {
    description:
      "This node's member id host:distroPort as peers list it; unset = the listed member on this host and DISTRO_PORT",
    sensitive: false,
    default: undefined,
    parse: parsers.hostPortList,
  },
  DISTRO_SYNC_DELAY_MS: {
    description:
      'A client changed again within this window after it was sent waits out the rest, so its changes travel once; idle queues send at once',
    sensitive: false,
    default: 10,
    parse: parsers.int(0, 10000),
  },
  DISTRO_VERIFY_INTERVAL_MS: {
    description: 'Every interval each node sends each peer one batched (clientId, revision) list of what it owns',
    sensitive: false,
    default: 5000,
    parse: parsers.int(50, 600000),
  },
  DISTRO_CLIENT_EXPIRE_MS: {
    description:
      'A copy of a gRPC connection or sync client its owner has not confirmed for this long is forgotten (keep several verify intervals); ip-port clients never expire this way',
    sensitive: false,
    default: 30000,
    parse: parsers.int(100, 3600000),
  },
  DISTRO_TOMBSTONE_TTL_MS: {
    description:
      'How long a deregistration (tombstone) is kept so that an older copy arriving late cannot bring the instance back; longer than any partition a node should heal from',
    sensitive: false,
    default: 3600000,
    parse: parsers.int(1000, 604800000),
  },
  DISTRO_REPLICATION_TIMEOUT_MS: {
    description:
      'A write is answered once one peer holds it, or after this long (0 = answer at once); a node killed right after answering has passed the write on',
    sensitive: false,
    default: 500,
    parse: parsers.int(0, 60000),
  },
  DISTRO_MAX_CLOCK_SKEW_MS: {
    description: "A peer whose versions run this far ahead of this node's clock is logged as a warning (check NTP)",
    sensitive: false,
    default: 5000,
    parse: parsers.int(1, 86400000),
  },
  DISTRO_PROBE_INTERVAL_MS: {
    description: 'How often peers are probed (UP -> SUSPICIOUS after 1 failure -> DOWN after 3)',
    sensitive: false,
    default: 2000,
    parse: parsers.int(50, 600000),
  },
  DISTRO_CALL_TIMEOUT_MS: {
    description: 'Deadline of one sync or verify call to a peer',
    sensitive: false,
    default: 5000,
    parse: parsers.int(50, 120000),
  },
  DISTRO_FORWARD_TIMEOUT_MS: {
    description:
      'Deadline of forwarding a Nacos HTTP write or beat to the responsible peer; when it passes (or the peer refuses the connection) the peer is marked SUSPICIOUS and this node takes its writes as a stand-in until it answers probes',
    sensitive: false,
    default: 500,
    parse: parsers.int(50, 120000),
  },
  DISTRO_SNAPSHOT_TIMEOUT_MS: {
    description: 'Deadline of loading the whole start-up snapshot from one peer',
    sensitive: false,
    default: 30000,
    parse: parsers.int(100, 3600000),
  },
  DISTRO_LOAD_RETRY_MS: {
    description: 'First wait before retrying a failed snapshot round; doubles up to 30 s',
    sensitive: false,
    default: 1000,
    parse: parsers.int(10, 600000),
  },
  DISTRO_BOOTSTRAP_WAIT_MS: {
    description: 'How long a node that finds no initialized peer waits before opening as the first node',
    sensitive: false,
    default: 15000,
    parse: parsers.int(0, 3600000),
  },
  DISTRO_ALLOW_FIRST_NODE: {
    description:
      'Whether a node finding no initialized peer (all refused/timeout/not initialized) may open as the first node',
    sensitive: false,
    default: true,
    parse: parsers.bool,
  },
  DISTRO_DNS_REFRESH_MS: {
    description: 'How often DISTRO_MEMBERS_DNS is re-resolved',
    sensitive: false,
    default: 5000,
    parse: parsers.int(100, 600000),
  },
  DISTRO_DNS_SERVER: {
    description: 'DNS server host:port used for DISTRO_MEMBERS_DNS; unset = the system resolver',
    sensitive: false,
    default: undefined,
    parse: parsers.hostPortList,
  },
  // --- Nacos gRPC server and registry API (add GRPC_* / REGISTRY_* variables here) ---
  NACOS_GRPC_MAX_MESSAGE_BYTES: {
    description: 'Largest gRPC message accepted or sent on the Nacos gRPC port (Nacos: 10 MiB)',
    sensitive: false,
    default: 10485760,
    parse: parsers.int(65536, 256 * 1048576),
  },
  NACOS_GRPC_KEEPALIVE_MS: {
    description: 'Interval of HTTP/2 pings to idle gRPC clients, so half-open connections are found and dropped',
    sensitive: false,
    default: 30000,
    parse: parsers.int(1000, 3600000),
  },
  NACOS_GRPC_DETECTION_IDLE_MS: {
    description: 'A gRPC connection silent for this long gets a ClientDetectionRequest; no answer closes it',
    sensitive: false,
    default: 20000,
    parse: parsers.int(100, 3600000),
  },
  NACOS_GRPC_PUSH_DELAY_MS: {
    description: 'After a push to gRPC subscribers, further changes of the service within this window become one push',
    sensitive: false,
    default: 5,
    parse: parsers.int(0, 10000),
  },
  NACOS_GRPC_PUSH_ACK_TIMEOUT_MS: {
    description: 'How long a gRPC subscriber has to acknowledge a push before it is retried (3 retries)',
    sensitive: false,
    default: 3000,
    parse: parsers.int(50, 60000),
  },
  REGISTRY_API_TOKEN: {
    description: 'Bearer token of the registry API (proto/registry/v1); unset = ADMIN_TOKEN; neither = open',
    sensitive: true,
    default: undefined,
    parse: parsers.secret(16),
  },
  REGISTRY_API_DEFAULT_TTL_MS: {
    description: 'Lease of a sync client published through the registry API when the call names none',
    sensitive: false,
    default: 30000,
    parse: parsers.int(1000, 3600000),
  },
  REGISTRY_API_MAX_TTL_MS: {
    description: 'Longest lease a registry API call may ask for',
    sensitive: false,
    default: 600000,
    parse: parsers.int(1000, 86400000),
  },
  REGISTRY_API_MAX_PUBLICATIONS: {
    description: 'Most instances one registry API Publish or Withdraw call may carry',
    sensitive: false,
    default: 20000,
    parse: parsers.int(1, 1000000),
  },
  REGISTRY_API_MAX_WATCHES: {
    description:
      'Most concurrent registry API Watch streams per node; every sync task whose source is this region holds one',
    sensitive: false,
    default: 10000,
    parse: parsers.int(1, 100000),
  },
  // --- sync tasks (add SYNC_* / SECRET_KEY here) ---
  SECRET_KEY: {
    description:
      'Key (>= 32 chars) that encrypts cluster credentials at rest (AES-256-GCM); credentials cannot be stored without it',
    sensitive: true,
    default: undefined,
    parse: parsers.secret(32),
  },
  SYNC_LEASE_TTL_MS: {
    description: 'A task whose holder stops renewing for this long is taken over by another replica',
    sensitive: false,
    default: 10000,
    parse: parsers.int(1000, 600000),
  },
  SYNC_LEASE_RENEW_MS: {
    description: 'How often each replica heartbeats, renews its task leases and rebalances',
    sensitive: false,
    default: 3000,
    parse: parsers.int(100, 300000),
  },
  SYNC_CLIENT_TTL: {
    description: 'Copies written by a task stay visible this long without a renewal (one renewal per task)',
    sensitive: false,
    default: 30000,
    parse: parsers.int(1000, 3600000),
  },
  SYNC_FULL_RECONCILE_MS: {
    description: 'Period of the full reconcile of every task against its source and target (repairs drift)',
    sensitive: false,
    default: 30000,
    parse: parsers.int(500, 3600000),
  },
  SYNC_DEBOUNCE_MS: {
    description: 'Source changes of one service within this window become one write to the target',
    sensitive: false,
    default: 20,
    parse: parsers.int(0, 60000),
  },
  SYNC_PROTECT_HOLD_MS: {
    description:
      'Deletions beyond a task maxDeleteRatio are held this long unless released; then the source counts as confirmed',
    sensitive: false,
    default: 300000,
    parse: parsers.int(1000, 7 * 24 * 3600 * 1000),
  },
  SYNC_PROTECT_MIN_DELETES: {
    description: 'Rounds deleting fewer copies than this are never held, whatever the ratio',
    sensitive: false,
    default: 3,
    parse: parsers.int(1, 1000000),
  },
  SYNC_RETRY_BASE_MS: {
    description:
      'First wait before a task that could not start or be deleted is tried again; doubles per failure (minus up to half at random)',
    sensitive: false,
    default: 1000,
    parse: parsers.int(10, 600000),
  },
  SYNC_RETRY_MAX_MS: {
    description: 'Longest wait between tries of a task that cannot start or be deleted (the backoff cap)',
    sensitive: false,
    default: 300000,
    parse: parsers.int(10, 3600000),
  },
  SYNC_DELETE_TARGET_WAIT_MS: {
    description:
      'How long a deletion keeps trying to withdraw copies from a target that does not answer (or refuses the credential) before it drops the task and leaves its copies to lapse by their TTL',
    sensitive: false,
    default: 60000,
    parse: parsers.int(0, 86400000),
  },
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

/**
 * Every secret text the sensitive variables hold, for the secret scrubber: the values themselves,
 * each password of a user list, and the password of a URL (as written and decoded).
 */
export function sensitiveTexts(values: EnvValues): string[] {
  const out: string[] = [];
  const add = (v: unknown): void => {
    if (typeof v === 'string') {
      out.push(v);
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) {
        try {
          const password = new URL(v).password;
          if (password) out.push(password, decodeURIComponent(password));
        } catch {
          // not a URL after all: the whole value is registered already
        }
      }
    } else if (Array.isArray(v)) {
      for (const item of v) add(item);
    } else if (v && typeof v === 'object' && 'password' in v) {
      add(v.password);
    }
  };
  for (const [name, spec] of Object.entries(envSchema) as [string, EnvVar<unknown>][]) {
    if (spec.sensitive) add((values as Record<string, unknown>)[name]);
  }
  return out;
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
