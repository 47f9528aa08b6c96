import { registerSecret } from '@/common/secret-scrubber';
import type { EnvValues } from './env.schema';
import { EnvError, describeEnv, parseEnv, sensitiveTexts } from './env.schema';

/** The typed, validated configuration of one process, read once at boot. */
export class AppConfig {
  readonly nodeEnv: EnvValues['NODE_ENV'];
  readonly host: string;
  readonly http: { port: number; bodyLimit: number };
  readonly nacosGrpc: {
    port: number;
    maxMessageBytes: number;
    keepaliveMs: number;
    detectionIdleMs: number;
    pushDelayMs: number;
    pushAckTimeoutMs: number;
  };
  readonly registryApi: {
    token?: string;
    defaultTtlMs: number;
    maxTtlMs: number;
    maxPublications: number;
    maxWatches: number;
  };
  readonly distro: {
    port: number;
    members: string[];
    membersDns?: string;
    token?: string;
    self?: string;
    syncDelayMs: number;
    verifyIntervalMs: number;
    clientExpireMs: number;
    tombstoneTtlMs: number;
    replicationTimeoutMs: number;
    maxClockSkewMs: number;
    probeIntervalMs: number;
    callTimeoutMs: number;
    forwardTimeoutMs: number;
    snapshotTimeoutMs: number;
    loadRetryMs: number;
    bootstrapWaitMs: number;
    allowFirstNode: boolean;
    dnsRefreshMs: number;
    dnsServer?: string;
  };
  readonly database: { url?: string; dataDir: string; poolSize: number; startupTimeoutMs: number };
  readonly admin: { token?: string };
  readonly nacos: {
    auth: {
      enabled: boolean;
      users: ReadonlyArray<{ username: string; password: string }>;
      secret?: string;
      tokenTtlMs: number;
    };
    beat: { intervalMs: number; unhealthyMs: number; deleteMs: number; checkMs: number };
    udp: { pushDelayMs: number; retries: number; subscriberTtlMs: number };
  };
  readonly log: { level: EnvValues['LOG_LEVEL']; format?: EnvValues['LOG_FORMAT'] };
  readonly shutdownTimeoutMs: number;
  readonly sync: {
    secretKey?: string;
    leaseTtlMs: number;
    leaseRenewMs: number;
    clientTtlMs: number;
    fullReconcileMs: number;
    debounceMs: number;
    protectHoldMs: number;
    protectMinDeletes: number;
    retryBaseMs: number;
    retryMaxMs: number;
    deleteTargetWaitMs: number;
  };

