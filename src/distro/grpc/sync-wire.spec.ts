import { ProtoWriter } from '@/common/proto-wire';
import type { ClientSyncData } from '@/registry';
import { InvalidPayloadError, decodeClients, encodeClientData } from '../naming/client-data-codec';
import { distroMethods } from './distro-proto';
import {
  SyncRequests,
  decodeSnapshotChunk,
  decodeSyncRequest,
  encodeSnapshotChunk,
  encodeSyncRequest,
} from './sync-wire';

const TYPE = 'Nacos:Naming:v2:ClientData';

function client(id: string): ClientSyncData {
  return {
    clientId: id,
    kind: 'connection',
    revision: 1_000,
    owner: 'a:1',
    publications: [
      {
        namespace: 'public',
        group: 'DEFAULT_GROUP',
        service: 'orders',
        instance: { ip: '10.0.0.1', port: 80, weight: 1, healthy: true, enabled: true, ephemeral: true, metadata: {} },
        version: 1_000,
        writer: 'a:1',
      },
    ],
  };
}

describe('sync wire', () => {
  it('should frame encoded clients into a SyncRequest and hand them back as they were encoded', () => {
    const items = [encodeClientData(client('c1')), encodeClientData(client('c2'))];
    const bytes = encodeSyncRequest('a:1', TYPE, items);

    const head = decodeSyncRequest(bytes);

    expect(head).toMatchObject({ from: 'a:1', type: TYPE });
    expect(head.items).toEqual(items);
    // Views of the request, not copies.
    expect(head.items.every((item) => item.buffer === bytes.buffer)).toBe(true);
    expect(decodeClients(head.items).map((c) => c.clientId)).toEqual(['c1', 'c2']);
  });

  it("should read the sender without decoding any client, which the type's codec does after", () => {
    const bytes = encodeSyncRequest('a:1', TYPE, [Buffer.from([0xff, 0xff])]);

    const head = decodeSyncRequest(bytes);

    expect(head.from).toBe('a:1');
    expect(head.items).toHaveLength(1);
    expect(() => decodeClients(head.items)).toThrow(InvalidPayloadError);
  });

  it('should carry an empty request', () => {
    expect(decodeSyncRequest(encodeSyncRequest('a:1', TYPE, []))).toEqual({ from: 'a:1', type: TYPE, items: [] });
  });

  it('should refuse bytes that are not a message', () => {
    expect(() => decodeSyncRequest(Buffer.from([0x0a, 0x05, 0x61]))).toThrow(InvalidPayloadError);
    expect(() => decodeSyncRequest(Buffer.from([0x07]))).toThrow(InvalidPayloadError);
    // A field of the wrong wire type where the clients are.
    expect(() => decodeSyncRequest(Buffer.from([0x18, 0x01]))).toThrow(InvalidPayloadError);
  });

  it('should skip the retired deletes field (4) and fields it does not know', () => {
    const w = new ProtoWriter();
    w.string(1, 'a:1');
    w.string(2, TYPE);
    w.string(4, 'gone-1');
    w.bytes(3, encodeClientData(client('c1')));
    w.uint(99, 7);

    const head = decodeSyncRequest(w.finish());

    expect(head.from).toBe('a:1');
    expect(decodeClients(head.items).map((c) => c.clientId)).toEqual(['c1']);
  });

  it('should carry many clients in a message the generic decoder agrees with', () => {
    const clients = Array.from({ length: 300 }, (_, i) => client(`c${i}`));
    const bytes = encodeSyncRequest(
      'a:1',
      TYPE,
      clients.map((c) => encodeClientData(c)),
    );

    const generic = distroMethods.Sync.requestDeserialize(bytes) as {
      clients: Array<{ clientId: string; publications: Array<{ version: number; writer: string }> }>;
    };

    expect(generic.clients.map((c) => c.clientId)).toEqual(clients.map((c) => c.clientId));
    expect(generic.clients[0].publications[0]).toMatchObject({ version: 1_000, writer: 'a:1' });
    expect(decodeSyncRequest(bytes).items).toHaveLength(300);
  });

  it('should round-trip a snapshot chunk', () => {
    const items = [encodeClientData(client('s1')), encodeClientData(client('s2'))];
    const chunk = encodeSnapshotChunk(items);

    expect(decodeSnapshotChunk(chunk)).toEqual(items);
    expect(decodeClients(decodeSnapshotChunk(chunk)).map((c) => c.clientId)).toEqual(['s1', 's2']);
    const generic = distroMethods.Snapshot.responseDeserialize(chunk) as { clients: Array<{ clientId: string }> };
    expect(generic.clients.map((c) => c.clientId)).toEqual(['s1', 's2']);
    expect(() => decodeSnapshotChunk(Buffer.from([0x0a, 0x02, 0x08]))).toThrow(InvalidPayloadError);
  });

  it('should build one request for the same encoded items sent to several peers, and a new one for others', () => {
    const [c1, c2, c3] = ['c1', 'c2', 'c3'].map((id) => encodeClientData(client(id)));
    const sut = new SyncRequests('a:1', TYPE);

    const first = sut.request([c1, c2]);
    const again = sut.request([c1, c2]);
    const other = sut.request([c1, c3]);
    const equalBytes = sut.request([c1, Buffer.from(c3)]);

    expect(again).toBe(first);
    expect(first).toEqual(encodeSyncRequest('a:1', TYPE, [c1, c2]));
    expect(other).not.toBe(first);
    expect(decodeClients(decodeSyncRequest(other).items).map((c) => c.clientId)).toEqual(['c1', 'c3']);
    // Items are compared by identity: equal bytes in another buffer make a request of their own.
    expect(equalBytes).not.toBe(other);
    expect(equalBytes).toEqual(other);
  });
});
