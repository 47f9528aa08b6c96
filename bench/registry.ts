/**
 * `npm run bench -- registry [--quick]`: v1 HTTP registrations against one node (a separate
 * process) next to a bare Fastify process parsing the same query string, both driven by a
 * separate keep-alive load process; then the in-memory registry alone (1,000,000 instances over
 * 100,000 services) in a child process with --expose-gc.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { BenchOptions, BenchResult } from './run';
import type { LoadReport } from './registry-load';
import type { MemoryReport } from './registry-memory';
import type { NodeMemoryReport } from './node-memory';
import { freePorts } from '../tools/support/free-ports';
import { dropDatabase, scratchDatabase } from './scratch-db';

const DIST = resolve(__dirname, '..');
const PATH = '/nacos/v1/ns/instance';

async function waitLive(base: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${base}/health/live`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`node at ${base} did not come up`);
}

async function startNode(): Promise<{ base: string; child: ChildProcess }> {
  const [port] = await freePorts(1);
  const child = spawn(process.execPath, [join(DIST, 'src', 'main.js')], {
    env: {
      PATH: process.env.PATH ?? '',
      HTTP_PORT: String(port),
      NACOS_GRPC_PORT: '0',
      DISTRO_PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: 'memory',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
    },
    stdio: 'ignore',
  });
  const base = `http://127.0.0.1:${port}`;
  await waitLive(base, 60_000);
  return { base, child };
}

function startBareFastify(): Promise<{ base: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [join(__dirname, 'registry-bare-fastify.js')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolveStart, reject) => {
    child.stdout?.once('data', (chunk: Buffer) =>
      resolveStart({ base: `http://127.0.0.1:${chunk.toString().trim()}`, child }),
    );
    child.once('exit', (code) => reject(new Error(`bare fastify exited ${code}`)));
  });
}

function runChild<T>(args: string[]): Promise<T> {
  return new Promise((resolveRun, reject) => {
    execFile(process.execPath, args, { maxBuffer: 1 << 20 }, (err, stdout) => {
      if (err) reject(new Error(`${args.join(' ')} failed: ${err.message}`));
      else resolveRun(JSON.parse(stdout.trim().split('\n').pop() ?? '') as T);
    });
  });
}

function loadAgainst(base: string, seconds: number, concurrency: number, worker: number): Promise<LoadReport> {
  return runChild<LoadReport>([
    join(__dirname, 'registry-load.js'),
    base,
    PATH,
    String(seconds),
    String(concurrency),
    String(worker),
  ]);
}

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const seconds = quick ? 3 : 10;
  const concurrency = 64;
  const [instances, services] = quick ? [100_000, 10_000] : [1_000_000, 100_000];

  const node = await startNode();
  const bare = await startBareFastify();
  let ours: LoadReport;
  let baseline: LoadReport;
  try {
    // Warm both up (JIT, sockets) before measuring.
    await loadAgainst(node.base, 1, concurrency, 200);
    await loadAgainst(bare.base, 1, concurrency, 200);
    baseline = await loadAgainst(bare.base, seconds, concurrency, 1);
    ours = await loadAgainst(node.base, seconds, concurrency, 1);
  } finally {
    node.child.kill('SIGTERM');
    bare.child.kill('SIGTERM');
  }
  const memory = await runChild<MemoryReport>([
    '--expose-gc',
    join(__dirname, 'registry-memory.js'),
    String(instances),
    String(services),
  ]);
  // On Postgres when DATABASE_URL is set, as deployed; the embedded PGlite alone takes ~380 MiB.
  const memoryDb = await scratchDatabase(process.env.DATABASE_URL, 'distro_sync_bench_memory');
  let nodeMemory: NodeMemoryReport;
  try {
    nodeMemory = await runChild<NodeMemoryReport>([
      '--expose-gc',
      join(__dirname, 'node-memory.js'),
      String(instances),
      String(services),
      ...(memoryDb ? [memoryDb] : []),
    ]);
  } finally {
    await dropDatabase(process.env.DATABASE_URL, 'distro_sync_bench_memory');
  }

  const rate = (report: LoadReport) => report.requests / report.seconds;
  return {
    name: 'registry',
    rows: [
      {
        metric: 'v1 POST /instance registrations',
        value: rate(ours),
        unit: 'req/s',
        baseline: { name: 'bare Fastify', value: rate(baseline) },
        ratio: rate(ours) / rate(baseline),
        target: '≥ 0.4',
      },
      {
        metric: 'v1 registration p50 latency',
        value: ours.p50Ms,
        unit: 'ms',
        baseline: { name: 'bare Fastify', value: baseline.p50Ms },
        ratio: baseline.p50Ms / ours.p50Ms,
      },
      {
        metric: 'v1 registration p99 latency',
        value: ours.p99Ms,
        unit: 'ms',
        baseline: { name: 'bare Fastify', value: baseline.p99Ms },
        ratio: baseline.p99Ms / ours.p99Ms,
      },
      {
        metric: `in-memory registrations (${instances.toLocaleString('en-US')} instances)`,
        value: memory.opsPerSecond,
        unit: 'ops/s',
      },
      { metric: 'RSS per instance', value: memory.rssBytesPerInstance, unit: 'B', target: '≤ 600' },
      { metric: 'heap per instance', value: memory.heapBytesPerInstance, unit: 'B' },
      {
        metric: `RSS of one node holding ${instances.toLocaleString('en-US')} instances`,
        value: nodeMemory.loadedRssBytes / 2 ** 20,
        unit: 'MiB',
        baseline: { name: 'the same node idle', value: nodeMemory.idleRssBytes / 2 ** 20 },
      },
      { metric: 'node RSS per instance', value: nodeMemory.rssBytesPerInstance, unit: 'B' },
    ],
    notes: [
      `HTTP: one load process, ${concurrency} keep-alive connections, ${seconds} s per target, distinct ip:port per request over 1,000 services; errors: ours ${ours.errors}, bare ${baseline.errors}.`,
      `Memory: ${instances.toLocaleString('en-US')} instances over ${services.toLocaleString('en-US')} services, one ip-port client each, each written as a v1 registration is (so every record carries its version and writer, and every client its newest version), after forced GC: first a bare Registry in a child process, then a whole standalone node (HTTP, gRPC, Distro${memoryDb ? ', on Postgres' : ', on the embedded PGlite, which alone holds ~380 MiB'}) in another.`,
    ],
  };
}
