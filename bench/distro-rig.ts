/**
 * Processes and helpers of the Distro benchmark: spawned nodes, raw gRPC sinks, a switch
 * that cuts one node off its peers and heals it, HTTP writes, and a digest of what a node lists.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Agent, createServer as createHttpServer, get, request } from 'node:http';
import type { ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { NO_CHANNELZ } from '@/common/grpc-options';

export const BENCH_TOKEN = 'distro-bench-token-0123456789';
export const SINK_PATH = '/bench.Sink/Take';

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

/**
 * A real node process (`dist/src/main.js`) with the given env; its HTTP port is fixed so we can reach it.
 * With `DISTRO_BENCH_PROFILE=<dir>` it writes a V8 CPU profile there when stopped by `stopBenchNode`;
 * with `DISTRO_BENCH_LOGS=<dir>` it logs at info level to `<dir>/node-<HTTP_PORT>-<time>.log`.
 */
export function spawnBenchNode(env: Record<string, string>, nodeFlags: string[] = []): ChildProcess {
  const profileDir = process.env.DISTRO_BENCH_PROFILE;
  const logDir = process.env.DISTRO_BENCH_LOGS;
  const flags = [...nodeFlags, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])];
  const log = logDir ? openSync(join(logDir, `node-${env.HTTP_PORT ?? 'x'}-${Date.now()}.log`), 'a') : 'ignore';
  return spawn(process.execPath, [...flags, join(__dirname, '..', 'src', 'main.js')], {
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      DATA_DIR: 'memory',
      LOG_LEVEL: logDir ? 'info' : 'warn',
      ...env,
    },
    stdio: ['ignore', log, log],
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

/** Pipes two sockets into each other; either closing or failing closes both. */
function splice(a: Socket, b: Socket, track: Set<Socket>): void {
  track.add(a);
  track.add(b);
  const close = (): void => {
    a.destroy();
    b.destroy();
    track.delete(a);
    track.delete(b);
  };
  a.on('error', close).on('close', close);
  b.on('error', close).on('close', close);
  a.pipe(b).pipe(a);
}

/** The two proxies of a PartitionSwitch, run in a worker thread of their own. */
class Switchboard {
  private readonly sockets = new Set<Socket>();
  isCut = false;

  private constructor(
    private readonly inbound: NetServer,
    private readonly outbound: ReturnType<typeof createHttpServer>,
    readonly inboundPort: number,
    readonly outboundPort: number,
  ) {}

  /** Proxies towards the node's real Distro port `targetPort`. */
  static async start(targetPort: number): Promise<Switchboard> {
    const holder: { sw?: Switchboard } = {};
    const inbound = createServer((client) => {
      const sw = holder.sw;
      if (sw === undefined || sw.isCut) {
        client.destroy();
        return;
      }
      splice(client, connect(targetPort, '127.0.0.1'), sw.sockets);
    });
    const outbound = createHttpServer((_req, res) => res.writeHead(405).end());
    outbound.on('connect', (req: { url?: string }, socket: Socket, head: Buffer) => {
      const sw = holder.sw;
      const at = (req.url ?? '').lastIndexOf(':');
      if (sw === undefined || sw.isCut || at < 0) {
        socket.destroy();
        return;
      }
      const upstream = connect(Number((req.url ?? '').slice(at + 1)), (req.url ?? '').slice(0, at), () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) upstream.write(head);
        splice(socket, upstream, sw.sockets);
      });
      upstream.on('error', () => socket.destroy());
    });
    const listen = (server: NetServer | ReturnType<typeof createHttpServer>) =>
      new Promise<number>((resolve) =>
        server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
      );
    const [inboundPort, outboundPort] = await Promise.all([listen(inbound), listen(outbound)]);
    holder.sw = new Switchboard(inbound, outbound, inboundPort, outboundPort);
    return holder.sw;
  }

  /** Drops every connection in either direction and refuses new ones until `heal()`. */
  cut(): void {
    this.isCut = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  heal(): void {
    this.isCut = false;
  }

  async stop(): Promise<void> {
    this.cut();
    this.outbound.closeAllConnections();
    await Promise.all([
      new Promise((resolve) => this.inbound.close(resolve)),
      new Promise((resolve) => this.outbound.close(resolve)),
    ]);
  }
}

