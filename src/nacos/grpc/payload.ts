/** Nacos `Payload` ⇄ JSON body, with the failure modes spelled out (no throwing on bad input elsewhere). */
import * as grpc from '@grpc/grpc-js';
import { LENGTH_DELIMITED, ProtoReader, ProtoWriter, WireFormatError, varintSize } from '@/common/proto-wire';

/** The Payload message as read by `deserializePayload` (the shape @grpc/proto-loader gives it too, keepCase). */
export interface WirePayload {
  metadata?: { type?: string; clientIp?: string; headers?: Record<string, string> } | null;
  body?: { type_url?: string; value?: Uint8Array | null } | null;
  /** Set by `deserializePayload` when the bytes were not a Payload: why (decodePayload then refuses it). */
  malformed?: string;
}

export interface DecodedPayload {
  type: string;
  clientIp: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export class PayloadError extends Error {
  constructor(
    message: string,
    /** The type named in the metadata, when it could be read. */
    readonly type: string,
  ) {
    super(message);
    this.name = 'PayloadError';
  }
}

/**
 * A Payload whose body is still JSON text. `serializePayload` writes the text straight into the
 * message; a generic protobuf library reads `body` as usual (made on first use).
 */
class JsonPayload implements WirePayload {
  private bytes?: { type_url: string; value: Buffer };

  constructor(
    readonly metadata: { type: string; clientIp: string; headers: Record<string, string> },
    readonly json: string,
  ) {}

