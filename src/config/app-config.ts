import { AdminConfig } from '@/admin/admin-token.config';
import { AuthConfig } from '@/admin/auth/auth.config';
import { registerSecret } from '@/common/secret-scrubber';
import { DatabaseConfig } from '@/database/database.config';
import { DistroConfig } from '@/distro/distro.config';
import { HttpConfig } from '@/http.config';
import { NacosAuthConfig } from '@/nacos/auth/nacos-auth.config';
import { NacosGrpcConfig, RegistryApiConfig } from '@/nacos/grpc/nacos-grpc.config';
import { NacosBeatConfig } from '@/nacos/http/heartbeat.config';
import { NacosUdpConfig } from '@/nacos/udp/udp-push.config';
import { NodeConfig } from '@/node.config';
import { LoggingConfig } from '@/observability/logging.config';
import { PersistentConfig } from '@/persistent/persistent.config';
import { SyncConfig } from '@/sync/sync.config';
import { envFields } from './env-field';
import type { EnvField } from './env-field';
import { EnvError, deriveDefaults, readSection, valuesByName } from './read-env';
import type { SectionClass } from './read-env';

/**
 * Every section of the environment. Each part declares its own beside its code; this list is the
 * one place that knows them all (the composition root), so no part imports another's section.
 */
const SECTIONS = {
  node: NodeConfig,
  http: HttpConfig,
  nacosGrpc: NacosGrpcConfig,
  registryApi: RegistryApiConfig,
  distro: DistroConfig,
  database: DatabaseConfig,
  admin: AdminConfig,
  auth: AuthConfig,
  nacosAuth: NacosAuthConfig,
  nacosBeat: NacosBeatConfig,
  nacosUdp: NacosUdpConfig,
  persistent: PersistentConfig,
  log: LoggingConfig,
  sync: SyncConfig,
} satisfies Record<string, SectionClass>;

type Sections = { [K in keyof typeof SECTIONS]: InstanceType<(typeof SECTIONS)[K]> };

/** One environment variable as the docs list it: where it is declared, its default and whether it is secret. */
export interface EnvVariable extends EnvField {
  section: string;
  /** The field's initializer (undefined when unset by default or derived). */
  default: unknown;
}

/** Every variable the process reads, section by section, in declaration order. */
export const ENV_VARIABLES: readonly EnvVariable[] = Object.values(SECTIONS).flatMap((sectionClass) => {
  const defaults = new sectionClass() as unknown as Record<string, unknown>;
  return envFields(sectionClass).map((field) => ({
    ...field,
    section: sectionClass.name,
    default: defaults[field.property],
  }));
});

/** Reads every section; throws one EnvError naming every bad variable of every section. */
function readSections(env: Readonly<Record<string, string | undefined>>): Sections {
  const problems: string[] = [];
  const sections: Record<string, object> = {};
  for (const [key, sectionClass] of Object.entries(SECTIONS) as Array<[string, SectionClass]>) {
    const read = readSection(sectionClass, env);
    sections[key] = read.section;
    problems.push(...read.problems);
  }
  if (problems.length > 0) throw new EnvError(problems);
  deriveDefaults(Object.values(sections));
  return sections as Sections;
}

/**
 * The typed, validated configuration of one process, read once at boot: the sections themselves
 * (`config.distro.syncDelayMs`). ConfigModule provides it and each section on its own: a part that
 * reads one section injects just that one (`LoginThrottle` takes `AuthConfig`); one that reads
 * several takes AppConfig.
 */
export class AppConfig {
  readonly node: NodeConfig;
  readonly http: HttpConfig;
  readonly nacosGrpc: NacosGrpcConfig;
  readonly registryApi: RegistryApiConfig;
  readonly distro: DistroConfig;
  readonly database: DatabaseConfig;
  readonly admin: AdminConfig;
  readonly auth: AuthConfig;
  readonly nacos: { auth: NacosAuthConfig; beat: NacosBeatConfig; udp: NacosUdpConfig };
  readonly persistent: PersistentConfig;
  readonly log: LoggingConfig;
  readonly sync: SyncConfig;

  private constructor(private readonly sections: Sections) {
    this.node = sections.node;
    this.http = sections.http;
    this.nacosGrpc = sections.nacosGrpc;
    this.registryApi = sections.registryApi;
    this.distro = sections.distro;
    this.database = sections.database;
    this.admin = sections.admin;
    this.auth = sections.auth;
    this.nacos = { auth: sections.nacosAuth, beat: sections.nacosBeat, udp: sections.nacosUdp };
    this.persistent = sections.persistent;
    this.log = sections.log;
    this.sync = sections.sync;
    // Every secret of the environment is known to the scrubber before anything can log or answer.
    for (const secret of sensitiveTexts(this)) registerSecret(secret);
  }

  /** Reads the process environment; throws EnvError naming every bad variable. */
  static fromEnv(env: Readonly<Record<string, string | undefined>> = process.env): AppConfig {
    return new AppConfig(readSections(env));
  }

  /** Every section instance, for the providers of ConfigModule. */
  allSections(): readonly object[] {
    return Object.values(this.sections);
  }

  /** Every variable by name with its value, secrets included: for tests and tools, never for logs. */
  valuesByName(): Record<string, unknown> {
    return valuesByName(this.allSections());
  }

  /** Every setting by variable name with secrets masked, safe to log. */
  describe(): Record<string, unknown> {
    const values = this.valuesByName();
    for (const variable of ENV_VARIABLES) {
      if (variable.sensitive && values[variable.name] !== undefined) values[variable.name] = '***';
    }
    return values;
  }

  /** Warnings an operator should see at start-up (open endpoints and the like). */
  warnings(): string[] {
    const out: string[] = [];
    if (!this.admin.token && !this.auth.username)
      out.push('ADMIN_TOKEN is not set: the admin API /api/v1 is open while no user exists (development only)');
    const clustered = this.distro.members.length > 0 || this.distro.membersDns !== undefined;
    if (clustered && !this.distro.token) out.push('DISTRO_TOKEN is not set: Distro peers are not authenticated');
    return out;
  }
}

/**
 * Every secret text the sensitive variables hold, for the secret scrubber: the values themselves,
 * each password of a user list, and the password of a URL (as written and decoded).
 */
export function sensitiveTexts(config: AppConfig): string[] {
  const out: string[] = [];
  const add = (v: unknown): void => {
    if (typeof v === 'string') {
      out.push(v);
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v) && URL.canParse(v)) {
        const password = new URL(v).password;
        if (password) out.push(password, decodedOrSame(password));
      }
    } else if (Array.isArray(v)) {
      for (const item of v) add(item);
    } else if (v && typeof v === 'object' && 'password' in v) {
      add(v.password);
    }
  };
  const values = config.valuesByName();
  for (const variable of ENV_VARIABLES) if (variable.sensitive) add(values[variable.name]);
  return out;
}

function decodedOrSame(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // a stray % : the text as written is registered already
  }
}

export { EnvError };
