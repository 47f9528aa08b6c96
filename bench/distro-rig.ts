/** Processes and helpers of the Distro benchmark: two spawned nodes, raw gRPC sinks, free ports. */
import { spawn } from 'node:child_process';
import { Agent, get } from 'node:http';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { NO_CHANNELZ } from '@/common/grpc-options';

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

/**
 * CPU seconds (user + system) a process has used so far, from /proc (Linux); undefined elsewhere.
 * Wall times on a shared machine swing with its load; CPU seconds show the work itself.
 */
export function cpuSeconds(pid: number | undefined): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Kept-alive connections for polling: fetch() costs the polling process far more CPU per request. */
const pollAgent = new Agent({ keepAlive: true, maxSockets: 4 });

/** GETs a JSON document over a kept-alive connection. */
export function getJson<T>(url: string): Promise<T> {
  return new Promise((resolve, reject) => {
    get(url, { agent: pollAgent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString()) as T);
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
      response.on('error', reject);
    }).on('error', reject);
  });
}

/** Closes the polling connections so the benchmark process can exit. */
export function closePolling(): void {
  pollAgent.destroy();
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

/**
 * A real node process (`dist/src/main.js`) with the given env; its HTTP port is fixed so we can reach it.
 * With `DISTRO_BENCH_PROFILE=<dir>` it writes a V8 CPU profile there when stopped by `stopBenchNode`.
 */
export function spawnBenchNode(env: Record<string, string>, nodeFlags: string[] = []): ChildProcess {
  const profileDir = process.env.DISTRO_BENCH_PROFILE;
  const flags = [...nodeFlags, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])];
  return spawn(process.execPath, [...flags, join(__dirname, '..', 'src', 'main.js')], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', DATA_DIR: 'memory', LOG_LEVEL: 'warn', ...env },
    stdio: 'ignore',
  });
}

/** Stops a child; a profiled node gets SIGTERM and time to write its profile, anything else SIGKILL. */
export async function stopBenchNode(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(process.env.DISTRO_BENCH_PROFILE ? 'SIGTERM' : 'SIGKILL');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
}

/** A process running only a bare gRPC server that takes bytes and answers an empty message: the raw baseline. */
export function spawnSink(port: number): ChildProcess {
  return spawn(process.execPath, [__filename, 'sink', String(port)], { stdio: 'ignore' });
}

function runSink(port: number): void {
  const server = new Server({ 'grpc.max_receive_message_length': 16 * 1024 * 1024, ...NO_CHANNELZ });
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
