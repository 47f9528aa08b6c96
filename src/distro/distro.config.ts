import {
  Env,
  EnvBool,
  EnvHostPort,
  EnvHostPortList,
  EnvHostname,
  EnvInt,
  EnvPort,
  EnvSecret,
} from '@/config/env-field';
import { portAfterHttp } from '@/http.config';

/** Distro inside a region: members, the peer port and token, replication, verify, snapshot and start-up. */
export class DistroConfig {
  @Env('DISTRO_PORT', 'gRPC: Distro peer protocol (default HTTP_PORT + 1001)', {
    derive: portAfterHttp(1001),
    defaultText: 'HTTP_PORT + 1001',
  })
  @EnvPort()
  readonly port!: number;

  @Env('DISTRO_MEMBERS', 'Peers of this region, host:distroPort,... (self may be listed); empty = standalone', {
    defaultText: 'empty',
  })
  @EnvHostPortList()
  readonly members: string[] = [];

  @Env(
    'DISTRO_MEMBERS_DNS',
    'DNS name (Kubernetes headless Service) whose A records are the peers; re-resolved periodically',
    { defaultText: 'unset' },
  )
  @EnvHostname()
  readonly membersDns?: string;

  @Env('DISTRO_TOKEN', 'Shared secret every Distro peer must present; unset = open (development only)', {
    sensitive: true,
    defaultText: 'unset',
  })
  @EnvSecret(16)
  readonly token?: string;

  @Env(
    'DISTRO_SELF',
    "This node's member id host:distroPort as peers list it; unset = the listed member on this host and DISTRO_PORT",
    { defaultText: 'derived' },
  )
  @EnvHostPort()
  readonly self?: string;

  @Env(
    'DISTRO_SYNC_DELAY_MS',
    'A client changed again within this window after it was sent waits out the rest, so its changes travel once; idle queues send at once',
  )
  @EnvInt(0, 10000)
  readonly syncDelayMs: number = 10;

  @Env(
    'DISTRO_VERIFY_INTERVAL_MS',
    'Every interval each node sends each peer one batched (clientId, revision) list of what it owns',
  )
  @EnvInt(50, 600000)
  readonly verifyIntervalMs: number = 5000;

  @Env(
    'DISTRO_CLIENT_EXPIRE_MS',
    'A copy of a gRPC connection or sync client its owner has not confirmed for this long is forgotten (keep several verify intervals); ip-port clients never expire this way',
  )
  @EnvInt(100, 3600000)
  readonly clientExpireMs: number = 30000;

  @Env(
    'DISTRO_TOMBSTONE_TTL_MS',
    'How long a deregistration (tombstone) is kept so that an older copy arriving late cannot bring the instance back; longer than any partition a node should heal from',
  )
  @EnvInt(1000, 604800000)
  readonly tombstoneTtlMs: number = 3600000;

  @Env(
    'DISTRO_REPLICATION_TIMEOUT_MS',
    'A write is answered once one peer holds it, or after this long (0 = answer at once); a node killed right after answering has passed the write on',
  )
  @EnvInt(0, 60000)
  readonly replicationTimeoutMs: number = 500;

  @Env(
    'DISTRO_MAX_CLOCK_SKEW_MS',
    "A peer whose versions run this far ahead of this node's clock is logged as a warning (check NTP)",
  )
  @EnvInt(1, 86400000)
  readonly maxClockSkewMs: number = 5000;

  @Env('DISTRO_PROBE_INTERVAL_MS', 'How often peers are probed (UP -> SUSPICIOUS after 1 failure -> DOWN after 3)')
  @EnvInt(50, 600000)
  readonly probeIntervalMs: number = 2000;

  @Env('DISTRO_CALL_TIMEOUT_MS', 'Deadline of one sync or verify call to a peer')
  @EnvInt(50, 120000)
  readonly callTimeoutMs: number = 5000;

  @Env(
    'DISTRO_FORWARD_TIMEOUT_MS',
    'Deadline of forwarding a Nacos HTTP write or beat to the responsible peer; when it passes (or the peer refuses the connection) the peer is marked SUSPICIOUS and this node takes its writes as a stand-in until it answers probes',
  )
  @EnvInt(50, 120000)
  readonly forwardTimeoutMs: number = 500;

  @Env('DISTRO_SNAPSHOT_TIMEOUT_MS', 'Deadline of loading the whole start-up snapshot from one peer')
  @EnvInt(100, 3600000)
  readonly snapshotTimeoutMs: number = 30000;

  @Env('DISTRO_LOAD_RETRY_MS', 'First wait before retrying a failed snapshot round; doubles up to 30 s')
  @EnvInt(10, 600000)
  readonly loadRetryMs: number = 1000;

  @Env(
    'DISTRO_BOOTSTRAP_WAIT_MS',
    'How long a node that finds no initialized peer waits before opening as the first node',
  )
  @EnvInt(0, 3600000)
  readonly bootstrapWaitMs: number = 15000;

  @Env(
    'DISTRO_ALLOW_FIRST_NODE',
    'Whether a node finding no initialized peer (all refused/timeout/not initialized) may open as the first node',
  )
  @EnvBool()
  readonly allowFirstNode: boolean = true;

  @Env('DISTRO_DNS_REFRESH_MS', 'How often DISTRO_MEMBERS_DNS is re-resolved')
  @EnvInt(100, 600000)
  readonly dnsRefreshMs: number = 5000;

  @Env('DISTRO_DNS_SERVER', 'DNS server host:port used for DISTRO_MEMBERS_DNS; unset = the system resolver', {
    defaultText: 'system resolver',
  })
  @EnvHostPort()
  readonly dnsServer?: string;
}
