import type { Logger as PinoLogger } from 'pino';
import type { LogLevel } from './logging.config';

type LevelName = LogLevel;

const RANK: Readonly<Record<LevelName, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
};

/**
 * The loggers whose level can be changed while a node runs (Nacos's `PUT /ops/log`), each the set of
 * log contexts (the `context` field of a line) it governs. The `naming-*` names are Nacos's own
 * (its naming `Loggers.setLogLevel`), given to the parts here that do that work: `naming-raft` is the
 * store of persistent instances, which Nacos keeps with Raft and this node in Postgres;
 * `naming-performance` has no counterpart (no periodic performance log here) and is not offered.
 * The others name this project's parts. A context in no group follows LOG_LEVEL.
 */
export const NAMED_LOGGERS: Readonly<Record<string, readonly string[]>> = {
  'naming-server': [
    'NamingCatalog',
    'WriteForwarder',
    'SubscriberAggregator',
    'RequestAcceptor',
    'NacosGrpcServer',
    'RegistryApiService',
  ],
  'naming-distro': ['Distro'],
  'naming-push': ['UdpPushService', 'PushDispatcher'],
  'naming-event': ['HeartbeatExpiry'],
  'naming-rt': ['PersistentHealthChecks'],
  'naming-raft': ['PersistentInstances'],
  sync: ['SyncWorker', 'SyncScheduler', 'NacosClusterAdapter', 'NacosSyncApi'],
  auth: ['AuthService', 'UserService', 'PasswordHasher', 'FirstAdmin'],
  database: ['Database'],
  http: ['Exceptions'],
};

/** Logback's level names as Nacos takes them (any case), to the level here. */
const NACOS_LEVELS: Readonly<Record<string, LevelName>> = {
  ALL: 'trace',
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
  OFF: 'silent',
};

/** A logger name or level the node does not know; the message says which ones it does. */
export class LogLevelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LogLevelError';
  }
}

/**
 * Per-logger levels on top of LOG_LEVEL, changed at run time and on this node only (as Nacos's are).
 * pino filters by one level, so the root logger runs at the lowest level any logger asks for and the
 * application logger (FrameworkLogger) drops, per context, what is below that context's own level.
 * With no level changed the root level is LOG_LEVEL and nothing is filtered twice.
 */
export class LogLevels {
  private readonly overrides = new Map<string, LevelName>();
  private readonly loggerOf = new Map<string, string>();

  constructor(
    readonly base: LevelName,
    private readonly root?: PinoLogger,
  ) {
    for (const [name, contexts] of Object.entries(NAMED_LOGGERS)) {
      for (const context of contexts) this.loggerOf.set(context, name);
    }
  }

  /** The named loggers, in the order NAMED_LOGGERS lists them. */
  static names(): string[] {
    return Object.keys(NAMED_LOGGERS);
  }

  /**
   * Sets logger `name` to `level`, a Nacos (logback) level name, any case: ALL, TRACE, DEBUG, INFO,
   * WARN, ERROR, OFF. Throws LogLevelError for an unknown name or level; returns the level before.
   */
  set(name: string, level: string): { before: LevelName; after: LevelName } {
    if (!Object.hasOwn(NAMED_LOGGERS, name)) {
      throw new LogLevelError(`logName ${name} is not a logger here; one of: ${LogLevels.names().join(', ')}`);
    }
    const after = NACOS_LEVELS[level.trim().toUpperCase()];
    if (after === undefined) {
      throw new LogLevelError(`logLevel ${level} is not one of ${Object.keys(NACOS_LEVELS).join(', ')}`);
    }
    const before = this.levelOf(name);
    if (after === this.base) this.overrides.delete(name);
    else this.overrides.set(name, after);
    if (this.root) this.root.level = this.lowest();
    return { before, after };
  }

  /** The level logger `name` logs at now. */
  levelOf(name: string): LevelName {
    return this.overrides.get(name) ?? this.base;
  }

  /** Every named logger's level now. */
  view(): Record<string, LevelName> {
    return Object.fromEntries(LogLevels.names().map((name) => [name, this.levelOf(name)]));
  }

  /** True when a line of `level` from `context` is written (its logger's level, else LOG_LEVEL). */
  enabled(context: string | undefined, level: LevelName): boolean {
    const name = context === undefined ? undefined : this.loggerOf.get(context);
    const threshold = (name === undefined ? undefined : this.overrides.get(name)) ?? this.base;
    return RANK[level] >= RANK[threshold];
  }

  /** False while no level differs from LOG_LEVEL: then pino's own level filters everything. */
  get filtering(): boolean {
    return this.overrides.size > 0;
  }

  private lowest(): LevelName {
    let lowest = this.base;
    for (const level of this.overrides.values()) if (RANK[level] < RANK[lowest]) lowest = level;
    return lowest;
  }
}
