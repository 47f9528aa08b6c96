import { ipPortClientId } from '@/registry';
import type { ClientSyncData, InstanceInput, ServiceKey } from '@/registry';

/**
 * One versioned write of one persistent instance address, as the database keeps it and as it is
 * merged into the registry: the instance as it is after the write, or none for a deregistration (a
 * tombstone). `version` and `writer` are the stamp of the node that accepted the write (its hybrid
 * logical clock and member id), the same stamp every Distro copy of it carries.
 */
export interface PersistentWrite {
  key: ServiceKey;
  cluster: string;
  ip: string;
  port: number;
  /** The whole instance after the write (ephemeral false); undefined = deregistered. */
  instance: InstanceInput | undefined;
  version: number;
  writer: string;
}

/** The ip-port client every persistent instance at `ip:port` belongs to (`ip:port#false`). */
export function persistentClientId(ip: string, port: number): string {
  return ipPortClientId(ip, port, false);
}

/** True for the client id of persistent (HTTP-registered, `ephemeral=false`) instances. */
export function isPersistentClientId(clientId: string): boolean {
  return clientId.endsWith('#false');
}

/** Stamp order, as the registry merges: version, then writer id (code-unit order, the C collation's for ids). */
export function newerWrite(
  a: Pick<PersistentWrite, 'version' | 'writer'>,
  b: Pick<PersistentWrite, 'version' | 'writer'>,
): boolean {
  return a.version > b.version || (a.version === b.version && a.writer > b.writer);
}

/**
 * The writes as Distro copies of their clients (`ip:port#false`), which Registry.mergeClients merges
 * per address — the newest stamp wins, publication or tombstone — so a write loaded from the database
 * never undoes a newer one the node already holds, and a deregistration is never undone by an older
 * registration, whatever order the two arrive in.
 */
export function toClientCopies(writes: readonly PersistentWrite[]): ClientSyncData[] {
  const byClient = new Map<string, ClientSyncData>();
  for (const write of writes) {
    const clientId = persistentClientId(write.ip, write.port);
    let copy = byClient.get(clientId);
    if (copy === undefined) {
      copy = { clientId, kind: 'ipport', revision: 0, publications: [], tombstones: [] };
      byClient.set(clientId, copy);
    }
    copy.revision = Math.max(copy.revision, write.version);
    const { namespace, group, name: service } = write.key;
    if (write.instance === undefined) {
      copy.tombstones!.push({
        namespace,
        group,
        service,
        cluster: write.cluster,
        ip: write.ip,
        port: write.port,
        version: write.version,
        writer: write.writer,
      });
    } else {
      copy.publications.push({
        namespace,
        group,
        service,
        instance: { ...write.instance, ip: write.ip, port: write.port, clusterName: write.cluster, ephemeral: false },
        version: write.version,
        writer: write.writer,
      });
    }
  }
  return [...byClient.values()];
}
