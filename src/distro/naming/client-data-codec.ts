import { isVersion } from '@/registry';
import type { ClientKind, ClientSyncData, InstanceInput, PublicationData, TombstoneData } from '@/registry';
import { FIXED64, LENGTH_DELIMITED, ProtoReader, ProtoWriter, VARINT, WireFormatError } from '@/common/proto-wire';

import { InvalidPayloadError } from '../distro-types';

export { InvalidPayloadError };

const KINDS: ReadonlySet<string> = new Set<ClientKind>(['ipport', 'connection', 'sync']);
const LIMITS = {
  id: 512,
  name: 512,
  ip: 128,
  metaEntries: 256,
  metaValue: 8192,
  publications: 100_000,
  tombstones: 200_000,
};

/** Where a field sits (`client <id>`), and its name: joined only for an error message, never per valid field. */
function label(at: string, field: string): string {
  return at === '' ? field : `${at} ${field}`;
}

function text(value: string, at: string, field: string, max: number, allowEmpty = false): string {
  if ((!allowEmpty && value.length === 0) || value.length > max) {
    throw new InvalidPayloadError(`${label(at, field)} must be a string of 1-${max} characters`);
  }
  return value;
}

function num(value: number, at: string, field: string, min: number, max: number): number {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new InvalidPayloadError(`${label(at, field)} must be a number ${min}-${max}`);
  }
  return value;
}

/** A version as a peer must send it (version.ts); `optional`: 0 stands for none. */
function version(value: number, at: string, field: string, optional = false): number {
  if ((optional && value === 0) || isVersion(value)) return value;
  throw new InvalidPayloadError(`${label(at, field)} must be a version (a positive integer below 2^53)`);
}

// Field numbers of proto/distro/v2/distro.proto.
const CLIENT = {
  id: 1,
  kind: 2,
  revision: 3,
  owner: 4,
  publications: 5,
  expiresAt: 6,
  tombstones: 7,
  floor: 8,
  floorWriter: 9,
  metaVersion: 10,
  metaWriter: 11,
};
const PUBLICATION = { namespace: 1, group: 2, service: 3, instance: 4, version: 5, writer: 6 };
const TOMBSTONE = { namespace: 1, group: 2, service: 3, cluster: 4, ip: 5, port: 6, version: 7, writer: 8 };
const INSTANCE = {
  ip: 1,
  port: 2,
  weight: 3,
  healthy: 4,
  enabled: 5,
  ephemeral: 6,
  clusterName: 7,
  metadata: 8,
  instanceId: 9,
};

/** Writes one `ClientData` message body (the registry's replication form) into `w`. */
function writeClientData(w: ProtoWriter, data: ClientSyncData): void {
  w.string(CLIENT.id, data.clientId);
  w.string(CLIENT.kind, data.kind);
  w.uint(CLIENT.revision, data.revision);
  w.string(CLIENT.owner, data.owner ?? '');
  for (const p of data.publications) {
    const publication = w.begin(CLIENT.publications);
    w.string(PUBLICATION.namespace, p.namespace);
    w.string(PUBLICATION.group, p.group);
    w.string(PUBLICATION.service, p.service);
    const instance = w.begin(PUBLICATION.instance);
    writeInstance(w, p.instance);
    w.end(instance);
    w.uint(PUBLICATION.version, p.version ?? 0);
    w.string(PUBLICATION.writer, p.writer ?? '');
    w.end(publication);
  }
  w.uint(CLIENT.expiresAt, data.expiresAt ?? 0);
  for (const t of data.tombstones ?? []) {
    const tombstone = w.begin(CLIENT.tombstones);
    w.string(TOMBSTONE.namespace, t.namespace);
    w.string(TOMBSTONE.group, t.group);
    w.string(TOMBSTONE.service, t.service);
    w.string(TOMBSTONE.cluster, t.cluster);
    w.string(TOMBSTONE.ip, t.ip);
    w.uint(TOMBSTONE.port, t.port);
    w.uint(TOMBSTONE.version, t.version);
    w.string(TOMBSTONE.writer, t.writer);
    w.end(tombstone);
  }
  w.uint(CLIENT.floor, data.floor ?? 0);
  w.string(CLIENT.floorWriter, data.floorWriter ?? '');
  w.uint(CLIENT.metaVersion, data.metaVersion ?? 0);
  w.string(CLIENT.metaWriter, data.metaWriter ?? '');
}

/**
 * Encoded map entries of frozen metadata objects. The registry shares one frozen object among all
 * instances with equal metadata, so most instances reuse bytes encoded once.
 */
const metadataBytes = new WeakMap<object, Buffer>();

