import type { Service, ServiceCatalog } from './catalog';
import type { ChangeSet } from './change-set';
import { publicationKey } from './client';
import type { Client } from './client';
import type { ClientTable } from './client-table';
import { DEFAULT_CLUSTER, serviceKey } from './model';
import type { ClientSyncData } from './model';
import type { PublicationWriter } from './publications';
import { newer } from './version';
import type { HybridClock } from './version';

/**
 * Merges peers' copies of clients into this node's (Registry.mergeClients). Per publication address
 * the newest write wins — a publication or its tombstone, by version and then writer id — a floor
 * removes everything of the client at or below it, and owner and expiry follow their own stamp. The
 * result does not depend on the order, grouping or repetition of the copies (merge.property.spec.ts).
 * Like PublicationWriter, it only changes state and notes what it touched; the Registry commits.
 */
export class ClientMerger {
  constructor(
    private readonly clientTable: ClientTable,
    private readonly catalog: ServiceCatalog,
    private readonly writer: PublicationWriter,
    /** This node's clock: its `node` is the id a copy names as owner. */
    private readonly hlc: HybridClock,
  ) {}

  /** Merges one peer copy into this node's client; true when the client changed here. */
  merge(data: ClientSyncData, beatAt: number, changes: ChangeSet): boolean {
    const live = this.clientTable.get(data.clientId);
    // A connection or sync client naming this node as its owner that this node does not run is from
    // an earlier run of this node (a peer kept it, a snapshot carried it): its connection is gone,
    // so it is not taken. The peers drop it when this node's verify listing leaves it out.
    if (
      data.kind !== 'ipport' &&
      data.owner === this.hlc.node &&
      live?.local !== true &&
      (live === undefined || newer(data.metaVersion ?? 0, data.metaWriter ?? '', live.metaVersion, live.metaWriter))
    ) {
      if (live === undefined) return false;
      this.writer.drop(live, changes);
      return true;
    }
    const existed = live !== undefined;
    const client = this.clientTable.obtain(data.clientId, live?.kind ?? data.kind);
    if (!existed) client.local = false;
    const historyChanged = this.mergeHistory(client, data, changes);
    const changed = this.mergePublications(client, data, beatAt, changes) || historyChanged;
    // A client left with nothing is removed (a ghost, if it holds tombstones), unless it is a live
    // connection or sync client of this node, which exists while its connection or lease does.
    if (client.size === 0 && (!existed || client.kind === 'ipport' || !client.local)) {
      this.clientTable.delete(client);
      if (existed) changes.touchClient(client, true);
      return changed || existed;
    }
    if (changed || !existed) changes.touchClient(client);
    return changed;
  }

  /** Merges a copy's owner stamp, floor and tombstones into `client`; true when any of them changed it. */
  private mergeHistory(client: Client, data: ClientSyncData, changes: ChangeSet): boolean {
    let changed = false;
    if (
      data.metaVersion !== undefined &&
      client.setMeta(data.owner, data.expiresAt, data.metaVersion, data.metaWriter ?? '')
    ) {
      changed = true;
      // A newer owner stamp naming another node: the client moved there (a sync task's lease).
      if (client.kind !== 'ipport' && client.owner !== this.hlc.node) client.local = false;
      this.clientTable.setExpiry(client, client.expiresAt);
    }
    if (data.floor !== undefined && client.raiseFloor(data.floor, data.floorWriter ?? '')) {
      changed = true;
      for (const record of client.records()) {
        if (client.covered(record.version, record.writer)) this.writer.unlink(client, record, changes);
      }
    }
    for (const t of data.tombstones ?? []) {
      if (client.covered(t.version, t.writer)) continue;
      const service = this.catalog.find({ namespace: t.namespace, group: t.group, name: t.service });
      const record = service && client.find(service, t.cluster, t.ip, t.port);
      if (record !== undefined && !newer(t.version, t.writer, record.version, record.writer)) continue;
      if (record !== undefined) this.writer.unlink(client, record, changes);
      const stored = client.setTombstone(publicationKey(t.namespace, t.group, t.service, t.cluster, t.ip, t.port), t);
      if (stored || record !== undefined) changed = true;
    }
    return changed;
  }

  /** Merges a copy's publications into `client`: each one newer than what is held at its address (record or tombstone). */
  private mergePublications(client: Client, data: ClientSyncData, beatAt: number, changes: ChangeSet): boolean {
    let changed = false;
    const withTombstones = client.tombstoneCount > 0;
    const floor = client.floor;
    // Consecutive publications mostly name the same service: compare before looking it up again.
    let last: Service | undefined;
    let lastName: string | undefined;
    let lastGroup: string | undefined;
    let lastNamespace: string | undefined;
    for (const p of data.publications) {
      const version = p.version ?? 0;
      const writer = p.writer ?? '';
      if (floor !== 0 && client.covered(version, writer)) continue;
      const cluster = p.instance.clusterName || DEFAULT_CLUSTER;
      const ip = String(p.instance.ip);
      const port = Number(p.instance.port);
      if (withTombstones) {
        const t = client.tombstoneAt(publicationKey(p.namespace, p.group, p.service, cluster, ip, port));
        if (t !== undefined && !newer(version, writer, t.version, t.writer)) continue;
      }
      if (lastName !== p.service || lastGroup !== p.group || lastNamespace !== p.namespace) {
        last = this.catalog.find(serviceKey(p.namespace, p.group, p.service));
        lastName = p.service;
        lastGroup = p.group;
        lastNamespace = p.namespace;
      }
      const record = last === undefined || client.size === 0 ? undefined : client.find(last, cluster, ip, port);
      if (record !== undefined && !newer(version, writer, record.version, record.writer)) continue;
      last ??= this.catalog.obtain(serviceKey(p.namespace, p.group, p.service));
      if (this.writer.upsert(client, last, p.instance, beatAt, changes, version, writer)) changed = true;
    }
    return changed;
  }
}
