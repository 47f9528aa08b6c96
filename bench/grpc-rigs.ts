/** Rigs for bench/grpc.ts: a bare Nacos gRPC server on a Registry, and a raw grpc-js unary echo. */
import { Logger } from '@nestjs/common';
import { NO_CHANNELZ } from '@/common/grpc-options';
import * as grpc from '@grpc/grpc-js';
import { AppConfig } from '@/config';
import { StandaloneRouting } from '@/routing/cluster-routing';
import { NacosAuthService } from '@/nacos/auth/nacos-auth.service';
import { NacosGrpcServer } from '@/nacos/grpc/nacos-grpc.server';
import { Registry } from '@/registry';

/** The real server class on its own (no HTTP, no database), as the node runs it. */
export async function startNacosGrpc(): Promise<{
  server: NacosGrpcServer;
  registry: Registry;
  close(): Promise<void>;
}> {
  Logger.overrideLogger(['error']);
  const config = AppConfig.fromEnv({ HTTP_PORT: '0', NACOS_GRPC_PORT: '0', HOST: '127.0.0.1', DATA_DIR: 'memory' });
  const registry = new Registry();
  const server = new NacosGrpcServer(
    config,
    registry,
    new StandaloneRouting(),
    new NacosAuthService(config.nacos.auth),
  );
  await server.onApplicationBootstrap();
  return { server, registry, close: () => server.beforeApplicationShutdown() };
}

const identity = (buffer: Buffer): Buffer => buffer;

/** A grpc-js unary method taking and returning raw bytes: the floor any protocol on grpc-js pays. */
export async function startRawEcho(reply: Buffer): Promise<{ port: number; close(): void }> {
  const server = new grpc.Server(NO_CHANNELZ);
  server.addService(
    {
      echo: {
        path: '/Raw/echo',
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    {
      echo: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) =>
        callback(null, reply),
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  return { port, close: () => server.forceShutdown() };
}

/** Calls /Raw/echo with the given bytes. */
export function rawCaller(port: number): { call(bytes: Buffer): Promise<void>; close(): void } {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
    ...NO_CHANNELZ,
  });
  return {
    call: (bytes) =>
      new Promise<void>((resolve, reject) =>
        client.makeUnaryRequest('/Raw/echo', identity, identity, bytes, (err) => (err ? reject(err) : resolve())),
      ),
    close: () => client.close(),
  };
}

/** Runs `task(i)` for i in [0, total) with `concurrency` in flight; returns operations per second. */
export async function throughput(
  total: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await task(next++);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return total / seconds;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Path of the raw fan-out rig's bidirectional method. */
export const RAW_STREAM_PATH = '/Raw/stream';

/**
 * The floor of a push fan-out on grpc-js: a bare server holding one bidirectional stream per
 * subscriber, writing the same prebuilt bytes to each in one loop and reading (and dropping) one
 * answer per message. No Nacos framing, JSON, registry, retries or yielding.
 */
export async function startRawFanOut(): Promise<{
  port: number;
  streams(): number;
  broadcast(bytes: Buffer): void;
  close(): void;
}> {
  const streams = new Set<grpc.ServerDuplexStream<Buffer, Buffer>>();
  const server = new grpc.Server(NO_CHANNELZ);
  server.addService(
    {
      stream: {
        path: RAW_STREAM_PATH,
        requestStream: true,
        responseStream: true,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    {
      stream: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        streams.add(call);
        call.on('data', () => undefined);
        call.on('error', () => streams.delete(call));
        call.on('end', () => {
          streams.delete(call);
          call.end();
        });
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  return {
    port,
    streams: () => streams.size,
    broadcast: (bytes) => {
      for (const stream of streams) stream.write(bytes);
    },
    close: () => server.forceShutdown(),
  };
}