function writeMetadata(w: ProtoWriter, metadata: Readonly<Record<string, string>>): void {
  const frozen = Object.isFrozen(metadata);
  const known = frozen ? metadataBytes.get(metadata) : undefined;
  if (known !== undefined) {
    w.raw(known);
    return;
  }
  const own = frozen ? new ProtoWriter(64) : w;
  for (const key of Object.keys(metadata)) {
    const entry = own.begin(INSTANCE.metadata);
    own.tag(1, LENGTH_DELIMITED);
    own.rawString(key);
    own.tag(2, LENGTH_DELIMITED);
    own.rawString(metadata[key]);
    own.end(entry);
  }
  if (own === w) return;
  const bytes = own.finish();
  metadataBytes.set(metadata, bytes);
  w.raw(bytes);
}

function writeInstance(w: ProtoWriter, i: InstanceInput): void {
  w.string(INSTANCE.ip, i.ip);
  w.uint(INSTANCE.port, i.port);
  w.double(INSTANCE.weight, i.weight ?? 1);
  w.bool(INSTANCE.healthy, i.healthy ?? true);
  w.bool(INSTANCE.enabled, i.enabled ?? true);
  w.bool(INSTANCE.ephemeral, i.ephemeral ?? true);
  w.string(INSTANCE.clusterName, i.clusterName ?? '');
  if (i.metadata) writeMetadata(w, i.metadata);
  w.string(INSTANCE.instanceId, i.instanceId ?? '');
}

/** One client's `ClientData` bytes: encoded once per change and shared by every peer's calls. */
export function encodeClientData(data: ClientSyncData, scratch = new ProtoWriter()): Buffer {
  writeClientData(scratch.reset(), data);
  return scratch.finish();
}

/**
 * Reads `ClientData` messages into registry client data, validating every field as it goes; any
 * violation (or bytes that are not protobuf at all) throws InvalidPayloadError. One reader per
 * message: it hands one frozen object to every instance with equal metadata (most carry the same
 * few entries), which the registry can recognise instead of copying.
 */
export class ClientDataReader {
  private readonly metadataSeen = new Map<string, Readonly<Record<string, string>>>();
  /** The metadata read last and its bytes (a copy: the message's buffer is not kept). */
  private lastMetadata: { bytes: Buffer; value: Readonly<Record<string, string>> } | undefined;

  /** Decodes the `ClientData` between `r.pos` and `end`; leaves `r` at `end`. */
  read(r: ProtoReader, end: number): ClientSyncData {
    const outer = r.end;
    r.end = end;
    try {
      return this.client(r);
    } catch (error) {
      if (error instanceof WireFormatError) throw new InvalidPayloadError(`undecodable client data: ${error.message}`);
      throw error;
    } finally {
      r.pos = end;
      r.end = outer;
    }
  }

  private client(r: ProtoReader): ClientSyncData {
    let clientId = '';
    let kind = '';
    let revision = 0;
    let owner = '';
    let expiresAt = 0;
    let floor = 0;
    let floorWriter = '';
    let metaVersion = 0;
    let metaWriter = '';
    const publications: PublicationData[] = [];
    const tombstones: TombstoneData[] = [];
    /** Error context of the publications, built once per client. */
    let at: string | undefined;
    while (!r.done) {
      const tag = r.tag();
      switch (tag >>> 3) {
        case CLIENT.id:
          r.expect(tag, LENGTH_DELIMITED);
          clientId = r.uniqueString();
          break;
        case CLIENT.kind:
          r.expect(tag, LENGTH_DELIMITED);
          kind = r.string();
          break;
        case CLIENT.revision:
          r.expect(tag, VARINT);
          revision = r.varint();
          break;
        case CLIENT.owner:
          r.expect(tag, LENGTH_DELIMITED);
          owner = r.string();
          break;
        case CLIENT.publications: {
          r.expect(tag, LENGTH_DELIMITED);
          if (publications.length >= LIMITS.publications) {
            throw new InvalidPayloadError(
              `client ${clientId}: publications must be a list of at most ${LIMITS.publications}`,
            );
          }
          const outer = r.enter();
          at ??= `client ${clientId}`;
          publications.push(this.publication(r, at));
          r.leave(outer);
          break;
        }
        case CLIENT.expiresAt:
          r.expect(tag, VARINT);
          expiresAt = r.varint();
          break;
        case CLIENT.tombstones: {
          r.expect(tag, LENGTH_DELIMITED);
          if (tombstones.length >= LIMITS.tombstones) {
            throw new InvalidPayloadError(
              `client ${clientId}: tombstones must be a list of at most ${LIMITS.tombstones}`,
            );
          }
          const outer = r.enter();
          at ??= `client ${clientId}`;
          tombstones.push(this.tombstone(r, at));
          r.leave(outer);
          break;
        }
        case CLIENT.floor:
          r.expect(tag, VARINT);
          floor = r.varint();
          break;
        case CLIENT.floorWriter:
          r.expect(tag, LENGTH_DELIMITED);
          floorWriter = r.string();
          break;
        case CLIENT.metaVersion:
          r.expect(tag, VARINT);
          metaVersion = r.varint();
          break;
        case CLIENT.metaWriter:
          r.expect(tag, LENGTH_DELIMITED);
          metaWriter = r.string();
          break;
        default:
          r.skip(tag & 7);
      }
    }
    text(clientId, '', 'clientId', LIMITS.id);
    if (!KINDS.has(kind)) throw new InvalidPayloadError(`client ${clientId}: unknown kind "${kind}"`);
    text(owner, '', 'owner', LIMITS.id, true);
    const data: ClientSyncData = {
      clientId,
      kind: kind as ClientKind,
      revision: version(revision, clientId, 'revision', true),
      owner: owner || undefined,
      expiresAt: expiresAt || undefined,
      publications,
    };
    if (tombstones.length > 0) data.tombstones = tombstones;
    if (floor !== 0) {
      data.floor = version(floor, clientId, 'floor');
      data.floorWriter = text(floorWriter, clientId, 'floorWriter', LIMITS.id);
    }
    if (metaVersion !== 0) {
      data.metaVersion = version(metaVersion, clientId, 'metaVersion');
      data.metaWriter = text(metaWriter, clientId, 'metaWriter', LIMITS.id);
    }
    return data;
  }