/** Request/answer over a worker thread: each message carries an id the worker answers with. */
class WorkerLink {
  private next = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(readonly worker: Worker) {
    worker.on('message', (m: { id: number; error?: string; value?: unknown }) => {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.error !== undefined) w?.reject(new Error(m.error));
      else w?.resolve(m.value);
    });
    worker.on('error', (error) => {
      for (const w of this.waiting.values()) w.reject(error);
      this.waiting.clear();
    });
  }

  call<T>(message: Record<string, unknown>): Promise<T> {
    const id = ++this.next;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...message, id });
    });
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

function startWorker(data: Record<string, unknown>): WorkerLink {
  return new WorkerLink(new Worker(__filename, { workerData: data }));
}

/**
 * Cuts one spawned node off its peers and heals it, on loopback. Its peers reach it through a TCP
 * proxy (the cluster lists it at `inboundPort`; its DISTRO_SELF says so), and it reaches them through
 * an HTTP CONNECT proxy, which grpc-js uses for every outgoing channel when `grpc_proxy` is set in
 * the node's env (`env()`). Cut, both drop their connections and refuse new ones: a symmetric
 * partition of all the node's Distro traffic (forwards, syncs, verify, probes, snapshots), while its
 * HTTP API stays reachable for the benchmark's writes and reads. The proxies run in a worker thread,
 * so the node's traffic never waits for the benchmark's own event loop (which may host a node).
 */
export class PartitionSwitch {
  private constructor(
    private readonly link: WorkerLink,
    readonly inboundPort: number,
    private readonly outboundPort: number,
  ) {}

  /** Proxies towards the node's real Distro port `targetPort`. */
  static async start(targetPort: number): Promise<PartitionSwitch> {
    const link = startWorker({ role: 'switch' });
    const [inbound, outbound] = await link.call<[number, number]>({ op: 'start', targetPort });
    return new PartitionSwitch(link, inbound, outbound);
  }

  /** Env entries that send the node's outgoing gRPC through the switch. */
  env(): Record<string, string> {
    return { grpc_proxy: `http://127.0.0.1:${this.outboundPort}` };
  }

  /** Drops every connection in either direction and refuses new ones until `heal()`. */
  cut(): Promise<void> {
    return this.link.call({ op: 'cut' });
  }

  heal(): Promise<void> {
    return this.link.call({ op: 'heal' });
  }

  async stop(): Promise<void> {
    await this.link.call({ op: 'stop' });
    await this.link.stop();
  }
}

function runSwitchWorker(): void {
  let board: Switchboard | undefined;
  parentPort?.on('message', (m: { id: number; op: string; targetPort?: number }) => {
    const answer = (value?: unknown) => parentPort?.postMessage({ id: m.id, value });
    if (m.op === 'start') {
      void Switchboard.start(m.targetPort ?? 0).then((b) => {
        board = b;
        answer([b.inboundPort, b.outboundPort]);
      });
    } else if (m.op === 'cut') {
      board?.cut();
      answer();
    } else if (m.op === 'heal') {
      board?.heal();
      answer();
    } else if (m.op === 'stop') {
      void (board?.stop() ?? Promise.resolve()).then(() => answer());
    }
  });
}

/** Kept-alive connections for the benchmark's Nacos writes, many in flight. */
const writeAgent = new Agent({ keepAlive: true, maxSockets: 64 });

/** Closes the write connections. */
export function closeWriters(): void {
  writeAgent.destroy();
}

/** One Nacos v1 instance write: method and query string (serviceName, ip, port, ...). */
export interface NacosWrite {
  method: 'POST' | 'PUT' | 'DELETE';
  query: Record<string, string>;
}

/** Sends Nacos v1 instance writes to `base`, `concurrency` at a time; counts answers other than `200 ok`. */
export async function sendWrites(
  base: string,
  writes: readonly NacosWrite[],
  concurrency: number,
): Promise<{ failed: number; firstFailure?: string; seconds: number; p50Ms: number; p99Ms: number }> {
  const started = performance.now();
  const times: number[] = [];
  let failed = 0;
  let firstFailure: string | undefined;
  let next = 0;
  const one = (w: NacosWrite) =>
    new Promise<void>((done) => {
      const t0 = performance.now();
      const resolve = () => {
        times.push(performance.now() - t0);
        done();
      };
      const url = `${base}/nacos/v1/ns/instance?${new URLSearchParams(w.query).toString()}`;
      const req = request(url, { method: w.method, agent: writeAgent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => {
          const body = Buffer.concat(chunks).toString();
          if (response.statusCode !== 200 || body !== 'ok') {
            failed++;
            firstFailure ??= `${w.method} ${url}: ${response.statusCode} ${body.slice(0, 200)}`;
          }
          resolve();
        });
      });
      req.on('error', (error) => {
        failed++;
        firstFailure ??= `${w.method} ${url}: ${error.message}`;
        resolve();
      });
      req.end();
    });
  const lane = async () => {
    while (next < writes.length) await one(writes[next++]);
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  times.sort((x, y) => x - y);
  const at = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? 0;
  return { failed, firstFailure, seconds: (performance.now() - started) / 1000, p50Ms: at(0.5), p99Ms: at(0.99) };
}

