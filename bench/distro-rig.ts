/** Processes and helpers of the Distro benchmark: two spawned nodes, raw gRPC sinks, free ports. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Server, ServerCredentials } from '@grpc/grpc-js';

export const BENCH_TOKEN = 'distro-bench-token-0123456789';
export const SINK_PATH = '/bench.Sink/Take';

export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      const server = createServer();
      return new Promise<ReturnType<typeof createServer>>((resolve) =>
        server.listen(0, '127.0.0.1', () => resolve(server)),
      );
    }),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, stepMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}

/** A real node process (`dist/src/main.js`) with the given env; its HTTP port is fixed so we can reach it. */
export function spawnBenchNode(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [join(__dirname, '..', 'src', 'main.js')], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', DATA_DIR: 'memory', LOG_LEVEL: 'warn', ...env },
    stdio: 'ignore',
  });
}

/** A process running only a bare gRPC server that takes bytes and answers an empty message: the raw baseline. */
export function spawnSink(port: number): ChildProcess {
  return spawn(process.execPath, [__filename, 'sink', String(port)], { stdio: 'ignore' });
}

function runSink(port: number): void {
  const server = new Server({ 'grpc.max_receive_message_length': 16 * 1024 * 1024 });
  server.addService(
    {
      Take: {
        path: SINK_PATH,
        requestStream: false,
        responseStream: false,
        requestSerialize: (b: Buffer) => b,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (b: Buffer) => b,
        responseDeserialize: (b: Buffer) => b,
      },
    },
    { Take: (_call: unknown, callback: (e: null, v: Buffer) => void) => callback(null, Buffer.alloc(0)) },
  );
  server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), () => undefined);
}

if (require.main === module && process.argv[2] === 'sink') runSink(Number(process.argv[3]));
