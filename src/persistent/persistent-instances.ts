import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DatabaseConfig } from '@/database/database.config';
import { DistroConfig } from '@/distro/distro.config';
import { Counter } from 'prom-client';
import { Metrics } from '@/observability';
import { DEFAULT_CLUSTER, Registry, versionAt } from '@/registry';
import type {
  DistroRegistryView,
  Instance,
  InstanceInput,
  InstancePatch,
  NamingRegistry,
  ServiceKey,
} from '@/registry';
import { ClusterCheckers } from './health/cluster-checkers';
import type { ClusterChecker } from './health/cluster-checker';
import { PersistentConfig } from './persistent.config';
import { PersistentStore, describeStoreError } from './persistent-store';
import { PersistentStoreError, storeFailure } from './persistent-store-error';
import { persistentClientId, toClientCopies } from './persistent-write';
import type { PersistentWrite } from './persistent-write';

/**
 * The registry as persistent writes use it: the naming view, plus the clock that stamps a write
 * before its database commit and the merge that applies it after, exactly as a Distro copy of it.
 */
export type PersistentRegistry = NamingRegistry & Pick<DistroRegistryView, 'versionClock' | 'mergeClients'>;

/**
 * Persistent instances (`ephemeral=false`, client `ip:port#false`), durable in the region's database.
 *
 * A write is stamped with this node's clock when it is accepted (synchronously: inside the
 * forwarder's `writeBefore`, so a forwarded write keeps a version before its sender's deadline),
 * committed to the database, and only then merged into the registry as a Distro copy carrying that
 * stamp — Distro replicates it like any change of the node. So an answered write is in the database
 * whatever happens to the nodes, and a write the database did not take is in no registry.
 *
 * The database row and every registry copy of an address keep the newest stamp (version, then
 * writer): two nodes writing the same instance end with the same winner in both, in whatever order
 * their commits and copies land. A node killed between commit and merge never answered; the row is
 * merged by every node at its next reload, as it is at start. Each node loads every row at start
 * (in module init: its Nacos HTTP and gRPC listeners open after it, so no client reads before) and
 * every NACOS_PERSISTENT_RELOAD_MS. Loading merges too, so its order against the Distro snapshot does
 * not matter, and a peer that talks to this node meanwhile (a forward, a snapshot) gets nothing that
 * a later merge would not correct.
 */