  private tombstone(r: ProtoReader, at: string): TombstoneData {
    const t = { namespace: '', group: '', service: '', cluster: '', ip: '', port: 0, version: 0, writer: '' };
    while (!r.done) {
      const tag = r.tag();
      const field = tag >>> 3;
      if (field === TOMBSTONE.port || field === TOMBSTONE.version) {
        r.expect(tag, VARINT);
        if (field === TOMBSTONE.port) t.port = r.varint();
        else t.version = r.varint();
        continue;
      }
      if (field < TOMBSTONE.namespace || field > TOMBSTONE.writer) {
        r.skip(tag & 7);
        continue;
      }
      r.expect(tag, LENGTH_DELIMITED);
      const value = r.string();
      if (field === TOMBSTONE.namespace) t.namespace = value;
      else if (field === TOMBSTONE.group) t.group = value;
      else if (field === TOMBSTONE.service) t.service = value;
      else if (field === TOMBSTONE.cluster) t.cluster = value;
      else if (field === TOMBSTONE.ip) t.ip = value;
      else t.writer = value;
    }
    text(t.namespace, at, 'tombstone namespace', LIMITS.name);
    text(t.group, at, 'tombstone group', LIMITS.name);
    text(t.service, at, 'tombstone service', LIMITS.name);
    text(t.cluster, at, 'tombstone cluster', LIMITS.name);
    text(t.ip, at, 'tombstone ip', LIMITS.ip);
    num(t.port, at, 'tombstone port', 0, 65535);
    version(t.version, at, 'tombstone version');
    text(t.writer, at, 'tombstone writer', LIMITS.id);
    return t;
  }

  private publication(r: ProtoReader, at: string): PublicationData {
    let namespace = '';
    let group = '';
    let service = '';
    let instance: InstanceInput | undefined;
    let stamp = 0;
    let writer = '';
    while (!r.done) {
      const tag = r.tag();
      switch (tag >>> 3) {
        case PUBLICATION.namespace:
          r.expect(tag, LENGTH_DELIMITED);
          namespace = r.string();
          break;
        case PUBLICATION.group:
          r.expect(tag, LENGTH_DELIMITED);
          group = r.string();
          break;
        case PUBLICATION.service:
          r.expect(tag, LENGTH_DELIMITED);
          service = r.string();
          break;
        case PUBLICATION.instance: {
          r.expect(tag, LENGTH_DELIMITED);
          const outer = r.enter();
          instance = this.instance(r, at);
          r.leave(outer);
          break;
        }
        case PUBLICATION.version:
          r.expect(tag, VARINT);
          stamp = r.varint();
          break;
        case PUBLICATION.writer:
          r.expect(tag, LENGTH_DELIMITED);
          // Every publication of a batch names one of a few nodes: interned by the reader.
          writer = r.string();
          break;
        default:
          r.skip(tag & 7);
      }
    }
    if (!instance) throw new InvalidPayloadError(`${at}: publication without instance`);
    return {
      namespace: text(namespace, at, 'namespace', LIMITS.name),
      group: text(group, at, 'group', LIMITS.name),
      service: text(service, at, 'service', LIMITS.name),
      instance,
      version: version(stamp, at, 'publication version'),
      writer: text(writer, at, 'publication writer', LIMITS.id),
    };
  }