  constructor(private readonly values: EnvValues) {
    // Every secret of the environment is known to the scrubber before anything can log or answer.
    for (const secret of sensitiveTexts(values)) registerSecret(secret);
    this.nodeEnv = values.NODE_ENV;
    this.host = values.HOST;
    this.http = { port: values.HTTP_PORT, bodyLimit: values.BODY_LIMIT_BYTES };
    this.nacosGrpc = {
      port: values.NACOS_GRPC_PORT,
      maxMessageBytes: values.NACOS_GRPC_MAX_MESSAGE_BYTES,
      keepaliveMs: values.NACOS_GRPC_KEEPALIVE_MS,
      detectionIdleMs: values.NACOS_GRPC_DETECTION_IDLE_MS,
      pushDelayMs: values.NACOS_GRPC_PUSH_DELAY_MS,
      pushAckTimeoutMs: values.NACOS_GRPC_PUSH_ACK_TIMEOUT_MS,
    };
    this.registryApi = {
      // The registry API falls back to the admin token: both guard writes an operator controls.
      token: values.REGISTRY_API_TOKEN ?? values.ADMIN_TOKEN,
      defaultTtlMs: values.REGISTRY_API_DEFAULT_TTL_MS,
      maxTtlMs: values.REGISTRY_API_MAX_TTL_MS,
      maxPublications: values.REGISTRY_API_MAX_PUBLICATIONS,
      maxWatches: values.REGISTRY_API_MAX_WATCHES,
    };
    this.distro = {
      port: values.DISTRO_PORT,
      members: values.DISTRO_MEMBERS,
      membersDns: values.DISTRO_MEMBERS_DNS,
      token: values.DISTRO_TOKEN,
      self: values.DISTRO_SELF?.[0],
      syncDelayMs: values.DISTRO_SYNC_DELAY_MS,
      verifyIntervalMs: values.DISTRO_VERIFY_INTERVAL_MS,
      clientExpireMs: values.DISTRO_CLIENT_EXPIRE_MS,
      tombstoneTtlMs: values.DISTRO_TOMBSTONE_TTL_MS,
      replicationTimeoutMs: values.DISTRO_REPLICATION_TIMEOUT_MS,
      maxClockSkewMs: values.DISTRO_MAX_CLOCK_SKEW_MS,
      probeIntervalMs: values.DISTRO_PROBE_INTERVAL_MS,
      callTimeoutMs: values.DISTRO_CALL_TIMEOUT_MS,
      forwardTimeoutMs: values.DISTRO_FORWARD_TIMEOUT_MS,
      snapshotTimeoutMs: values.DISTRO_SNAPSHOT_TIMEOUT_MS,
      loadRetryMs: values.DISTRO_LOAD_RETRY_MS,
      bootstrapWaitMs: values.DISTRO_BOOTSTRAP_WAIT_MS,
      allowFirstNode: values.DISTRO_ALLOW_FIRST_NODE,
      dnsRefreshMs: values.DISTRO_DNS_REFRESH_MS,
      dnsServer: values.DISTRO_DNS_SERVER?.[0],
    };
    this.database = {
      url: values.DATABASE_URL,
      dataDir: values.DATA_DIR,
      poolSize: values.DATABASE_POOL_SIZE,
      startupTimeoutMs: values.DATABASE_STARTUP_TIMEOUT_MS,
    };
    this.admin = { token: values.ADMIN_TOKEN };
    this.nacos = {
      auth: {
        enabled: values.NACOS_AUTH_ENABLED,
        users: values.NACOS_AUTH_USERS,
        secret: values.NACOS_AUTH_SECRET,
        tokenTtlMs: values.NACOS_AUTH_TOKEN_TTL_MS,
      },
      beat: {
        intervalMs: values.NACOS_CLIENT_BEAT_INTERVAL_MS,
        unhealthyMs: values.NACOS_CLIENT_BEAT_UNHEALTHY_MS,
        deleteMs: values.NACOS_CLIENT_BEAT_DELETE_MS,
        checkMs: values.NACOS_CLIENT_BEAT_CHECK_MS,
      },
      udp: {
        pushDelayMs: values.NACOS_UDP_PUSH_DELAY_MS,
        retries: values.NACOS_UDP_PUSH_RETRIES,
        subscriberTtlMs: values.NACOS_UDP_SUBSCRIBER_TTL_MS,
      },
    };
    AppConfig.checkNacos(this.nacos);
    this.log = { level: values.LOG_LEVEL, format: values.LOG_FORMAT };
    this.shutdownTimeoutMs = values.SHUTDOWN_TIMEOUT_MS;
    this.sync = {
      secretKey: values.SECRET_KEY,
      leaseTtlMs: values.SYNC_LEASE_TTL_MS,
      leaseRenewMs: values.SYNC_LEASE_RENEW_MS,
      clientTtlMs: values.SYNC_CLIENT_TTL,
      fullReconcileMs: values.SYNC_FULL_RECONCILE_MS,
      debounceMs: values.SYNC_DEBOUNCE_MS,
      protectHoldMs: values.SYNC_PROTECT_HOLD_MS,
      protectMinDeletes: values.SYNC_PROTECT_MIN_DELETES,
      retryBaseMs: values.SYNC_RETRY_BASE_MS,
      retryMaxMs: Math.max(values.SYNC_RETRY_MAX_MS, values.SYNC_RETRY_BASE_MS),
      deleteTargetWaitMs: values.SYNC_DELETE_TARGET_WAIT_MS,
    };
  }

  /** Rules across the NACOS_* variables, checked once the single values parsed. */
  private static checkNacos(nacos: AppConfig['nacos']): void {
    const problems: string[] = [];
    if (nacos.auth.enabled && !nacos.auth.secret) {
      problems.push('NACOS_AUTH_SECRET is required when NACOS_AUTH_ENABLED=true (it signs the access tokens)');
    }
    if (nacos.auth.enabled && nacos.auth.users.length === 0) {
      problems.push('NACOS_AUTH_USERS must name at least one user:password when NACOS_AUTH_ENABLED=true');
    }
    if (nacos.beat.deleteMs < nacos.beat.unhealthyMs) {
      problems.push('NACOS_CLIENT_BEAT_DELETE_MS must not be shorter than NACOS_CLIENT_BEAT_UNHEALTHY_MS');
    }
    if (problems.length > 0) throw new EnvError(problems);
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
