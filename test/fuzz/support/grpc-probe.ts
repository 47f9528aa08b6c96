import * as grpc from '@grpc/grpc-js';
import { REQUEST_TIMEOUT_MS } from './http-probe';

export interface GrpcAnswer {
  code: grpc.status;
  details: string;
  /** Response messages (raw bytes) and trailing metadata, as text for the secret search. */
  text: string;
  messages: Buffer[];
  ms: number;
}

const identity = (b: Buffer): Buffer => b;

/** Metadata carrying `authorization`, or nothing. */
export function bearer(token: string | null): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (token !== null) metadata.set('authorization', token);
  return metadata;
}

function describe(metadata: grpc.Metadata | undefined): string {
  return metadata ? JSON.stringify(metadata.toJSON()) : '';
}

/** A unary call with bytes as they are, under the 5 s limit (DEADLINE_EXCEEDED = a hang). */
export function unaryRaw(
  client: grpc.Client,
  path: string,
  bytes: Buffer,
  metadata: grpc.Metadata,
): Promise<GrpcAnswer> {
  const started = Date.now();
  return new Promise((resolve) => {
    let trailers: grpc.Metadata | undefined;
    const call = client.makeUnaryRequest(
      path,
      identity,
      identity,
      bytes,
      metadata,
      { deadline: Date.now() + REQUEST_TIMEOUT_MS },
      (err, response) => {
        const messages = response ? [response] : [];
        resolve({
          code: err ? err.code : grpc.status.OK,
          details: err?.details ?? '',
          text: `${messages.map((m) => m.toString('latin1')).join('\n')}\n${describe(trailers ?? err?.metadata)}`,
          messages,
          ms: Date.now() - started,
        });
      },
    );
    call.on('status', (status: grpc.StatusObject) => (trailers = status.metadata));
  });
}

/**
 * A server-streaming call: reads for `readMs` (a watch never ends by itself), then cancels. A
 * CANCELLED status is ours; any other status is the server's answer.
 */
export function streamRaw(
  client: grpc.Client,
  path: string,
  bytes: Buffer,
  metadata: grpc.Metadata,
  readMs: number,
): Promise<GrpcAnswer> {
  const started = Date.now();
  return new Promise((resolve) => {
    const messages: Buffer[] = [];
    const call = client.makeServerStreamRequest(path, identity, identity, bytes, metadata, {
      deadline: Date.now() + REQUEST_TIMEOUT_MS,
    });
    const timer = setTimeout(() => call.cancel(), readMs);
    call.on('data', (m: Buffer) => messages.push(m));
    call.on('error', () => undefined);
    call.on('status', (status: grpc.StatusObject) => {
      clearTimeout(timer);
      resolve({
        code: status.code,
        details: status.details,
        text: `${messages.map((m) => m.toString('latin1')).join('\n')}\n${describe(status.metadata)}`,
        messages,
        ms: Date.now() - started,
      });
    });
  });
}

/** Statuses no input may cause: the server's own failure, or no answer in time. */
export function grpcFailure(code: grpc.status): string | undefined {
  if (code === grpc.status.INTERNAL) return 'grpc-internal';
  if (code === grpc.status.UNKNOWN) return 'grpc-unknown';
  if (code === grpc.status.DEADLINE_EXCEEDED) return 'hang';
  if (code === grpc.status.UNAVAILABLE) return 'crash';
  return undefined;
}

/** Hostile bytes for any protobuf port: random, truncated, bad wire types, huge lengths. */
export const UNDECODABLE: Buffer[] = [
  Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
  Buffer.from([0x0a, 0x05, 0x61]),
  Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
  Buffer.from([0x0f]),
  Buffer.from([0x0b, 0x0c]),
  Buffer.from([0x0a, 0x02, 0xc3, 0x28]),
  Buffer.from([0x12, 0x03, 0xed, 0xa0, 0x80]),
  Buffer.from([0x08]),
  Buffer.from([0x00]),
];
