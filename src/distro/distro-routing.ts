import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@/config';
import { LogLevels } from '@/observability/log-levels';
import { Registry } from '@/registry';
import type { ClientSyncData, DistroRegistryView } from '@/registry';
import { ClusterRouting, MemberUnreachableError } from '@/routing/cluster-routing';
import type {
  ClusterMember,
  ForwardedHttpRequest,
  ForwardedHttpResponse,
  MemberLookup,
} from '@/routing/cluster-routing';
import { DistroEngine } from './distro-engine';
import type { EngineLog } from './distro-engine';
import { DistroMapper, ipPortTagOf } from './distro-mapper';
import { DistroMembers } from './distro-members';
import { CLIENT_DATA_TYPE } from './distro-types';
import type { DistroObserver } from './distro-types';
import { DistroGrpcClient } from './grpc/distro-grpc-client';
import { ClientDataProcessor } from './naming/client-data-processor';
import { PeerForwarder, unanswered } from './peer-forwarder';
import type { StandInObserver } from './peer-forwarder';
import { resolveSelf } from './self-identity';

/** The log context of every Distro line (Nacos's `naming-distro` logger, LogLevels). */
const DISTRO_LOG_CONTEXT = 'Distro';

/** The running Distro parts of a clustered node. */
export interface DistroRuntime {
  self: string;
  members: DistroMembers;
  engine: DistroEngine<ClientSyncData>;
  processor: ClientDataProcessor;
  client: DistroGrpcClient;
  /** Forwards Nacos writes to their responsible member, or says to stand in for it. */
  forwarder: PeerForwarder;
}

/**
 * Logs with fields first (nestjs-pino), the shape every engine part takes. Each line carries
 * `member` (this node's id): several nodes may share one process in tests, and operators
 * aggregating logs of a region want it too.
 */
export function engineLog(logger: Logger, self: () => string, debugEnabled: () => boolean = () => true): EngineLog {
  const withMember = (fields: Record<string, unknown>) => ({ member: self(), ...fields });
  return {
    get debugEnabled() {
      return debugEnabled();
    },
    debug: (fields, message) => logger.debug(withMember(fields), message),
    info: (fields, message) => logger.log(withMember(fields), message),
    warn: (fields, message) => logger.warn(withMember(fields), message),
    error: (fields, message) => logger.error(withMember(fields), message),
  };
}

/**
 * ClusterRouting backed by Distro: responsibility from the live member list, the init gate, and
 * forwarding over the peer channel. With no members configured it behaves as StandaloneRouting.
 */
@Injectable()
export class DistroRouting extends ClusterRouting {
  private readonly logger = new Logger(DISTRO_LOG_CONTEXT);
  private current: DistroRuntime | undefined;
  /** The bound Distro gRPC port (0 until the server listens). */
  port = 0;

  constructor(
    private readonly config: AppConfig,
    @Inject(Registry) private readonly registry: DistroRegistryView,
    private readonly levels: LogLevels,
  ) {
    super();
  }

  /** True when DISTRO_MEMBERS or DISTRO_MEMBERS_DNS names peers. */
  get clustered(): boolean {
    return this.config.distro.members.length > 0 || this.config.distro.membersDns !== undefined;
  }

  get runtime(): DistroRuntime | undefined {
    return this.current;
  }

  /** Builds and starts the engine once the gRPC server is bound to `port`. */
  start(port: number, observer: DistroObserver & StandInObserver): DistroRuntime | undefined {
    this.port = port;
    if (!this.clustered) return undefined;
    const d = this.config.distro;
    const self = resolveSelf(d.self, d.members, port, this.config.node.host);
    // Per-client debug lines are built only while the Distro logger writes debug (they cost per client).
    const log = engineLog(
      this.logger,
      () => self,
      () => this.levels.enabled(DISTRO_LOG_CONTEXT, 'debug'),
    );
    const members = new DistroMembers(self, log);
    this.registry.nodeId = self;
    const client = new DistroGrpcClient({
      self,
      type: CLIENT_DATA_TYPE,
      token: d.token,
      callTimeoutMs: d.callTimeoutMs,
      forwardTimeoutMs: d.forwardTimeoutMs,
      probeTimeoutMs: Math.min(d.callTimeoutMs, Math.max(500, d.probeIntervalMs)),
      snapshotTimeoutMs: d.snapshotTimeoutMs,
    });
    const mapper = new DistroMapper(self);
    const processor = new ClientDataProcessor(
      this.registry,
      mapper,
      self,
      { replicaExpireMs: d.clientExpireMs, tombstoneTtlMs: d.tombstoneTtlMs, maxClockSkewMs: d.maxClockSkewMs },
      log,
    );
    const engine = new DistroEngine(
      members,
      mapper,
      client,
      processor,
      {
        syncDelayMs: d.syncDelayMs,
        verifyIntervalMs: d.verifyIntervalMs,
        probeIntervalMs: d.probeIntervalMs,
        bootstrapWaitMs: d.bootstrapWaitMs,
        allowFirstNode: d.allowFirstNode,
        loadRetryMs: d.loadRetryMs,
        loadRetryMaxMs: Math.max(d.loadRetryMs, 30_000),
        verifyChunk: 5000,
        maxSyncBatch: 500,
        maxInFlight: 2,
        encodedCacheBytes: 32 * 1024 * 1024,
      },
      log,
      observer,
    );
    members.setPeers(d.members);
    members.onChange(() => {
      for (const peer of client.knownPeers()) if (!members.has(peer)) client.removePeer(peer);
    });
    const forwarder = new PeerForwarder(members, (peer, request) => client.forward(peer, request), log, observer);
    this.current = { self, members, engine, processor, client, forwarder };
    this.logger.log(
      { self, members: d.members, dns: d.membersDns },
      `Distro member ${self} starting; not initialized until a snapshot is loaded`,
    );
    engine.start();
    return this.current;
  }

