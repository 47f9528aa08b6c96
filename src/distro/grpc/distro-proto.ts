import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadSync } from '@grpc/proto-loader';
import type { MethodDefinition } from '@grpc/proto-loader';

/** Largest message either side accepts; snapshots stream in chunks well below it. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/**
 * HTTP/2 receive window of a peer connection and of each call on it, both ways (the protocol's
 * default is 64 KiB each). A Sync call carries hundreds of KiB: with 64 KiB a sender stops every
 * 64 KiB until the receiver's event loop — busy applying the call before — reads and grants more, and
 * every other call on the connection (the probes among them) waits behind it. With this window a
 * whole batch, and the probe after it, travel at once.
 */
export const FLOW_CONTROL_WINDOW = 4 * 1024 * 1024;

export const DISTRO_SERVICE = 'distro.v2.DistroPeer';
/** The Distro protocol version this node speaks (the proto package's). */
export const DISTRO_PROTOCOL = 2;

/** Finds `proto/distro/v2/distro.proto` above this file, both in `src/` (tests) and `dist/src/` (built). */
function protoPath(): string {
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'proto', 'distro', 'v2', 'distro.proto');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error('proto/distro/v2/distro.proto not found');
}

const definition = loadSync(protoPath(), {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  arrays: true,
  objects: true,
});

/** Wire shapes as proto-loader decodes them (camelCase, defaults filled in); Sync and Snapshot use `sync-wire`. */
export interface WireSyncResponse {
  applied: number;
}
export interface WireVerifyRequest {
  from: string;
  type: string;
  buckets: number;
  digests: number[];
  detailBuckets: number[];
  entries: Array<{ clientId: string; digest: number }>;
}
export interface WireVerifyResponse {
  mismatched: number[];
  lacking: string[];
}
export interface WireSnapshotRequest {
  from: string;
  type: string;
}
export interface WireProbeRequest {
  from: string;
}
export interface WireProbeResponse {
  member: string;
  initialized: boolean;
  protocol: number;
}
export interface WireForwardRequest {
  from: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Buffer;
  deadlineMs: number;
}
export interface WireForwardResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export type DistroMethodName = 'Sync' | 'Verify' | 'Snapshot' | 'Probe' | 'Forward';

/** The proto-loader method definitions (path, serializers) of the Distro peer service. */
export const distroMethods = definition[DISTRO_SERVICE] as unknown as Record<
  DistroMethodName,
  MethodDefinition<object, object>
>;
