import type { EnvValues } from './env.schema';
import { describeEnv, parseEnv } from './env.schema';

/** The typed, validated configuration of one process, read once at boot. */
export class AppConfig {
  readonly nodeEnv: EnvValues['NODE_ENV'];
  readonly host: string;
  readonly http: { port: number; bodyLimit: number };
  readonly nacosGrpc: { port: number };
  readonly distro: { port: number; members: string[]; membersDns?: string; token?: string };
  readonly database: { url?: string; dataDir: string; poolSize: number; startupTimeoutMs: number };
  readonly admin: { token?: string };
  readonly log: { level: EnvValues['LOG_LEVEL']; format?: EnvValues['LOG_FORMAT'] };
  readonly shutdownTimeoutMs: number;

  constructor(private readonly values: EnvValues) {
    this.nodeEnv = values.NODE_ENV;
    this.host = values.HOST;
    this.http = { port: values.HTTP_PORT, bodyLimit: values.BODY_LIMIT_BYTES };
    this.nacosGrpc = { port: values.NACOS_GRPC_PORT };
    this.distro = {
      port: values.DISTRO_PORT,
      members: values.DISTRO_MEMBERS,
      membersDns: values.DISTRO_MEMBERS_DNS,
      token: values.DISTRO_TOKEN,
    };
    this.database = {
      url: values.DATABASE_URL,
      dataDir: values.DATA_DIR,
      poolSize: values.DATABASE_POOL_SIZE,
      startupTimeoutMs: values.DATABASE_STARTUP_TIMEOUT_MS,
    };
    this.admin = { token: values.ADMIN_TOKEN };
    this.log = { level: values.LOG_LEVEL, format: values.LOG_FORMAT };
    this.shutdownTimeoutMs = values.SHUTDOWN_TIMEOUT_MS;
  }

  /** Reads the process environment; throws EnvError naming every bad variable. */
  static fromEnv(env: Record<string, string | undefined> = process.env): AppConfig {
    return new AppConfig(parseEnv(env));
  }

  /** Every setting with secrets masked, safe to log. */
  describe(): Record<string, unknown> {
    return describeEnv(this.values);
  }

  /** Warnings an operator should see at start-up (open endpoints and the like). */
  warnings(): string[] {
    const out: string[] = [];
    if (!this.admin.token) out.push('ADMIN_TOKEN is not set: the admin API /api/v1 is open (development only)');
    const clustered = this.distro.members.length > 0 || this.distro.membersDns !== undefined;
    if (clustered && !this.distro.token) out.push('DISTRO_TOKEN is not set: Distro peers are not authenticated');
    return out;
  }
}