  lookup(): MemberLookup {
    if (this.config.distro.membersDns !== undefined) return 'address-server';
    return this.config.distro.members.length > 0 ? 'file' : 'standalone';
  }

  checkMembers(ids: readonly string[]): string[] {
    return this.current?.engine.probe(ids, { raiseOnly: true }) ?? [];
  }

  stop(): void {
    this.current?.engine.stop();
    this.current?.processor.close();
    this.current?.client.close();
  }

  selfId(): string {
    return this.current?.self ?? 'standalone';
  }

  /** This node's hybrid logical clock (the newest version stamped or seen), for the status endpoint. */
  versionClock(): number {
    return this.registry.versionClock.peek();
  }

  /**
   * Resolves when the newest local change of a client has been taken by at least one peer, or when
   * no peer is reachable, or after DISTRO_REPLICATION_TIMEOUT_MS: the Nacos edges answer a write after it.
   */
  async replicated(clientId: string): Promise<void> {
    const timeout = this.config.distro.replicationTimeoutMs;
    if (!this.current || timeout === 0) return;
    await this.current.engine.replicated(clientId, timeout);
  }

  initialized(): boolean {
    return this.current ? this.current.engine.initialized() : true;
  }

  /** Self, then the peers with their Distro states (the Nacos operator view of the region). */
  override members(): ClusterMember[] {
    if (!this.current) return super.members();
    const self: ClusterMember = { id: this.current.self, state: 'UP', self: true, failures: 0 };
    return [
      self,
      ...this.current.members.peers().map(({ id, state, lastContact, failures }) => ({
        id,
        state,
        self: false,
        ...(lastContact === undefined ? {} : { lastContact }),
        failures,
      })),
    ];
  }

  responsibleMember(ipPortTag: string): string | undefined {
    if (!this.current) return undefined;
    const member = this.current.engine.mapper.responsible(ipPortTag);
    return member === this.current.self ? undefined : member;
  }

  isResponsibleForClient(clientId: string): boolean {
    if (!this.current) return true;
    if (ipPortTagOf(clientId) === undefined && !this.registry.getClient(clientId)) return true;
    return this.current.processor.isResponsible(clientId);
  }

  /**
   * Forwards within DISTRO_FORWARD_TIMEOUT_MS; a member that does not answer (or is SUSPICIOUS or
   * DOWN already) rejects with MemberUnreachableError, so the caller stands in for it (PeerForwarder).
   */
  forwardHttp(member: string, request: ForwardedHttpRequest): Promise<ForwardedHttpResponse> {
    if (!this.current) return Promise.reject(new Error(`standalone node has no member ${member} to forward to`));
    return this.current.forwarder.forward(member, request);
  }

  /** A read on a peer: a DOWN peer is not tried; one that gives no answer within the forward deadline rejects. */
  override async askMember(member: string, request: ForwardedHttpRequest): Promise<ForwardedHttpResponse> {
    const runtime = this.current;
    if (!runtime || !runtime.members.has(member)) throw new MemberUnreachableError(member, 'not a member');
    const status = runtime.members.get(member);
    if (status?.state === 'DOWN') throw new MemberUnreachableError(member, 'DOWN');
    try {
      return await runtime.client.forward(member, request);
    } catch (error) {
      throw unanswered(member, error) ?? new MemberUnreachableError(member, (error as Error).message);
    }
  }
}
