import { Inject, Injectable, Logger } from '@nestjs/common';
import { Counter } from 'prom-client';
import { Metrics } from '@/observability';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DEFAULT_CLUSTER, Registry } from '@/registry';
import type { DistroRegistryView, NamingRegistry, ServiceKey } from '@/registry';
import { ClusterRouting } from '@/routing/cluster-routing';
import { PersistentConfig } from '../persistent.config';
import { PersistentInstances } from '../persistent-instances';
import { isSyncCopy } from '../persistent-copies';
import { isPersistentClientId } from '../persistent-write';
import { customHeaders } from './cluster-checker';
import { ClusterCheckers } from './cluster-checkers';
import { httpProbe, tcpProbe } from './probes';
import type { ProbeResult } from './probes';

/** One persistent instance to check (its health is read again when the check ends). */
interface CheckTarget {
  id: string;
  key: ServiceKey;
  cluster: string;
  ip: string;
  port: number;
}

/** Consecutive results of one instance since its health last changed (Nacos's okCount / failCount). */
interface Streak {
  ok: number;
  fail: number;
}

/**
 * Server-side health checks of persistent instances, as Nacos runs them: the node responsible for
 * the instance's `ip:port` (ClusterRouting.isResponsibleForClient) checks it every
 * NACOS_HEALTH_CHECK_INTERVAL_MS with its cluster's checker — TCP (the default) or HTTP; NONE leaves
 * health to the health API — and turns it unhealthy after NACOS_HEALTH_CHECK_TIMES failures in a row
 * (at once for a refused connection or an unexpected HTTP status) and healthy after as many successes.
 * A change of health is a persistent write like any other (database, then registry, then Distro), so
 * every node serves it and it survives restarts.
 *
 * Checks never block the event loop (sockets only), each has a deadline (NACOS_HEALTH_CHECK_TIMEOUT_MS),
 * at most NACOS_HEALTH_CHECK_CONCURRENCY run at once (the rest wait their turn), and an instance whose
 * check has not finished is not checked again meanwhile. The `check` switch (healthCheckEnabled=false)
 * pauses them, as in Nacos. A sync task's persistent copy (metadata `syncTaskId`) is not checked: its
 * health is its source instance's, which the task keeps current.
 */
