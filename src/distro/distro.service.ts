import { bindingPort } from '@/common/startup-error';
import { Injectable, Logger } from '@nestjs/common';
import type { BeforeApplicationShutdown, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { AppConfig } from '@/config';
import { Metrics, ReadinessGates } from '@/observability';
import { MemberLeavingError } from '@/routing/cluster-routing';
import type { ForwardedHttpRequest, ForwardedHttpResponse } from '@/routing/cluster-routing';
import { DnsMembership } from './dns-membership';
import { DistroMetrics } from './distro-metrics';
import { DistroRouting, engineLog } from './distro-routing';
import type { DistroStatusResponseDto } from './distro-status.dto';
import { CLIENT_DATA_TYPE } from './distro-types';
import { DistroGrpcServer } from './grpc/distro-grpc-server';
import type { ClientDataProcessor } from './naming/client-data-processor';

/** Header marking a request replayed by a peer: the receiving node never forwards it again. */
export const FORWARDED_HEADER = 'x-distro-forwarded';

/** Runs Distro inside the app: the peer server, the engine (via DistroRouting), DNS membership, the gate. */
@Injectable()
export class DistroService implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private leaving = false;
  private readonly logger = new Logger('Distro');
  private server: DistroGrpcServer | undefined;
  private dns: DnsMembership | undefined;
  private readonly metrics: DistroMetrics;

  constructor(
    private readonly config: AppConfig,
    private readonly routing: DistroRouting,
    private readonly http: HttpAdapterHost,
    private readonly gates: ReadinessGates,
    metrics: Metrics,
  ) {
    this.metrics = new DistroMetrics(metrics);
  }

  async onModuleInit(): Promise<void> {
    const routing = this.routing;
    const server = new DistroGrpcServer(
      {
        get self() {
          return routing.selfId();
        },
        initialized: () => routing.initialized(),
        isMember: (from) => routing.runtime?.members.has(from) ?? false,
        knowsType: (type) => type === CLIENT_DATA_TYPE,
        sync: (from, _type, items) => {
          const processor = this.runtime().processor;
          return processor.applySync(from, processor.decode(items));
        },
        verifyBuckets: (from, _type, digests) => this.runtime().processor.compareBuckets(from, digests),
        verifyEntries: (from, _type, buckets, which, entries) => {
          const { processor, engine } = this.runtime();
          const { lacking, push } = processor.compareEntries(from, buckets, which, entries);
          // What this node holds differently goes back to the asking peer: merging makes both the same.
          engine.push(from, push);
          return lacking;
        },
        snapshot: () => encodeAll(this.runtime().processor),
        forward: (request) => this.replay(request),
      },
      this.config.distro.token,
      engineLog(this.logger, () => this.routing.selfId()),
    );
    server.onRefused = (reason) => this.metrics.refused.inc({ reason });
    const port = await bindingPort(
      'DISTRO_PORT',
      { host: this.config.node.host, port: this.config.distro.port, note: 'HTTP_PORT + 1001 unless set' },
      () => server.start(this.config.node.host, this.config.distro.port),
    );
    this.server = server;
    const runtime = this.routing.start(port, this.metrics);
    this.metrics.attach(runtime);
    if (!runtime) return;
    runtime.processor.onRejected = (peer) => this.metrics.rejectedRecords.inc({ peer });
    this.gates.register('distro', () =>
      this.routing.initialized() ? { open: true } : { open: false, reason: runtime.engine.initState() },
    );
    const d = this.config.distro;
    if (d.membersDns) {
      this.dns = new DnsMembership(
        d.membersDns,
        d.port || port,
        d.dnsRefreshMs,
        d.dnsServer,
        (members) => runtime.members.setPeers([...new Set([...d.members, ...members])]),
        engineLog(this.logger, () => this.routing.selfId()),
      );
      await this.dns.start();
    }
  }

  /**
   * From here on, peers' forwarded writes are refused (UNAVAILABLE) rather than replayed on an HTTP
   * server that is closing: the asking peer handles them itself, as it would once this node is gone.
   */
  beforeApplicationShutdown(): void {
    this.leaving = true;
  }

  async onApplicationShutdown(): Promise<void> {
    this.dns?.stop();
    this.routing.stop();
    await this.server?.stop();
  }

  status(): DistroStatusResponseDto {
    const runtime = this.routing.runtime;
    const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
    const counts = runtime?.processor.counts() ?? { owned: 0, replicated: 0, tombstones: 0, removedClients: 0 };
    return {
      clustered: runtime !== undefined,
      self: this.routing.selfId(),
      port: this.routing.port,
      initialized: this.routing.initialized(),
      initState: runtime?.engine.initState() ?? 'standalone: responsible for every client',
      members: (runtime?.members.peers() ?? []).map((m) => ({
        id: m.id,
        state: m.state,
        lastContact: iso(m.lastContact),
        lastError: m.lastError,
        failures: m.failures,
        queueDepth: runtime!.engine.queueDepth(m.id),
        lastSync: iso(runtime!.engine.lastSyncAt(m.id)),
        peerInitialized: m.initialized,
      })),
      responsibleMembers: [...(runtime?.engine.mapper.members() ?? [this.routing.selfId()])],
      ownedClients: counts.owned,
      replicatedClients: counts.replicated,
      tombstones: counts.tombstones,
      removedClients: counts.removedClients,
      version: this.routing.versionClock(),
    };
  }

  private runtime() {
    const runtime = this.routing.runtime;
    if (!runtime) throw new Error('Distro is not clustered');
    return runtime;
  }

  /** Replays a peer's forwarded Nacos request on our own Fastify, marked so it is not forwarded again. */
  private async replay(request: ForwardedHttpRequest): Promise<ForwardedHttpResponse> {
    if (this.leaving) throw new MemberLeavingError(this.routing.selfId());
    const fastify = this.http.httpAdapter.getInstance<FastifyInstance>();
    const headers: Record<string, string> = { ...request.headers, [FORWARDED_HEADER]: '1' };
    delete headers['content-length'];
    delete headers.host;
    const answer = await fastify.inject({
      method: request.method as 'GET',
      url: request.url,
      headers,
      payload: request.body || undefined,
    });
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && name !== 'content-length' && name !== 'connection') out[name] = String(value);
    }
    return { status: answer.statusCode, headers: out, body: answer.body };
  }
}

/** The processor's snapshot, each client encoded as the peer will read it. */
function* encodeAll(processor: ClientDataProcessor): Iterable<Uint8Array> {
  for (const client of processor.snapshot()) yield processor.encode(client);
}
