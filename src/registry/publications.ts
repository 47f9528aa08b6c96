import { ClusterIndex } from './catalog';
import type { Service } from './catalog';
import type { ChangeSet } from './change-set';
import { SCAN_LIMIT, recordKey } from './client';
import type { Client } from './client';
import type { ClientTable } from './client-table';
import { InstanceRecord, compact, inputFlags, normalizeMetadata, normalizeWeight } from './instance';
import { DEFAULT_CLUSTER, defaultInstanceId } from './model';
import type { InstanceInput } from './model';

/** An instance a client should publish into a resolved service. */
export interface DesiredPublication {
  service: Service;
  input: InstanceInput;
}

function clusterOf(input: InstanceInput): string {
  return input.clusterName || DEFAULT_CLUSTER;
}

/**
 * The only code that changes publications. It keeps the three views in step — the client's
 * own list, the service's cluster index and the counters — and notes every touched service and
 * client in the operation's ChangeSet. Revisions and events are left to the caller.
 */
export class PublicationWriter {
  /** Publications in the whole registry. */
  instanceCount = 0;
  /** The record the last upsert left in place (new, updated or unchanged). */
  private upserted: InstanceRecord | undefined = undefined;

  constructor(private readonly clients: ClientTable) {}

  /**
   * Publishes `input` for `client`, updating its existing publication of that address in place. A
   * local write (no `version`) is stamped with the operation's version when it changes something; a
   * merge passes the version it received, which is stored even when the data is the same.
   */
  upsert(
    client: Client,
    service: Service,
    input: InstanceInput,
    beatAt: number,
    changes: ChangeSet,
    version?: number,
    writer?: string,
  ): boolean {
    const cluster = clusterOf(input);
    const ip = String(input.ip);
    const port = typeof input.port === 'number' ? input.port : Number(input.port);
    const found = service.cluster(cluster);
    // A small client is scanned (no hashing); a large one is looked up once, and an insert reuses the answer.
    const small = client.size <= SCAN_LIMIT;
    const entry = small || found === undefined ? undefined : found.entries.get(ip);
    const existing = small ? client.find(service, cluster, ip, port) : ClusterIndex.ownedBy(entry, client, port);
    const weight = normalizeWeight(input.weight);
    const flags = inputFlags(input);
    const metadata = normalizeMetadata(input.metadata, existing?.metadata);
    const customId =
      input.instanceId && input.instanceId !== defaultInstanceId(ip, port, cluster, service.groupedName)
        ? input.instanceId
        : undefined;
    if (existing !== undefined) {
      // A re-registration is also a sign of life.
      existing.beatAt = beatAt;
      this.upserted = existing;
      if (
        existing.weight === weight &&
        existing.flags === flags &&
        existing.metadata === metadata &&
        existing.customId === customId
      ) {
        if (version === undefined || (version === existing.version && writer === existing.writer)) return false;
        // The same data written again elsewhere: only the stamp moves on (nothing to announce).
        existing.version = version;
        existing.writer = writer ?? '';
        client.touched();
        client.saw(version);
        return true;
      }
      const next = new InstanceRecord(
        client,
        existing.ip,
        port,
        weight,
        flags,
        existing.cluster,
        metadata,
        beatAt,
        customId,
        version,
        writer,
      );
      this.swap(client, existing, next, changes, version !== undefined);
      this.upserted = next;
      return true;
    }
    const index = found ?? service.obtainCluster(cluster);
    const record = new InstanceRecord(
      client,
      compact(ip),
      port,
      weight,
      flags,
      index,
      metadata,
      beatAt,
      customId,
      version ?? changes.version(),
      writer ?? changes.writer,
    );
    if (small || found === undefined) index.add(record);
    else index.add(record, entry);
    client.add(record);
    // A publication newer than its own withdrawal replaces the tombstone.
    if (client.tombstoneCount > 0) client.clearTombstone(recordKey(record));
    service.publications++;
    this.instanceCount++;
    changes.touchService(service);
    this.upserted = record;
    return true;
  }