  private instance(r: ProtoReader, at: string): InstanceInput {
    let ip = '';
    let port = 0;
    let weight = 0;
    let healthy = false;
    let enabled = false;
    let ephemeral = false;
    let clusterName = '';
    let instanceId = '';
    // Map entries normally sit side by side; that byte run is the key under which equal metadata is shared.
    let metaStart = -1;
    let metaEnd = -1;
    let metaSplit = false;
    while (!r.done) {
      const fieldStart = r.pos;
      const tag = r.tag();
      switch (tag >>> 3) {
        case INSTANCE.ip:
          r.expect(tag, LENGTH_DELIMITED);
          // Addresses rarely repeat within a message: interning them would only evict the names that do.
          ip = r.uniqueString();
          break;
        case INSTANCE.port:
          r.expect(tag, VARINT);
          port = r.varint();
          break;
        case INSTANCE.weight:
          r.expect(tag, FIXED64);
          weight = r.double();
          break;
        case INSTANCE.healthy:
          r.expect(tag, VARINT);
          healthy = r.varint() !== 0;
          break;
        case INSTANCE.enabled:
          r.expect(tag, VARINT);
          enabled = r.varint() !== 0;
          break;
        case INSTANCE.ephemeral:
          r.expect(tag, VARINT);
          ephemeral = r.varint() !== 0;
          break;
        case INSTANCE.clusterName:
          r.expect(tag, LENGTH_DELIMITED);
          clusterName = r.string();
          break;
        case INSTANCE.metadata:
          r.expect(tag, LENGTH_DELIMITED);
          r.pos = r.delimited();
          if (metaStart < 0) metaStart = fieldStart;
          else if (metaEnd !== fieldStart) metaSplit = true;
          metaEnd = r.pos;
          break;
        case INSTANCE.instanceId:
          r.expect(tag, LENGTH_DELIMITED);
          instanceId = r.string();
          break;
        default:
          r.skip(tag & 7);
      }
    }
    const metadata = metaStart < 0 ? {} : this.metadata(r, metaStart, metaEnd, metaSplit, at);
    return {
      ip: text(ip, at, 'ip', LIMITS.ip),
      port: num(port, at, 'port', 0, 65535),
      weight: num(weight, at, 'weight', 0, 1_000_000),
      healthy,
      enabled,
      ephemeral,
      clusterName: text(clusterName, at, 'clusterName', LIMITS.name, true) || undefined,
      metadata,
      instanceId: text(instanceId, at, 'instanceId', LIMITS.id, true) || undefined,
    };
  }

  /** The map entries between `start` and `end` (other fields among them when `split`), validated. */
  private metadata(
    outer: ProtoReader,
    start: number,
    end: number,
    split: boolean,
    at: string,
  ): Readonly<Record<string, string>> {
    const buf = outer.buf;
    // Most instances carry the bytes of the one before: compared in place, no signature string.
    const last = this.lastMetadata;
    if (!split && last !== undefined && last.bytes.length === end - start) {
      let same = true;
      for (let i = 0; i < last.bytes.length && same; i++) same = last.bytes[i] === buf[start + i];
      if (same) return last.value;
    }
    const signature = split ? undefined : buf.toString('latin1', start, end);
    const seen = signature === undefined ? undefined : this.metadataSeen.get(signature);
    if (seen !== undefined) {
      this.lastMetadata = { bytes: Buffer.from(buf.subarray(start, end)), value: seen };
      return seen;
    }
    const entries: Array<[string, string]> = [];
    const r = new ProtoReader(outer.buf, start, end);
    while (!r.done) {
      const tag = r.tag();
      if (tag >>> 3 !== INSTANCE.metadata) {
        r.skip(tag & 7);
        continue;
      }
      r.expect(tag, LENGTH_DELIMITED);
      const [key, value] = r.stringEntry();
      entries.push([
        text(key, at, 'metadata key', LIMITS.name),
        text(value, at, 'metadata value', LIMITS.metaValue, true),
      ]);
      if (entries.length > LIMITS.metaEntries) throw new InvalidPayloadError(`${at}: too many metadata entries`);
    }
    // fromEntries defines own properties (a key `__proto__` stays data); a repeated key keeps its last value.
    const metadata = Object.freeze(Object.fromEntries(entries));
    if (signature !== undefined) {
      this.metadataSeen.set(signature, metadata);
      this.lastMetadata = { bytes: Buffer.from(buf.subarray(start, end)), value: metadata };
    }
    return metadata;
  }
}

/** Decodes clients a peer sent (each one `ClientData` message); throws InvalidPayloadError. */
export function decodeClients(items: readonly Uint8Array[]): ClientSyncData[] {
  const reader = new ClientDataReader();
  const out = new Array<ClientSyncData>(items.length);
  for (let i = 0; i < items.length; i++) {
    const bytes = items[i];
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    out[i] = reader.read(new ProtoReader(buf), buf.length);
  }
  return out;
}
