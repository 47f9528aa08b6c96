import type { ReplicatedClient } from './client';
import type { EventSource, RegistryEvents } from './events';
import type { ClientInfo, ClientSyncData } from './model';
import type { Registry } from './registry';
import type { HybridClock } from './version';

/**
 * The Registry as Distro's processor and routing see it: replicas in and out (merge, export,
 * renew, expire, forget), the history that makes removals win (tombstones, floors, ghosts), and
 * the version clock. Registry implements it; Distro code is typed against it only. An interface,
 * so it costs nothing at run time: Distro calls the Registry itself, with no wrapper in between.
 */
export interface DistroRegistryView {
  /** serviceChanged / clientChanged, delivered synchronously after each operation completes. */
  readonly events: EventSource<RegistryEvents>;
  /** This node's id (its Distro member id), written beside the version of every write it accepts. */
  nodeId: string;
  /** The hybrid logical clock stamping this node's writes. */
  readonly versionClock: HybridClock;
  exportClient(clientId: string): ClientSyncData | undefined;
  mergeClients(items: readonly ClientSyncData[], now?: number): number;
  replicatedClients(): IterableIterator<Readonly<ReplicatedClient>>;
  replicatedClient(clientId: string): Readonly<ReplicatedClient> | undefined;
  purgeHistory(now: number, windowMs: number): number;
  historyCounts(): { tombstones: number; ghosts: number };
  renewReplica(clientId: string, now: number): boolean;
  expireReplicas(now: number, ttlMs: number, keep?: (clientId: string) => boolean): string[];
  forgetReplica(clientId: string): boolean;
  restartBeatClock(clientId: string, now: number): boolean;
  clients(): IterableIterator<Readonly<ClientInfo>>;
  getClient(clientId: string): ClientInfo | undefined;
}

/** What only Distro uses: left out of the Registry the rest of the process sees. */
type DistroOnly =
  | 'nodeId'
  | 'versionClock'
  | 'mergeClients'
  | 'replicatedClients'
  | 'replicatedClient'
  | 'purgeHistory'
  | 'historyCounts'
  | 'renewReplica'
  | 'expireReplicas'
  | 'forgetReplica'
  | 'restartBeatClock';

/**
 * The Registry as the Nacos APIs, the registry API and sync see it: everything but Distro's part.
 * Typed against this, they cannot reach replication or history by mistake.
 */
export type NamingRegistry = Omit<Registry, DistroOnly>;
