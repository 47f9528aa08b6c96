import { Inject, Module } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { ClusterRouting } from '@/routing/cluster-routing';
import { Registry } from '@/registry';
import { AppConfig } from '@/config';
import { PersistentCopies } from '@/persistent/persistent-copies';
import { PersistentModule } from '@/persistent/persistent.module';
import type { NamingRegistry } from '@/registry';
import { AdapterFactory } from './adapters/adapter-factory';
import { DistroRegistryAdapter } from './adapters/distro-adapter';
import { EtcdRegistryAdapter } from './adapters/etcd-adapter';
import { LocalRegistryAdapter } from './adapters/local-adapter';
import { NacosClusterAdapter } from './adapters/nacos-cluster-adapter';
import { ZooKeeperAdapter } from './adapters/zookeeper-adapter';
import type { ZooKeeperLayoutName } from './adapters/zookeeper-layouts';
import { ClusterService } from './clusters/cluster.service';
import { ClustersController } from './clusters/clusters.controller';
import { EventsController } from './events/events.controller';
import { NacosSyncController } from './nacos-sync/nacos-sync.controller';
import { NacosSyncService } from './nacos-sync/nacos-sync.service';
import { TransferController } from './transfer/transfer.controller';
import { TransferService } from './transfer/transfer.service';
import { SyncStore } from './store/sync-store';
import { SyncLedgerReader } from './tasks/sync-ledger-reader';
import { TaskDiffService } from './tasks/task-diff.service';
import { TaskEventLog } from './tasks/task-event-log';
import { TaskService } from './tasks/task.service';
import { TasksController } from './tasks/tasks.controller';
import { SyncMetrics } from './worker/sync-metrics';
import { SyncScheduler } from './worker/sync-scheduler';
import { SyncWorker } from './worker/sync-worker';
import { WorkersController } from './worker/workers.controller';

/** Sync tasks: the admin API over clusters and tasks, and this replica's leased workers. */
@Module({
  imports: [ScheduleModule.forRoot(), PersistentModule],
  controllers: [
    ClustersController,
    TasksController,
    EventsController,
    TransferController,
    WorkersController,
    NacosSyncController,
  ],
  providers: [
    SyncStore,
    AdapterFactory,
    ClusterService,
    TaskService,
    TaskEventLog,
    TaskDiffService,
    TransferService,
    NacosSyncService,
    SyncLedgerReader,
    SyncMetrics,
    SyncScheduler,
    SyncWorker,
  ],
  exports: [AdapterFactory, SyncWorker],
})
export class SyncModule implements OnModuleInit {
  constructor(
    private readonly adapters: AdapterFactory,
    @Inject(Registry) private readonly registry: NamingRegistry,
    private readonly routing: ClusterRouting,
    private readonly config: AppConfig,
    private readonly persistentCopies: PersistentCopies,
  ) {}

  onModuleInit(): void {
    this.adapters.register(
      'local',
      () => new LocalRegistryAdapter(this.registry, () => this.routing.selfId(), Date.now, this.persistentCopies),
    );
    this.adapters.register('distro', (cluster, secrets) => new DistroRegistryAdapter(cluster.addresses, secrets.token));
    this.adapters.register(
      'nacos',
      (cluster, secrets) =>
        new NacosClusterAdapter({
          name: cluster.name,
          addresses: cluster.addresses,
          namespace: cluster.namespace ?? 'public',
          username: cluster.username ?? undefined,
          password: secrets.password,
          relistIntervalMs: this.config.sync.nacosRelistMs,
        }),
    );
    this.adapters.register(
      'zookeeper',
      (cluster, secrets) =>
        new ZooKeeperAdapter({
          addresses: cluster.addresses,
          layout: (cluster.layout ?? 'dubbo') as ZooKeeperLayoutName,
          prefix: cluster.prefix,
          namespace: cluster.namespace ?? 'public',
          username: cluster.username ?? undefined,
          password: secrets.password,
          // Copies are ephemeral znodes of the holder's session: they outlive a dead holder by the
          // session timeout, which is the copies' TTL of every other kind (the server may clamp it).
          sessionTimeoutMs: this.config.sync.clientTtlMs,
        }),
    );
    this.adapters.register(
      'etcd',
      (cluster, secrets) =>
        new EtcdRegistryAdapter({
          addresses: cluster.addresses,
          layout: cluster.layout,
          prefix: cluster.prefix,
          namespace: cluster.namespace ?? 'public',
          username: cluster.username ?? undefined,
          password: secrets.password,
          tlsCa: secrets.tlsCa,
          tlsCert: secrets.tlsCert,
          tlsKey: secrets.tlsKey,
        }),
    );
  }
}
