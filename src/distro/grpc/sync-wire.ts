import type { ClientSyncData } from '@/registry';
import { ClientDataReader, InvalidPayloadError } from '../naming/client-data-codec';
import { LENGTH_DELIMITED, ProtoReader, ProtoWriter, WireFormatError } from '@/common/proto-wire';

// Field numbers of SyncRequest and SnapshotChunk in proto/distro/v1/distro.proto.
const SYNC = { from: 1, type: 2, upserts: 3, deletes: 4 };
const SNAPSHOT_CLIENTS = 1;
const MAX_ID = 512;

/** A SyncRequest around clients already encoded (each once, whatever the number of peers). */
export function encodeSyncRequest(
  from: string,
  type: string,
  upserts: readonly Uint8Array[],
  deletes: readonly string[],
): Buffer {
  let size = from.length * 3 + type.length * 3 + 16;
  for (const bytes of upserts) size += bytes.length + 6;
  for (const id of deletes) size += id.length * 3 + 6;
  const w = new ProtoWriter(size);
  w.string(SYNC.from, from);
  w.string(SYNC.type, type);
  for (const bytes of upserts) w.bytes(SYNC.upserts, bytes);
  for (const id of deletes) {
    w.tag(SYNC.deletes, LENGTH_DELIMITED);
    w.rawString(id);
  }
  return w.finish();
}

/** A SyncRequest read up to its clients: the sender is checked before the clients are decoded. */
export interface SyncRequestHead {
  from: string;
  type: string;
  deletes: string[];
  /** Decodes and validates the upserts; throws InvalidPayloadError. */
  upserts(): ClientSyncData[];
}

export function decodeSyncRequest(bytes: Buffer): SyncRequestHead {
  const r = new ProtoReader(bytes);
  let from = '';
  let type = '';
  const deletes: string[] = [];
  const spans: number[] = [];
  try {
    while (!r.done) {
      const tag = r.tag();
      const field = tag >>> 3;
      if (field === SYNC.upserts) {
        r.expect(tag, LENGTH_DELIMITED);
        const end = r.delimited();
        spans.push(r.pos, end);
        r.pos = end;
      } else if (field === SYNC.from || field === SYNC.type || field === SYNC.deletes) {
        r.expect(tag, LENGTH_DELIMITED);
        const value = r.string();
        if (field === SYNC.from) from = value;
        else if (field === SYNC.type) type = value;
        else if (value.length === 0 || value.length > MAX_ID) throw new InvalidPayloadError('bad delete id');
        else deletes.push(value);
      } else {
        r.skip(tag & 7);
      }
    }
  } catch (error) {
    throw error instanceof WireFormatError ? new InvalidPayloadError(`undecodable message: ${error.message}`) : error;
  }
  return { from, type, deletes, upserts: () => readClients(bytes, spans) };
}

function readClients(bytes: Buffer, spans: readonly number[]): ClientSyncData[] {
  const reader = new ClientDataReader();
  const r = new ProtoReader(bytes);
  const out: ClientSyncData[] = [];
  for (let i = 0; i < spans.length; i += 2) {
    r.pos = spans[i];
    out.push(reader.read(r, spans[i + 1]));
  }
  return out;
}

/** A SnapshotChunk of clients already encoded. */
export function encodeSnapshotChunk(clients: readonly Uint8Array[]): Buffer {
  let size = 0;
  for (const bytes of clients) size += bytes.length + 6;
  const w = new ProtoWriter(size);
  for (const bytes of clients) w.bytes(SNAPSHOT_CLIENTS, bytes);
  return w.finish();
}

/** Decodes and validates a SnapshotChunk; throws InvalidPayloadError. */
export function decodeSnapshotChunk(bytes: Buffer): ClientSyncData[] {
  const r = new ProtoReader(bytes);
  const spans: number[] = [];
  try {
    while (!r.done) {
      const tag = r.tag();
      if (tag >>> 3 !== SNAPSHOT_CLIENTS) {
        r.skip(tag & 7);
        continue;
      }
      r.expect(tag, LENGTH_DELIMITED);
      const end = r.delimited();
      spans.push(r.pos, end);
      r.pos = end;
    }
  } catch (error) {
    throw error instanceof WireFormatError ? new InvalidPayloadError(`undecodable message: ${error.message}`) : error;
  }
  return readClients(bytes, spans);
}
