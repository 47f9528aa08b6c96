import type { ClientSyncData } from '@/registry';
import { distroMethods } from '../grpc/distro-proto';
import { ProtoReader, ProtoWriter } from '@/common/proto-wire';
import { decodeSyncRequest, encodeSyncRequest } from '../grpc/sync-wire';
import { ClientDataReader, InvalidPayloadError, encodeClientData } from './client-data-codec';

const TYPE = 'Nacos:Naming:v2:ClientData';

function client(overrides: Partial<ClientSyncData> = {}): ClientSyncData {
  return {
    clientId: 'conn-1',
    kind: 'connection',
    revision: 7,
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
      },
      {
        namespace: 'dev',
        group: 'G',
        service: 'pay-ü-service-with-a-name-longer-than-forty-eight-bytes-in-utf8',
        instance: { ip: '10.0.0.2', port: 1, weight: 1, healthy: true, enabled: false, ephemeral: false, metadata: {} },
      },
    ],
    ...overrides,
  };
}

function decodeOne(bytes: Buffer): ClientSyncData {
  return new ClientDataReader().read(new ProtoReader(bytes), bytes.length);
}

/** A ClientData message built by the generic protobuf library, as another implementation would send it. */
function viaProtoLoader(wire: object): Buffer {
  const request = distroMethods.Sync.requestSerialize({ from: 'b:1', type: TYPE, upserts: [wire], deletes: [] });
  const spans = decodeSyncRequest(request);
  expect(spans.from).toBe('b:1');
  return request;
}

describe('client data codec', () => {
  it('should decode what it encodes, with absent optional fields left out', () => {
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

  it('should write bytes the generic protobuf decoder reads as the same message', () => {
    const request = encodeSyncRequest('a:1', TYPE, [encodeClientData(client())], ['gone']);
    const generic = distroMethods.Sync.requestDeserialize(request) as {
      from: string;
      upserts: Array<{ clientId: string; revision: number; publications: Array<{ instance: { metadata: object } }> }>;
      deletes: string[];
    };

    expect(generic.from).toBe('a:1');
    expect(generic.deletes).toEqual(['gone']);
    expect(generic.upserts[0]).toMatchObject({ clientId: 'conn-1', kind: 'connection', revision: 7, owner: 'a:1' });
    expect(generic.upserts[0].publications[0].instance).toMatchObject({
      ip: '10.0.0.1',
      port: 8080,
      weight: 2.5,
      healthy: false,
      clusterName: 'east',
      metadata: { version: 'v1', zone: 'a' },
      instanceId: 'custom-id',
    });
  });

  it('should read what the generic protobuf encoder writes', () => {
    const request = viaProtoLoader({
      clientId: '10.0.0.9:80#true',
      kind: 'ipport',
      revision: 3,
      publications: [
        {
          namespace: 'public',
          group: 'DEFAULT_GROUP',
          service: 'orders',
          instance: { ip: '10.0.0.9', port: 80, weight: 1, healthy: true, metadata: { k: 'v' } },
        },
      ],
    });

    const [decoded] = decodeSyncRequest(request).upserts();

    expect(decoded).toMatchObject({ clientId: '10.0.0.9:80#true', kind: 'ipport', revision: 3, owner: undefined });
    expect(decoded.publications[0].instance).toMatchObject({ ip: '10.0.0.9', port: 80, healthy: true, enabled: false });
    expect(decoded.publications[0].instance.metadata).toEqual({ k: 'v' });
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

    expect(decodeOne(w.finish())).toMatchObject({ clientId: 'conn-2', kind: 'sync', publications: [] });
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
  ])('should refuse %s with InvalidPayloadError', (_name, bytes) => {
    expect(() => decodeOne(bytes)).toThrow(InvalidPayloadError);
  });
});

function withInstance(patch: object): ClientSyncData['publications'][number] {
  const p = client().publications[0];
  return { ...p, instance: { ...p.instance, ...patch } };
}

function publicationWithoutInstance(): Buffer {
  const w = new ProtoWriter();
  w.string(1, 'conn-3');
  w.string(2, 'connection');
  const publication = w.begin(5);
  w.string(1, 'public');
  w.end(publication);
  return w.finish();
}

function negativeRevision(): Buffer {
  const request = distroMethods.Sync.requestSerialize({
    from: 'b:1',
    type: TYPE,
    upserts: [{ clientId: 'c', kind: 'connection', revision: -1 }],
  });
  const r = new ProtoReader(request);
  // Skip from and type to the first upsert's bytes.
  for (let i = 0; i < 2; i++) {
    r.tag();
    r.pos = r.delimited();
  }
  r.tag();
  const end = r.delimited();
  return request.subarray(r.pos, end);
}
