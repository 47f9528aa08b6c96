import { LENGTH_DELIMITED, ProtoReader, ProtoWriter, WireFormatError } from '@/common/proto-wire';
import { InvalidPayloadError } from '../distro-types';

// Field numbers of SyncRequest and SnapshotChunk in proto/distro/v2/distro.proto.
const SYNC = { from: 1, type: 2, clients: 3 };
const SNAPSHOT_CLIENTS = 1;
/** A SyncRequest around clients already encoded (each once, whatever the number of peers). */
export function encodeSyncRequest(from: string, type: string, clients: readonly Uint8Array[]): Buffer {
  let size = from.length * 3 + type.length * 3 + 16;
  for (const bytes of clients) size += bytes.length + 6;
  const w = new ProtoWriter(size);
  w.string(SYNC.from, from);
  w.string(SYNC.type, type);
  for (const bytes of clients) w.bytes(SYNC.clients, bytes);
  return w.detach();
}

/**
 * The Sync request built last, handed out again for the same items. The engine encodes a client
 * once per change and gives every peer's queue the same bytes, so in a burst the peers' calls carry
 * the very same items, in the same order: their request is built once, not once per peer. Items are
 * compared by identity (encoded bytes are never changed in place); one request is kept.
 */
export class SyncRequests {
  private last: { items: readonly Uint8Array[]; bytes: Buffer } | undefined;

  constructor(
    private readonly from: string,
    private readonly type: string,
  ) {}

  request(items: readonly Uint8Array[]): Buffer {
    const last = this.last;
    if (last !== undefined && sameItems(last.items, items)) return last.bytes;
    const bytes = encodeSyncRequest(this.from, this.type, items);
    this.last = { items, bytes };
    return bytes;
  }
}

function sameItems(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A SyncRequest read up to its clients: the sender is checked before the clients are decoded. */
export interface SyncRequestHead {
  from: string;
  type: string;
  /** The items, each one message of the resource type's own codec (views of the request's bytes). */
  items: Buffer[];
}

export function decodeSyncRequest(bytes: Buffer): SyncRequestHead {
  const r = new ProtoReader(bytes);
  let from = '';
  let type = '';
  const spans: number[] = [];
  try {
    while (!r.done) {
      const tag = r.tag();
      const field = tag >>> 3;
      if (field === SYNC.clients) {
        r.expect(tag, LENGTH_DELIMITED);
        const end = r.delimited();
        spans.push(r.pos, end);
        r.pos = end;
      } else if (field === SYNC.from || field === SYNC.type) {
        r.expect(tag, LENGTH_DELIMITED);
        const value = r.string();
        if (field === SYNC.from) from = value;
        else type = value;
      } else {
        r.skip(tag & 7);
      }
    }
  } catch (error) {
    throw error instanceof WireFormatError ? new InvalidPayloadError(`undecodable message: ${error.message}`) : error;
  }
  return { from, type, items: views(bytes, spans) };
}

function views(bytes: Buffer, spans: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < spans.length; i += 2) out.push(bytes.subarray(spans[i], spans[i + 1]));
  return out;
}

/** A SnapshotChunk of clients already encoded. */
export function encodeSnapshotChunk(clients: readonly Uint8Array[]): Buffer {
  let size = 0;
  for (const bytes of clients) size += bytes.length + 6;
  const w = new ProtoWriter(size);
  for (const bytes of clients) w.bytes(SNAPSHOT_CLIENTS, bytes);
  return w.detach();
}

/** Splits a SnapshotChunk into its items (views of `bytes`); throws InvalidPayloadError. */
export function decodeSnapshotChunk(bytes: Buffer): Buffer[] {
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
  return views(bytes, spans);
}
