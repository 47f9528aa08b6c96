import { Registry, versionAt } from '@/registry';
import type { ClientSyncData } from '@/registry';
import { distroMethods } from '../grpc/distro-proto';
import { ProtoReader, ProtoWriter, VARINT } from '@/common/proto-wire';
import { decodeSyncRequest, encodeSyncRequest } from '../grpc/sync-wire';
import { ClientDataReader, InvalidPayloadError, decodeClients, encodeClientData } from './client-data-codec';

const TYPE = 'Nacos:Naming:v2:ClientData';
const V = versionAt(1_700_000_000_000);

function client(overrides: Partial<ClientSyncData> = {}): ClientSyncData {
  return {
    clientId: 'conn-1',
    kind: 'connection',
    revision: V + 7,
    owner: 'a:1',
    expiresAt: 1_900_000_000_000,
    publications: [
      {
        namespace: 'public',
        group: 'DEFAULT_GROUP',
        service: 'orders',
        instance: {
          ip: '10.0.0.1',
          port: 8080,
          weight: 2.5,
          healthy: false,
          enabled: true,
          ephemeral: true,
          clusterName: 'east',
          metadata: { version: 'v1', zone: 'a' },
          instanceId: 'custom-id',
        },
        version: V + 7,
        writer: 'a:1',
      },
      {
        namespace: 'dev',
        group: 'G',
        service: 'pay-ü-service-with-a-name-longer-than-forty-eight-bytes-in-utf8',
        instance: { ip: '10.0.0.2', port: 1, weight: 1, healthy: true, enabled: false, ephemeral: false, metadata: {} },
        version: V + 2,
        writer: 'b:1',
      },
    ],
    tombstones: [
      {
        namespace: 'public',
        group: 'DEFAULT_GROUP',
        service: 'orders',
        cluster: 'DEFAULT',
        ip: '10.0.0.3',
        port: 8080,
        version: V + 5,
        writer: 'b:1',
      },
    ],
    floor: V + 1,
    floorWriter: 'c:1',
    metaVersion: V + 3,
    metaWriter: 'a:1',
    ...overrides,
  };
}

function decodeOne(bytes: Buffer): ClientSyncData {
  return new ClientDataReader().read(new ProtoReader(bytes), bytes.length);
}

/** A SyncRequest built by the generic protobuf library, as another implementation would send it. */
function viaProtoLoader(...clients: object[]): Buffer {
  return distroMethods.Sync.requestSerialize({ from: 'b:1', type: TYPE, clients });
}

function withInstance(patch: object): ClientSyncData['publications'][number] {
  const p = client().publications[0];
  return { ...p, instance: { ...p.instance, ...patch } };
}

function withTombstone(patch: object): ClientSyncData {
  return client({ tombstones: [{ ...client().tombstones![0], ...patch }] });
}