@Injectable()
export class PersistentHealthChecks implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('PersistentHealthChecks');
  private timer: NodeJS.Timeout | undefined;
  private readonly streaks = new Map<string, Streak>();
  /** Instances queued or being checked. */
  private readonly pending = new Set<string>();
  private readonly queue: CheckTarget[] = [];
  private running = 0;
  private stopped = false;
  /** Set by the Nacos edge: false while its `check` switch is off. */
  enabled: () => boolean = () => true;
  /** Last failed health write logged (one warn line a minute). */
  private lastWriteFailure = 0;
  private readonly checks: Counter<'type' | 'result'>;

  constructor(
    @Inject(Registry) private readonly registry: NamingRegistry & Pick<DistroRegistryView, 'exportClient'>,
    private readonly routing: ClusterRouting,
    private readonly checkers: ClusterCheckers,
    private readonly persistent: PersistentInstances,
    private readonly config: PersistentConfig,
    metrics: Metrics,
  ) {
    this.checks = new Counter({
      name: 'nacos_health_checks_total',
      help: 'Server-side health checks of persistent instances by checker type (tcp, http) and result (ok, failed)',
      labelNames: ['type', 'result'],
      registers: [metrics.registry],
    });
  }

  onApplicationBootstrap(): void {
    if (!this.config.healthCheckEnabled) return;
    this.timer = setInterval(() => this.round(), this.config.healthCheckIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  /** Queues a check of every persistent instance this node is responsible for whose cluster is checked. */
  round(): void {
    if (this.stopped || !this.routing.initialized() || !this.enabled()) return;
    const seen = new Set<string>();
    for (const target of this.targets()) {
      seen.add(target.id);
      if (this.pending.has(target.id)) continue;
      this.pending.add(target.id);
      this.queue.push(target);
    }
    for (const id of this.streaks.keys()) if (!seen.has(id)) this.streaks.delete(id);
    this.drain();
  }

  /** Checks one instance now and applies the result (tests and the round). */
  async check(target: CheckTarget): Promise<void> {
    const type = this.checkers.get(target.key, target.cluster).healthChecker.type;
    const result = await this.probe(target);
    if (result === undefined) return;
    this.checks.inc({ type: type.toLowerCase(), result: result.ok ? 'ok' : 'failed' });
    await this.apply(target, result);
  }

  private *targets(): Generator<CheckTarget> {
    for (const client of this.registry.clients()) {
      if (client.kind !== 'ipport' || !isPersistentClientId(client.id)) continue;
      if (!this.routing.isResponsibleForClient(client.id)) continue;
      for (const p of this.registry.exportClient(client.id)?.publications ?? []) {
        // A sync task's copy carries the health its source reports; checking it here would fight the task.
        if (isSyncCopy(p.instance.metadata)) continue;
        const { ip, port } = p.instance;
        const cluster = p.instance.clusterName || DEFAULT_CLUSTER;
        const key = { namespace: p.namespace, group: p.group, name: p.service };
        yield {
          id: `${p.namespace}\u0000${p.group}\u0000${p.service}\u0000${cluster}\u0000${ip}:${port}`,
          key,
          cluster,
          ip,
          port,
        };
      }
    }
  }

  private drain(): void {
    while (this.running < this.config.healthCheckConcurrency && this.queue.length > 0) {
      const target = this.queue.shift()!;
      this.running++;
      void this.check(target)
        .catch((err: unknown) =>
          this.logger.warn({ err, instance: `${target.ip}:${target.port}` }, 'health check failed'),
        )
        .finally(() => {
          this.running--;
          this.pending.delete(target.id);
          if (!this.stopped) this.drain();
        });
    }
  }

  /** Runs the cluster's checker; undefined when the cluster is NONE (manual health). */
  private probe(target: CheckTarget): Promise<ProbeResult | undefined> {
    const cluster = this.checkers.get(target.key, target.cluster);
    const port = cluster.useInstancePort ? target.port : cluster.checkPort;
    const timeout = this.config.healthCheckTimeoutMs;
    const spec = cluster.healthChecker;
    switch (spec.type) {
      case 'NONE':
        return Promise.resolve(undefined);
      case 'TCP':
        return tcpProbe(target.ip, port, timeout);
      case 'HTTP':
        return httpProbe(
          {
            ip: target.ip,
            port,
            path: spec.path,
            headers: customHeaders(spec.headers),
            expectedResponseCode: spec.expectedResponseCode,
          },
          timeout,
        );
    }
  }

  /** Counts the result and, once the streak is long enough, writes the new health. */
  private async apply(target: CheckTarget, result: ProbeResult): Promise<void> {
    const current = this.persistent.find(target.key, target.cluster, target.ip, target.port);
    // Gone, or no longer this node's to check, while the check ran.
    if (current === undefined || !this.routing.isResponsibleForClient(`${target.ip}:${target.port}#false`)) return;
    const streak = this.streaks.get(target.id) ?? { ok: 0, fail: 0 };
    this.streaks.set(target.id, streak);
    const times = this.config.healthCheckTimes;
    let healthy: boolean | undefined;
    if (result.ok) {
      streak.fail = 0;
      if (current.healthy) streak.ok = 0;
      else if (++streak.ok >= times) healthy = true;
    } else {
      streak.ok = 0;
      if (!current.healthy) streak.fail = 0;
      else if (result.now || ++streak.fail >= times) healthy = false;
    }
    if (healthy === undefined) return;
    try {
      await this.persistent.update(target.key, target.cluster, target.ip, target.port, { healthy });
      streak.ok = 0;
      streak.fail = 0;
      this.logger.log(
        {
          instance: `${target.ip}:${target.port}`,
          cluster: target.cluster,
          service: target.key.name,
          detail: result.detail,
        },
        healthy ? 'persistent instance is healthy again' : 'persistent instance turned unhealthy',
      );
    } catch (err) {
      // The streak stays: the next check writes it again once the database answers.
      if (Date.now() - this.lastWriteFailure > 60_000) {
        this.lastWriteFailure = Date.now();
        this.logger.warn(
          { err: (err as Error).message },
          'writing a health check result failed; retrying at the next check',
        );
      }
    }
  }
}
