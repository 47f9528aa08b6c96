import { Registry } from '@/registry';
import type { ClientSyncData, ServiceKey } from '@/registry';
import { isPersistentClientId, newerWrite, persistentClientId, toClientCopies } from './persistent-write';
import type { PersistentWrite } from './persistent-write';

const KEY: ServiceKey = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'orders' };

function write(ip: string, version: number, fields: { weight?: number } | undefined, writer = 'a:1'): PersistentWrite {
  return {
    key: KEY,
    cluster: 'DEFAULT',
    ip,
    port: 80,
    instance: fields === undefined ? undefined : { ip, port: 80, weight: fields.weight ?? 1, ephemeral: false },
    version,
    writer,
  };
}

/** What the registry lists for the service: `ip w=<weight>`. */
function listed(registry: Registry): string[] {
  return registry
    .listInstances(KEY)
    .map((i) => `${i.ip} w=${i.weight} e=${i.ephemeral}`)
    .sort();
}

describe('toClientCopies', () => {
  it('should group writes by their ip-port client, publications and tombstones apart, with the newest revision', () => {
    const copies = toClientCopies([write('10.0.0.1', 5, { weight: 2 }), write('10.0.0.2', 7, undefined)]);
    expect(copies).toEqual<ClientSyncData[]>([
      {
        clientId: '10.0.0.1:80#false',
        kind: 'ipport',
        revision: 5,
        publications: [
          {
            namespace: 'public',
            group: 'DEFAULT_GROUP',
            service: 'orders',
            instance: { ip: '10.0.0.1', port: 80, weight: 2, clusterName: 'DEFAULT', ephemeral: false },
            version: 5,
            writer: 'a:1',
          },
        ],
        tombstones: [],
      },
      {
        clientId: '10.0.0.2:80#false',
        kind: 'ipport',
        revision: 7,
        publications: [],
        tombstones: [
          {
            namespace: 'public',
            group: 'DEFAULT_GROUP',
            service: 'orders',
            cluster: 'DEFAULT',
            ip: '10.0.0.2',
            port: 80,
            version: 7,
            writer: 'a:1',
          },
        ],
      },
    ]);
  });

  it('should name persistent clients as Nacos does', () => {
    expect(persistentClientId('10.0.0.1', 80)).toBe('10.0.0.1:80#false');
    expect(isPersistentClientId('10.0.0.1:80#false')).toBe(true);
    expect(isPersistentClientId('10.0.0.1:80#true')).toBe(false);
  });

  it('should order stamps by version, then writer, as the registry and the database do', () => {
    expect(newerWrite({ version: 2, writer: 'a' }, { version: 1, writer: 'z' })).toBe(true);
    expect(newerWrite({ version: 2, writer: 'b' }, { version: 2, writer: 'a' })).toBe(true);
    expect(newerWrite({ version: 2, writer: 'a' }, { version: 2, writer: 'a' })).toBe(false);
  });
});

describe('loading rows into a registry that holds Distro copies', () => {
  const merge = (registry: Registry, writes: PersistentWrite[]): number =>
    registry.mergeClients(toClientCopies(writes));

  it('should never undo a newer deregistration with an older row (no resurrection)', () => {
    const sut = new Registry({ nodeId: 'b:1' });
    merge(sut, [write('10.0.0.1', 10, undefined, 'b:1')]);
    merge(sut, [write('10.0.0.1', 9, { weight: 3 })]);
    expect(listed(sut)).toEqual([]);
  });

  it('should withdraw what it holds when the row is a newer deregistration', () => {
    const sut = new Registry({ nodeId: 'b:1' });
    merge(sut, [write('10.0.0.1', 9, { weight: 3 })]);
    merge(sut, [write('10.0.0.1', 10, undefined)]);
    expect(listed(sut)).toEqual([]);
  });

  it('should keep a newer write it holds over an older row, and take a newer row over an older write', () => {
    const sut = new Registry({ nodeId: 'b:1' });
    merge(sut, [write('10.0.0.1', 10, { weight: 5 }), write('10.0.0.2', 3, { weight: 1 })]);
    merge(sut, [write('10.0.0.1', 8, { weight: 2 }), write('10.0.0.2', 4, { weight: 9 })]);
    expect(listed(sut)).toEqual(['10.0.0.1 w=5 e=false', '10.0.0.2 w=9 e=false']);
  });

  it('should end the same whichever comes first, the rows or the snapshot, and change nothing when loaded again', () => {
    const rows = [
      write('10.0.0.1', 10, { weight: 5 }),
      write('10.0.0.2', 12, undefined),
      write('10.0.0.3', 4, { weight: 1 }),
    ];
    const snapshot = [write('10.0.0.1', 11, { weight: 6 }, 'c:1'), write('10.0.0.2', 11, { weight: 1 }, 'c:1')];
    const rowsFirst = new Registry({ nodeId: 'b:1' });
    merge(rowsFirst, rows);
    merge(rowsFirst, snapshot);
    const snapshotFirst = new Registry({ nodeId: 'b:1' });
    merge(snapshotFirst, snapshot);
    merge(snapshotFirst, rows);
    expect(listed(rowsFirst)).toEqual(['10.0.0.1 w=6 e=false', '10.0.0.3 w=1 e=false']);
    expect(listed(snapshotFirst)).toEqual(listed(rowsFirst));
    expect(merge(rowsFirst, rows)).toBe(0);
  });

  it('should pick the same winner for two nodes writing one instance with the same version: the higher writer id', () => {
    const sut = new Registry({ nodeId: 'b:1' });
    merge(sut, [write('10.0.0.1', 10, { weight: 2 }, 'b:1')]);
    merge(sut, [write('10.0.0.1', 10, { weight: 7 }, 'a:1')]);
    expect(listed(sut)).toEqual(['10.0.0.1 w=2 e=false']);
  });
});
