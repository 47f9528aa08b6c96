import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** The top-level `proto/` folder, found from both `src/` (tests) and `dist/src/` (built). */
function protoRoot(): string {
  for (const candidate of [resolve(__dirname, '../../proto'), resolve(__dirname, '../../../proto')]) {
    if (existsSync(join(candidate, 'nacos', 'nacos_grpc_service.proto'))) return candidate;
  }
  throw new Error(`proto/ folder not found from ${__dirname}`);
}

const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  arrays: true,
  objects: true,
};

let nacos: grpc.GrpcObject | undefined;
let registry: grpc.GrpcObject | undefined;

/** The Nacos 2.x client protocol (`Request`, `BiRequestStream`, `Payload`). */
export function nacosProto(): grpc.GrpcObject {
  nacos ??= grpc.loadPackageDefinition(
    protoLoader.loadSync(join(protoRoot(), 'nacos', 'nacos_grpc_service.proto'), LOADER_OPTIONS),
  );
  return nacos;
}

/** The registry API for sync tasks (`registry.v1.RegistryService`). */
export function registryProto(): grpc.GrpcObject {
  registry ??= grpc.loadPackageDefinition(
    protoLoader.loadSync(join(protoRoot(), 'registry', 'v1', 'registry.proto'), LOADER_OPTIONS),
  );
  return registry;
}

/** A service constructor from a loaded package (with its `.service` definition). */
export function serviceClient(pkg: grpc.GrpcObject, path: string): grpc.ServiceClientConstructor {
  let node: unknown = pkg;
  for (const part of path.split('.')) node = (node as Record<string, unknown>)[part];
  if (typeof node !== 'function') throw new Error(`gRPC service ${path} not found in proto`);
  return node as grpc.ServiceClientConstructor;
}