  get body(): { type_url: string; value: Buffer } {
    this.bytes ??= { type_url: '', value: Buffer.from(this.json, 'utf8') };
    return this.bytes;
  }
}

/** Builds a Payload whose body is the JSON of `body`. */
export function encodePayload(
  type: string,
  body: object,
  headers: Record<string, string> = {},
  clientIp = '',
): WirePayload {
  return encodeJson(type, JSON.stringify(body), headers, clientIp);
}

/** Same as encodePayload with a body already serialized (pushes serialize once per service). */
export function encodeJson(
  type: string,
  json: string,
  headers: Record<string, string> = {},
  clientIp = '',
): WirePayload {
  return new JsonPayload({ type, clientIp, headers }, json);
}

/** Reads type and JSON body; PayloadError when the type is missing or the body is not a JSON object. */
export function decodePayload(payload: WirePayload | null | undefined): DecodedPayload {
  if (payload?.malformed !== undefined) throw new PayloadError(`not a Nacos Payload message: ${payload.malformed}`, '');
  const type = payload?.metadata?.type ?? '';
  if (!type) throw new PayloadError('payload has no metadata.type', '');
  const value = payload?.body?.value;
  let body: unknown = {};
  if (value && value.length > 0) {
    try {
      body = JSON.parse(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8'));
    } catch {
      throw new PayloadError(`body of ${type} is not valid JSON`, type);
    }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new PayloadError(`body of ${type} is not a JSON object`, type);
  }
  const headers = payload?.metadata?.headers ?? {};
  return { type, clientIp: payload?.metadata?.clientIp ?? '', headers, body: body as Record<string, unknown> };
}

/** Reused for the fields before the body; a message is written whole before the next starts. */
const head = new ProtoWriter(512);

/**
 * A Payload as protobuf bytes (`metadata` = 2, `body` = 3 as in nacos_grpc_service.proto), sized
 * once: the JSON text of a body is written into the message, not copied through a Buffer of its
 * own first. A Buffer passes through: it is a Payload serialized before (a push written to many
 * connections is serialized once).
 */
export function serializePayload(payload: WirePayload | Buffer): Buffer {
  if (Buffer.isBuffer(payload)) return payload;
  head.reset();
  const metadata = payload.metadata;
  if (metadata) {
    const at = head.begin(2);
    // In field-number order, as protobuf encoders write them.
    head.string(3, metadata.type ?? '');
    const headers = metadata.headers;
    if (headers) {
      for (const key of Object.keys(headers)) {
        const entry = head.begin(7);
        head.string(1, key);
        head.string(2, String(headers[key]));
        head.end(entry);
      }
    }
    head.string(8, metadata.clientIp ?? '');
    head.end(at);
  }
  const json = payload instanceof JsonPayload ? payload.json : undefined;
  const body = json === undefined ? payload.body : undefined;
  const value = body?.value ?? undefined;
  const valueBytes = json !== undefined ? Buffer.byteLength(json, 'utf8') : (value?.length ?? 0);
  if (json !== undefined || body) {
    const typeUrl = body?.type_url ?? '';
    const typeUrlBytes = typeUrl.length === 0 ? 0 : Buffer.byteLength(typeUrl, 'utf8');
    const inner =
      (typeUrlBytes === 0 ? 0 : 1 + varintSize(typeUrlBytes) + typeUrlBytes) +
      (valueBytes === 0 ? 0 : 1 + varintSize(valueBytes) + valueBytes);
    head.tag(3, LENGTH_DELIMITED);
    head.varint(inner);
    head.string(1, typeUrl);
    if (valueBytes > 0) {
      head.tag(2, LENGTH_DELIMITED);
      head.varint(valueBytes);
    }
  }
  const out = Buffer.allocUnsafe(head.length + valueBytes);
  head.copyTo(out);
  if (json !== undefined) out.write(json, head.length, 'utf8');
  else if (value) out.set(value, head.length);
  return out;
}

const NO_BYTES = Buffer.alloc(0);

/**
 * Reads a Payload from protobuf bytes; the body's value is a view of `bytes`, not a copy. Unknown
 * fields are skipped, as protobuf requires. Bytes that are not a Payload give one marked
 * `malformed` rather than a throw: grpc-js would answer a throwing deserializer with a bare
 * INTERNAL, where the server answers a Nacos ParseError (and the client reports the same).
 */
export function deserializePayload(bytes: Buffer): WirePayload {
  try {
    return readPayload(bytes);
  } catch (err) {
    if (err instanceof WireFormatError) return { metadata: null, body: null, malformed: err.message };
    throw err;
  }
}

type ReadMetadata = { type: string; clientIp: string; headers: Record<string, string> };
type ReadBody = { type_url: string; value: Buffer };

function readPayload(bytes: Buffer): WirePayload {
  const reader = new ProtoReader(bytes);
  let metadata: ReadMetadata | null = null;
  let body: ReadBody | null = null;
  while (!reader.done) {
    const tag = reader.tag();
    if (tag >>> 3 === 2) {
      reader.expect(tag, LENGTH_DELIMITED);
      // A repeated message field merges into what came before, as protobuf requires.
      metadata = readMetadata(
        reader,
        metadata ?? { type: '', clientIp: '', headers: Object.create(null) as Record<string, string> },
      );
    } else if (tag >>> 3 === 3) {
      reader.expect(tag, LENGTH_DELIMITED);
      body = readBody(reader, body ?? { type_url: '', value: NO_BYTES });
    } else reader.skip(tag & 7);
  }
  return { metadata, body };
}

/** `Metadata`: type = 3, headers = 7 (a string map, kept as data even for a key `__proto__`), clientIp = 8. */
function readMetadata(reader: ProtoReader, into: ReadMetadata): ReadMetadata {
  const outer = reader.enter();
  while (!reader.done) {
    const tag = reader.tag();
    const field = tag >>> 3;
    if (field === 3 || field === 7 || field === 8) reader.expect(tag, LENGTH_DELIMITED);
    if (field === 3) into.type = reader.string();
    else if (field === 8) into.clientIp = reader.string();
    else if (field === 7) {
      const [key, value] = reader.stringEntry();
      into.headers[key] = value;
    } else reader.skip(tag & 7);
  }
  reader.leave(outer);
  return into;
}

/** `google.protobuf.Any`: type_url = 1, value = 2 (a view of the received bytes). */
function readBody(reader: ProtoReader, into: ReadBody): ReadBody {
  const outer = reader.enter();
  while (!reader.done) {
    const tag = reader.tag();
    const field = tag >>> 3;
    if (field === 1 || field === 2) reader.expect(tag, LENGTH_DELIMITED);
    if (field === 1) into.type_url = reader.uniqueString();
    else if (field === 2) {
      const end = reader.delimited();
      into.value = reader.buf.subarray(reader.pos, end);
      reader.pos = end;
    } else reader.skip(tag & 7);
  }
  reader.leave(outer);
  return into;
}

function payloadMethod(path: string, streams: boolean): grpc.MethodDefinition<WirePayload | Buffer, WirePayload> {
  return {
    path,
    requestStream: streams,
    responseStream: streams,
    requestSerialize: serializePayload,
    requestDeserialize: deserializePayload,
    responseSerialize: serializePayload,
    responseDeserialize: deserializePayload,
  };
}

/**
 * The two services of the Nacos client protocol with the Payload codec above (the .proto has no
 * package, so the paths are `/Request/request` and `/BiRequestStream/requestBiStream`). Either side
 * may send a Buffer holding a Payload serialized before.
 */
export const NACOS_REQUEST_SERVICE = { request: payloadMethod('/Request/request', false) };
export const NACOS_STREAM_SERVICE = { requestBiStream: payloadMethod('/BiRequestStream/requestBiStream', true) };

/** A client stub of `/Request/request`. */
export type NacosRequestStub = grpc.Client & {
  request(
    payload: WirePayload,
    options: grpc.CallOptions,
    callback: (err: grpc.ServiceError | null, response?: WirePayload) => void,
  ): grpc.ClientUnaryCall;
};

/** A client stub of `/BiRequestStream/requestBiStream`. */
export type NacosStreamStub = grpc.Client & {
  requestBiStream(options?: grpc.CallOptions): grpc.ClientDuplexStream<WirePayload, WirePayload>;
};

type StubConstructor<T> = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ChannelOptions,
) => T;

/** Stub constructors of the two Nacos services, with the Payload codec above. */
export const NacosRequestClient = grpc.makeGenericClientConstructor(
  NACOS_REQUEST_SERVICE,
  'Request',
) as unknown as StubConstructor<NacosRequestStub>;
export const NacosStreamClient = grpc.makeGenericClientConstructor(
  NACOS_STREAM_SERVICE,
  'BiRequestStream',
) as unknown as StubConstructor<NacosStreamStub>;