describe('client data codec', () => {
  it('should decode what it encodes, versions, tombstones and floor included, with absent optional fields left out', () => {
    const decoded = decodeOne(encodeClientData(client()));

    expect(decoded).toEqual({
      ...client(),
      publications: [
        client().publications[0],
        {
          ...client().publications[1],
          instance: { ...client().publications[1].instance, clusterName: undefined, instanceId: undefined },
        },
      ],
    });
  });

  it('should leave out tombstones, floor and owner stamp a client does not have', () => {
    const plain = client({
      owner: undefined,
      expiresAt: undefined,
      tombstones: undefined,
      floor: undefined,
      floorWriter: undefined,
      metaVersion: undefined,
      metaWriter: undefined,
    });

    const decoded = decodeOne(encodeClientData(plain));

    expect(decoded).not.toHaveProperty('tombstones');
    expect(decoded).not.toHaveProperty('floor');
    expect(decoded).not.toHaveProperty('metaVersion');
    expect(decoded).toMatchObject({ owner: undefined, expiresAt: undefined, revision: V + 7 });
  });

  it('should carry a removed client: no publications, only its history', () => {
    const ghost = client({ publications: [] });

    expect(decodeOne(encodeClientData(ghost))).toEqual(ghost);
  });

  it('should carry what the registry exports, which merges on the other side into the same client', () => {
    const source = new Registry({ clock: () => 1_700_000_000_000, nodeId: 'a:1' });
    source.registerInstance(
      '10.0.0.9:80#true',
      'ipport',
      { namespace: 'public', group: 'g', name: 's' },
      {
        ip: '10.0.0.9',
        port: 80,
        metadata: { k: 'v' },
      },
    );
    source.registerInstance(
      '10.0.0.9:80#true',
      'ipport',
      { namespace: 'public', group: 'g', name: 't' },
      {
        ip: '10.0.0.9',
        port: 80,
      },
    );
    source.deregisterInstance('10.0.0.9:80#true', { namespace: 'public', group: 'g', name: 't' }, '', '10.0.0.9', 80);
    const exported = source.exportClient('10.0.0.9:80#true')!;
    const target = new Registry({ nodeId: 'b:1' });

    const [decoded] = decodeClients([encodeClientData(exported)]);
    target.mergeClients([decoded]);

    expect(target.exportClient('10.0.0.9:80#true')).toEqual(exported);
    expect(target.replicatedClient('10.0.0.9:80#true')?.digest()).toBe(
      source.replicatedClient('10.0.0.9:80#true')?.digest(),
    );
  });

  it('should write bytes the generic protobuf decoder reads as the same message', () => {
    const request = encodeSyncRequest('a:1', TYPE, [encodeClientData(client())]);
    const generic = distroMethods.Sync.requestDeserialize(request) as {
      from: string;
      clients: Array<{
        clientId: string;
        revision: number;
        publications: Array<{ instance: { metadata: object }; version: number; writer: string }>;
        tombstones: object[];
        floor: number;
        floorWriter: string;
        metaVersion: number;
        metaWriter: string;
      }>;
    };

    expect(generic.from).toBe('a:1');
    expect(generic.clients[0]).toMatchObject({
      clientId: 'conn-1',
      kind: 'connection',
      revision: V + 7,
      owner: 'a:1',
      floor: V + 1,
      floorWriter: 'c:1',
      metaVersion: V + 3,
      metaWriter: 'a:1',
    });
    expect(generic.clients[0].publications[0]).toMatchObject({ version: V + 7, writer: 'a:1' });
    expect(generic.clients[0].publications[0].instance).toMatchObject({
      ip: '10.0.0.1',
      port: 8080,
      weight: 2.5,
      healthy: false,
      clusterName: 'east',
      metadata: { version: 'v1', zone: 'a' },
      instanceId: 'custom-id',
    });
    expect(generic.clients[0].tombstones).toEqual([client().tombstones![0]]);
  });

  it('should read what the generic protobuf encoder writes', () => {
    const request = viaProtoLoader({
      clientId: '10.0.0.9:80#true',
      kind: 'ipport',
      revision: V + 3,
      publications: [
        {
          namespace: 'public',
          group: 'DEFAULT_GROUP',
          service: 'orders',
          instance: { ip: '10.0.0.9', port: 80, weight: 1, healthy: true, metadata: { k: 'v' } },
          version: V + 3,
          writer: 'b:1',
        },
      ],
      tombstones: [
        {
          namespace: 'public',
          group: 'DEFAULT_GROUP',
          service: 'pay',
          cluster: 'DEFAULT',
          ip: '10.0.0.9',
          port: 80,
          version: V + 2,
          writer: 'b:1',
        },
      ],
    });

    const [decoded] = decodeClients(decodeSyncRequest(request).items);

    expect(decoded).toMatchObject({ clientId: '10.0.0.9:80#true', kind: 'ipport', revision: V + 3, owner: undefined });
    expect(decoded.publications[0]).toMatchObject({ version: V + 3, writer: 'b:1' });
    expect(decoded.publications[0].instance).toMatchObject({ ip: '10.0.0.9', port: 80, healthy: true, enabled: false });
    expect(decoded.publications[0].instance.metadata).toEqual({ k: 'v' });
    expect(decoded.tombstones).toEqual([expect.objectContaining({ service: 'pay', version: V + 2, writer: 'b:1' })]);
  });

  it('should decode plain Uint8Array views as well as Buffers', () => {
    const bytes = encodeClientData(client());
    const framed = new Uint8Array(bytes.length + 8);
    framed.set(bytes, 4);

    const [decoded] = decodeClients([framed.subarray(4, 4 + bytes.length)]);

    expect(decoded.clientId).toBe('conn-1');
    expect(decoded.tombstones).toHaveLength(1);
  });

  it('should hand one frozen metadata object to every instance with equal metadata', () => {
    const data = client();
    data.publications[1].instance.metadata = { version: 'v1', zone: 'a' };

    const decoded = decodeOne(encodeClientData(data));

    const [first, second] = decoded.publications.map((p) => p.instance.metadata);
    expect(first).toBe(second);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('should keep a metadata key named __proto__ as data', () => {
    const data = client();
    data.publications[0].instance.metadata = JSON.parse('{"__proto__":"x","a":"b"}') as Record<string, string>;

    const metadata = decodeOne(encodeClientData(data)).publications[0].instance.metadata!;

    expect(Object.keys(metadata)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(metadata)).toBe(Object.prototype);
  });

  it('should skip fields it does not know, as protobuf requires', () => {
    const w = new ProtoWriter();
    w.string(1, 'conn-2');
    w.string(2, 'sync');
    w.uint(99, 5);
    w.string(98, 'from a newer version');
    w.double(97, 1.5);

    expect(decodeOne(w.finish())).toMatchObject({ clientId: 'conn-2', kind: 'sync', revision: 0, publications: [] });
  });

  it('should take the largest exact version, 2^53 - 1', () => {
    const max = Number.MAX_SAFE_INTEGER;

    const decoded = decodeOne(encodeClientData(client({ revision: max, floor: max, metaVersion: max })));

    expect(decoded).toMatchObject({ revision: max, floor: max, metaVersion: max });
  });

  it.each([
    ['truncated bytes', encodeClientData(client()).subarray(0, 40)],
    ['a length beyond the message', Buffer.from([0x0a, 0x7f, 0x41])],
    ['a field with the wrong wire type', Buffer.from([0x18, 0x01, 0x0a, 0x01, 0x41, 0x08, 0x01])],
    ['an unknown kind', encodeClientData(client({ kind: 'other' as ClientSyncData['kind'] }))],
    ['an empty client id', encodeClientData(client({ clientId: '' }))],
    ['a too long client id', encodeClientData(client({ clientId: 'x'.repeat(513) }))],
    ['a port out of range', encodeClientData(client({ publications: [withInstance({ port: 70000 })] }))],
    ['a weight out of range', encodeClientData(client({ publications: [withInstance({ weight: 2e6 })] }))],
    ['a publication without instance', publicationWithoutInstance()],
    ['a negative revision', negativeRevision()],
    ['a revision beyond 2^53', encodeClientData(client({ revision: 2 ** 60 }))],
    ['a publication without version', encodeClientData(client({ publications: [withVersion(undefined)] }))],
    ['a publication version beyond 2^53', encodeClientData(client({ publications: [withVersion(2 ** 53)] }))],
    ['a publication without writer', encodeClientData(client({ publications: [withVersion(V, '')] }))],
    ['a too long publication writer', encodeClientData(client({ publications: [withVersion(V, 'w'.repeat(513))] }))],
    ['a tombstone without version', encodeClientData(withTombstone({ version: 0 }))],
    ['a tombstone version beyond 2^53', encodeClientData(withTombstone({ version: 2 ** 53 + 2 }))],
    ['a tombstone without writer', encodeClientData(withTombstone({ writer: '' }))],
    ['a tombstone without ip', encodeClientData(withTombstone({ ip: '' }))],
    ['a tombstone without cluster', encodeClientData(withTombstone({ cluster: '' }))],
    ['a tombstone without service', encodeClientData(withTombstone({ service: '' }))],
    ['a tombstone port out of range', encodeClientData(withTombstone({ port: 70000 }))],
    ['a floor without writer', encodeClientData(client({ floorWriter: undefined }))],
    ['a floor beyond 2^53', encodeClientData(client({ floor: 2 ** 54 }))],
    ['an owner stamp without writer', encodeClientData(client({ metaWriter: undefined }))],
    ['an owner stamp beyond 2^53', encodeClientData(client({ metaVersion: 2 ** 55 }))],
  ])('should refuse %s with InvalidPayloadError', (_name, bytes) => {
    expect(() => decodeOne(bytes)).toThrow(InvalidPayloadError);
  });

  it('should refuse a batch in which any client is invalid', () => {
    const items = [encodeClientData(client()), encodeClientData(withTombstone({ version: 0 }))];

    expect(() => decodeClients(items)).toThrow(InvalidPayloadError);
  });
});

function withVersion(version: number | undefined, writer = 'a:1'): ClientSyncData['publications'][number] {
  return { ...client().publications[0], version, writer };
}

function publicationWithoutInstance(): Buffer {
  const w = new ProtoWriter();
  w.string(1, 'conn-3');
  w.string(2, 'connection');
  const publication = w.begin(5);
  w.string(1, 'public');
  w.uint(5, V);
  w.string(6, 'a:1');
  w.end(publication);
  return w.finish();
}

/** A revision of -1 as a sender that takes it for an int64 writes it: ten bytes, far beyond 2^53. */
function negativeRevision(): Buffer {
  const w = new ProtoWriter();
  w.string(1, 'c');
  w.string(2, 'connection');
  w.tag(3, VARINT);
  w.raw(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]));
  return w.finish();
}