  /** Replaces one publication by a changed copy of it; `stamped`: it carries its version already (a merge). */
  swap(client: Client, previous: InstanceRecord, next: InstanceRecord, changes: ChangeSet, stamped = false): void {
    if (!stamped) {
      next.version = changes.version();
      next.writer = changes.writer;
    }
    previous.cluster.replace(previous, next);
    client.replace(previous, next);
    changes.touchService(previous.cluster.service);
  }

  /** Withdraws one publication; a local withdrawal leaves a tombstone with the operation's version. */
  detach(client: Client, record: InstanceRecord, changes: ChangeSet): void {
    if (changes.local) this.bury(client, record, changes.version(), changes.writer);
    this.unlink(client, record, changes);
  }

  /** Records the withdrawal of `record` at a version. */
  bury(client: Client, record: InstanceRecord, version: number, writer: string): void {
    const service = record.cluster.service;
    client.setTombstone(recordKey(record), {
      namespace: service.namespace,
      group: service.group,
      service: service.name,
      cluster: record.cluster.name,
      ip: record.ip,
      port: record.port,
      version,
      writer,
    });
  }

  /** Takes a publication out of every view (no tombstone). */
  unlink(client: Client, record: InstanceRecord, changes: ChangeSet): void {
    const cluster = record.cluster;
    const service = cluster.service;
    cluster.remove(record);
    client.remove(record);
    service.pruneCluster(cluster);
    service.publications--;
    this.instanceCount--;
    changes.touchService(service);
  }

  /**
   * Makes the client's publications within `scope` (one service, or all when undefined) exactly
   * `desired`: upserts these, then withdraws the others. Later duplicates in `desired` win.
   */
  reconcile(
    client: Client,
    desired: readonly DesiredPublication[],
    scope: Service | undefined,
    beatAt: number,
    changes: ChangeSet,
  ): boolean {
    let changed = false;
    const previous = client.size === 0 ? [] : scope === undefined ? client.records() : ownRecordsIn(client, scope);
    // A client publishing nothing here yet (a new replica, a first batch) has nothing to withdraw.
    const kept = previous.length === 0 ? undefined : new Set<InstanceRecord>();
    for (const { service, input } of desired) {
      if (this.upsert(client, service, input, beatAt, changes)) changed = true;
      kept?.add(this.upserted as InstanceRecord);
    }
    if (kept === undefined) return changed;
    for (const record of previous) {
      // A record replaced by its update is no longer held; one held but not kept was not desired.
      if (client.holds(record) && !kept.has(record)) {
        this.detach(client, record, changes);
        changed = true;
      }
    }
    return changed;
  }

  /** Records a change made on this node: the client becomes local and its revision moves to the operation's version. */
  changedLocally(client: Client, changes: ChangeSet): void {
    client.saw(changes.version());
    client.local = true;
    changes.touchClient(client);
  }

  /**
   * Removes a client and everything it publishes. A local removal (a connection closed, a task
   * deleted) raises the client's floor to the operation's version, so no older copy of anything it
   * published comes back; a merge or a replica's expiry only forgets it here.
   */
  drop(client: Client, changes: ChangeSet): void {
    if (changes.local) client.raiseFloor(changes.version(), changes.writer);
    for (const record of client.records()) this.unlink(client, record, changes);
    this.clients.delete(client);
    changes.touchClient(client, true);
  }

  /**
   * An ip-port client exists only while it publishes something, as in Nacos. Its withdrawals are
   * tombstones of their own (no floor: a registration made elsewhere at the same time stays).
   */
  dropIfAbandoned(client: Client, changes: ChangeSet): void {
    if (client.kind !== 'ipport' || client.size !== 0) return;
    this.clients.delete(client);
    changes.touchClient(client, true);
  }
}

/**
 * The client's publications in one service, found through the service's index (its size) rather
 * than the client's (a sync client may publish into ten thousand services: scanning it for every
 * per-service batch made a full sync quadratic).
 */
function ownRecordsIn(client: Client, service: Service): InstanceRecord[] {
  const out: InstanceRecord[] = [];
  if (client.size <= service.publications) {
    for (const record of client.records()) if (record.cluster.service === service) out.push(record);
    return out;
  }
  for (const cluster of service.clusters()) {
    for (const record of cluster.records()) if (record.owner === client) out.push(record);
  }
  return out;
}