@Injectable()
export class PersistentInstances implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('PersistentInstances');
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;
  private lastReloadFailure = 0;
  private readonly writes: Counter<'result'>;

  constructor(
    @Inject(Registry) private readonly registry: PersistentRegistry,
    private readonly store: PersistentStore,
    private readonly checkers: ClusterCheckers,
    private readonly config: PersistentConfig,
    private readonly distro: DistroConfig,
    private readonly database: DatabaseConfig,
    metrics: Metrics,
  ) {
    store.timeoutMs = config.writeTimeoutMs;
    this.writes = new Counter({
      name: 'nacos_persistent_writes_total',
      help: 'Persistent instance writes by result: stored, superseded (a newer write of the address was stored first), refused (the database did not take it; not acknowledged)',
      labelNames: ['result'],
      registers: [metrics.registry],
    });
  }

  async onModuleInit(): Promise<void> {
    const started = Date.now();
    const deadline = started + this.database.startupTimeoutMs;
    for (let delay = 250; ; delay = Math.min(delay * 2, 4000)) {
      try {
        const count = await this.load();
        this.logger.log(
          { instances: count, ms: Date.now() - started },
          'persistent instances loaded from the database',
        );
        return;
      } catch (err) {
        if (Date.now() + delay > deadline) {
          throw new Error(`cannot load the persistent instances from the database: ${(err as Error).message}`, {
            cause: err,
          });
        }
        this.logger.warn(
          { err: (err as Error).message },
          `loading the persistent instances failed; retrying in ${delay} ms`,
        );
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.reload(), this.config.reloadMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.reloading;
  }

  // ---- writes: each stamps its version when called, then commits, then merges ---------------

  /** Registers (or replaces) a persistent instance. */
  register(key: ServiceKey, input: InstanceInput): Promise<void> {
    const cluster = input.clusterName || DEFAULT_CLUSTER;
    const instance: InstanceInput = { ...input, clusterName: cluster, ephemeral: false };
    return this.commit(this.stamp(key, cluster, input.ip, input.port, instance));
  }

  /** Deregisters one address, held or not: a tombstone, so no older registration can come back. */
  deregister(key: ServiceKey, clusterName: string, ip: string, port: number): Promise<void> {
    return this.commit(this.stamp(key, clusterName || DEFAULT_CLUSTER, ip, port, undefined));
  }

  /**
   * Changes fields of a persistent instance this node holds; undefined when it holds none at that
   * address (the caller answers "not found"). The new state is the whole instance, so the row alone
   * restores it.
   */
  update(
    key: ServiceKey,
    clusterName: string,
    ip: string,
    port: number,
    patch: InstancePatch,
  ): Promise<void> | undefined {
    const write = this.stampUpdate(key, clusterName, ip, port, patch);
    return write && this.commit(write);
  }

  /**
   * The versioned write an update makes, stamped now but not yet committed (`commit`), for a caller
   * that has to check something asynchronous first and still keep the version of the moment it was
   * accepted; undefined when this node holds no persistent instance there.
   */
  stampUpdate(
    key: ServiceKey,
    clusterName: string,
    ip: string,
    port: number,
    patch: InstancePatch,
  ): PersistentWrite | undefined {
    const cluster = clusterName || DEFAULT_CLUSTER;
    const current = this.registry.getPublication(persistentClientId(ip, port), key, cluster, ip, port);
    if (current === undefined) return undefined;
    return this.stamp(key, cluster, ip, port, patched(current, patch));
  }

  /** How a cluster's persistent instances are checked, as this node last read it (TCP when never set). */
  clusterChecker(key: ServiceKey, cluster: string): ClusterChecker {
    return this.checkers.get(key, cluster);
  }

  /** The persistent instance this node holds at an address, or undefined. */
  find(key: ServiceKey, clusterName: string, ip: string, port: number): Instance | undefined {
    return this.registry.getPublication(persistentClientId(ip, port), key, clusterName || DEFAULT_CLUSTER, ip, port);
  }

  private stamp(
    key: ServiceKey,
    cluster: string,
    ip: string,
    port: number,
    instance: InstanceInput | undefined,
  ): PersistentWrite {
    const version = this.registry.versionClock.next();
    return { key, cluster, ip, port, instance, version, writer: this.registry.versionClock.node };
  }

  /** Commits a stamped write to the database, then merges it here (Distro takes it on); rejects with PersistentStoreError. */
  async commit(write: PersistentWrite): Promise<void> {
    try {
      this.writes.inc({ result: (await this.store.save(write)) ? 'stored' : 'superseded' });
    } catch (err) {
      this.writes.inc({ result: 'refused' });
      throw this.storeError(err, write);
    }
    // Stored, or a newer write of the address was there first: merging keeps the newest either way.
    this.registry.mergeClients(toClientCopies([write]));
  }

  private storeError(err: unknown, write: PersistentWrite): PersistentStoreError {
    const failure = describeStoreError(err);
    const fields = { instance: `${write.ip}:${write.port}`, service: write.key.name, cause: failure.detail };
    if (failure.kind === 'failed') this.logger.error({ ...fields, err }, 'persistent instance write failed');
    else this.logger.warn(fields, 'persistent instance write not acknowledged: the database did not take it');
    return storeFailure(err, failure.kind, failure.detail);
  }

  // ---- loading ----------------------------------------------------------------------------

  /**
   * Reads every row and merges it (and every cluster checker); purges tombstones past the window.
   * Runs every NACOS_PERSISTENT_RELOAD_MS; a failure is logged (once a minute) and retried at the next.
   */
  reload(): Promise<void> {
    this.reloading ??= (async () => {
      try {
        await this.load();
        await this.store.purgeTombstones(this.horizon());
      } catch (err) {
        if (Date.now() - this.lastReloadFailure > 60_000) {
          this.lastReloadFailure = Date.now();
          this.logger.warn(
            { err: (err as Error).message },
            'reloading the persistent instances failed; retrying later',
          );
        }
      } finally {
        this.reloading = undefined;
      }
    })();
    return this.reloading;
  }

  private async load(): Promise<number> {
    const writes = await this.store.loadAll(this.horizon());
    await this.checkers.reload();
    if (writes.length > 0) this.registry.mergeClients(toClientCopies(writes));
    return writes.filter((w) => w.instance !== undefined).length;
  }

  /** Versions older than this are past the tombstone window (DISTRO_TOMBSTONE_TTL_MS). */
  private horizon(): number {
    return versionAt(Date.now() - this.distro.tombstoneTtlMs);
  }
}

/** The whole instance after a patch, as the registry would apply it. */
function patched(current: Instance, patch: InstancePatch): InstanceInput {
  const data = current.toJSON();
  return {
    ip: data.ip,
    port: data.port,
    clusterName: data.clusterName,
    weight: patch.weight ?? data.weight,
    healthy: patch.healthy ?? data.healthy,
    enabled: patch.enabled ?? data.enabled,
    ephemeral: false,
    metadata: patch.metadata ?? data.metadata,
    instanceId: data.instanceId,
  };
}