interface HostView {
  ip: string;
  port: number;
  weight: number;
  healthy: boolean;
  enabled: boolean;
  clusterName: string;
  metadata: Record<string, string>;
}

/**
 * What a node lists, as Nacos clients see it: service name → `count:hash`, the hash over every
 * host's cluster, ip:port, weight, health and metadata (keys sorted), hosts sorted. Read through the
 * node's HTTP API (`/nacos/v1/ns/service/list`, then `/instance/list` per service); throws while the
 * node answers 503 (not initialized).
 */
export async function readContent(base: string): Promise<NodeContent> {
  const names: string[] = [];
  for (let page = 1; ; page++) {
    const list = await getJson<{ count: number; doms: string[] }>(
      `${base}/nacos/v1/ns/service/list?pageNo=${page}&pageSize=500`,
    );
    if (!Array.isArray(list.doms)) throw new Error(`service list of ${base} failed`);
    names.push(...list.doms);
    if (list.doms.length === 0 || names.length >= list.count) break;
  }
  const services = new Map<string, string>();
  let instances = 0;
  let next = 0;
  const lane = async () => {
    while (next < names.length) {
      const name = names[next++];
      const info = await getJson<{ hosts?: HostView[] }>(
        `${base}/nacos/v1/ns/instance/list?serviceName=${encodeURIComponent(name)}`,
      );
      if (!Array.isArray(info.hosts)) throw new Error(`instance list of ${name} on ${base} failed`);
      const lines = info.hosts.map((h) => {
        const meta = Object.keys(h.metadata)
          .sort()
          .map((k) => `${k}=${h.metadata[k]}`)
          .join(',');
        return `${h.clusterName}/${h.ip}:${h.port} w=${h.weight} h=${h.healthy} e=${h.enabled} ${meta}`;
      });
      lines.sort();
      instances += lines.length;
      services.set(name, `${lines.length}:${createHash('sha1').update(lines.join('\n')).digest('hex')}`);
    }
  };
  await Promise.all(Array.from({ length: 4 }, lane));
  return { instances, services };
}

export interface NodeContent {
  instances: number;
  services: Map<string, string>;
}

/**
 * Reads nodes' listings (readContent) in a worker thread: parsing tens of MB of JSON there leaves
 * the benchmark's own event loop — which may host a node — free while it runs.
 */
export class ContentReader {
  private readonly link = startWorker({ role: 'reader' });

  async read(bases: readonly string[]): Promise<NodeContent[]> {
    const raw = await this.link.call<Array<{ instances: number; services: Array<[string, string]> }>>({
      op: 'read',
      bases,
    });
    return raw.map((c) => ({ instances: c.instances, services: new Map(c.services) }));
  }

  stop(): Promise<void> {
    return this.link.stop();
  }
}

function runReaderWorker(): void {
  parentPort?.on('message', (m: { id: number; bases: string[] }) => {
    Promise.all(m.bases.map(readContent)).then(
      (contents) =>
        parentPort?.postMessage({
          id: m.id,
          value: contents.map((c) => ({ instances: c.instances, services: [...c.services] })),
        }),
      (error: unknown) =>
        parentPort?.postMessage({ id: m.id, error: error instanceof Error ? error.message : String(error) }),
    );
  });
}

/** True when every content lists the same services with the same hosts. */
export function sameContent(contents: ReadonlyArray<{ services: ReadonlyMap<string, string> }>): boolean {
  const [first, ...rest] = contents;
  return rest.every(
    (c) =>
      c.services.size === first.services.size &&
      [...first.services].every(([name, digest]) => c.services.get(name) === digest),
  );
}

if (require.main === module && process.argv[2] === 'sink') runSink(Number(process.argv[3]));
if (!isMainThread) {
  const role = (workerData as { role?: string } | null)?.role;
  if (role === 'switch') runSwitchWorker();
  if (role === 'reader') runReaderWorker();
}
