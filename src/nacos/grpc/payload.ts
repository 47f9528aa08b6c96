/** Nacos `Payload` ⇄ JSON body, with the failure modes spelled out (no throwing on bad input elsewhere). */
import { nacosProto, serviceClient } from './protos';

/** The Payload message as @grpc/proto-loader hands it over (keepCase, defaults). */
export interface WirePayload {
  metadata?: { type?: string; clientIp?: string; headers?: Record<string, string> } | null;
  body?: { type_url?: string; value?: Uint8Array | null } | null;
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
  return { metadata: { type, clientIp, headers }, body: { type_url: '', value: Buffer.from(json, 'utf8') } };
}

/** Reads type and JSON body; PayloadError when the type is missing or the body is not a JSON object. */
export function decodePayload(payload: WirePayload | null | undefined): DecodedPayload {
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

let serializer: ((value: WirePayload) => Buffer) | undefined;

/** A Payload as protobuf bytes, for writes that reuse one serialization (server pushes). */
export function serializePayload(payload: WirePayload): Buffer {
  serializer ??= serviceClient(nacosProto(), 'BiRequestStream').service.requestBiStream.responseSerialize as (
    value: WirePayload,
  ) => Buffer;
  return serializer(payload);
}
