import type { ClientSyncData } from '@/registry';
import { InvalidPayloadError, encodeClientData } from '../naming/client-data-codec';
import { distroMethods } from './distro-proto';
import { decodeSnapshotChunk, decodeSyncRequest, encodeSnapshotChunk, encodeSyncRequest } from './sync-wire';

const TYPE = 'Nacos:Naming:v2:ClientData';

function client(id: string): ClientSyncData {
  return {
    clientId: id,
    kind: 'connection',
    revision: 1,
    owner: 'a:1',
    publications: [
      {
        namespace: 'public',
        group: 'DEFAULT_GROUP',
        service: 'orders',
        instance: { ip: '10.0.0.1', port: 80, weight: 1, healthy: true, enabled: true, ephemeral: true, metadata: {} },
      },
    ],
  };
}

describe('sync wire', () => {
  it('should frame encoded clients and deletes into a SyncRequest and read them back', () => {
    const bytes = encodeSyncRequest(
      'a:1',
      TYPE,
      [encodeClientData(client('c1')), encodeClientData(client('c2'))],
      ['gone-1', 'gone-2'],
    );

    const head = decodeSyncRequest(bytes);

    expect(head).toMatchObject({ from: 'a:1', type: TYPE, deletes: ['gone-1', 'gone-2'] });
    expect(head.upserts().map((c) => c.clientId)).toEqual(['c1', 'c2']);
  });

  it('should read the sender before decoding any client', () => {
    const bytes = encodeSyncRequest('a:1', TYPE, [Buffer.from([0xff, 0xff])], []);

    const head = decodeSyncRequest(bytes);

    expect(head.from).toBe('a:1');
    expect(() => head.upserts()).toThrow(InvalidPayloadError);
  });

  it('should refuse an empty delete id and bytes that are not a message', () => {
    expect(() => decodeSyncRequest(encodeSyncRequest('a:1', TYPE, [], ['']))).toThrow(InvalidPayloadError);
    expect(() => decodeSyncRequest(Buffer.from([0x0a, 0x05, 0x61]))).toThrow(InvalidPayloadError);
    expect(() => decodeSyncRequest(Buffer.from([0x07]))).toThrow(InvalidPayloadError);
  });

  it('should carry many clients in a message the generic decoder agrees with', () => {
    const clients = Array.from({ length: 300 }, (_, i) => client(`c${i}`));
    const bytes = encodeSyncRequest(
      'a:1',
      TYPE,
      clients.map((c) => encodeClientData(c)),
      [],
    );

    const generic = distroMethods.Sync.requestDeserialize(bytes) as { upserts: Array<{ clientId: string }> };

    expect(generic.upserts.map((c) => c.clientId)).toEqual(clients.map((c) => c.clientId));
    expect(decodeSyncRequest(bytes).upserts()).toHaveLength(300);
  });

  it('should round-trip a snapshot chunk', () => {
    const chunk = encodeSnapshotChunk([encodeClientData(client('s1')), encodeClientData(client('s2'))]);

    expect(decodeSnapshotChunk(chunk).map((c) => c.clientId)).toEqual(['s1', 's2']);
    expect(() => decodeSnapshotChunk(Buffer.from([0x0a, 0x02, 0x08]))).toThrow(InvalidPayloadError);
  });
});
