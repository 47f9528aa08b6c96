import { Env, EnvInt, EnvSecret } from '@/config/env-field';

/** Sync tasks across regions: the credential key, leases, the runner's periods, protect mode, backoff. */
export class SyncConfig {
  @Env(
    'SECRET_KEY',
    'Key (>= 32 chars) that encrypts cluster credentials at rest (AES-256-GCM); credentials cannot be stored without it',
    { sensitive: true, defaultText: 'unset' },
  )
  @EnvSecret(32)
  readonly secretKey?: string;

  @Env('SYNC_LEASE_TTL_MS', 'A task whose holder stops renewing for this long is taken over by another replica')
  @EnvInt(1000, 600000)
  readonly leaseTtlMs: number = 10000;

  @Env('SYNC_LEASE_RENEW_MS', 'How often each replica heartbeats, renews its task leases and rebalances')
  @EnvInt(100, 300000)
  readonly leaseRenewMs: number = 3000;

  @Env('SYNC_CLIENT_TTL', 'Copies written by a task stay visible this long without a renewal (one renewal per task)')
  @EnvInt(1000, 3600000)
  readonly clientTtlMs: number = 30000;

  @Env(
    'SYNC_FULL_RECONCILE_MS',
    'Period of the full reconcile of every task against its source and target (repairs drift)',
  )
  @EnvInt(500, 3600000)
  readonly fullReconcileMs: number = 30000;

  @Env('SYNC_DEBOUNCE_MS', 'Source changes of one service within this window become one write to the target')
  @EnvInt(0, 60000)
  readonly debounceMs: number = 20;

  @Env(
    'SYNC_PROTECT_HOLD_MS',
    'Deletions beyond a task maxDeleteRatio are held this long unless released; then the source counts as confirmed',
  )
  @EnvInt(1000, 7 * 24 * 3600 * 1000)
  readonly protectHoldMs: number = 300000;

  @Env('SYNC_PROTECT_MIN_DELETES', 'Rounds deleting fewer copies than this are never held, whatever the ratio')
  @EnvInt(1, 1000000)
  readonly protectMinDeletes: number = 3;

  @Env(
    'SYNC_RETRY_BASE_MS',
    'First wait before a task that could not start or be deleted is tried again; doubles per failure (minus up to half at random)',
  )
  @EnvInt(10, 600000)
  readonly retryBaseMs: number = 1000;

  @Env('SYNC_RETRY_MAX_MS', 'Longest wait between tries of a task that cannot start or be deleted (the backoff cap)')
  @EnvInt(10, 3600000)
  private readonly retryCapMs: number = 300000;

  @Env(
    'SYNC_NACOS_RELIST_MS',
    'How often a task reading a nacos cluster lists its services again, to subscribe new ones and drop vanished ones (and namespaces, for a namespace pattern)',
  )
  @EnvInt(200, 600000)
  readonly nacosRelistMs: number = 5000;

  @Env(
    'SYNC_DELETE_TARGET_WAIT_MS',
    'How long a deletion keeps trying to withdraw copies from a target that does not answer (or refuses the credential) before it drops the task and leaves its copies to lapse by their TTL',
  )
  @EnvInt(0, 86400000)
  readonly deleteTargetWaitMs: number = 60000;

  /** The backoff cap as set, but never below the first wait. */
  get retryMaxMs(): number {
    return Math.max(this.retryCapMs, this.retryBaseMs);
  }
}
