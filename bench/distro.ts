/**
 * `npm run bench -- distro`: three nodes on loopback — node A in this process (so the benchmark can
 * write into its registry directly), B and C as separate processes — replicating over Distro.
 * (a) throughput of registering N instances over N/10 clients on A until B and C hold all, against
 * the receivers' own decode + merge of the same bytes, and (for reference) bare @grpc/grpc-js unary
 * calls carrying them in the same batches to sink processes;
 * (b) latency from a write's acknowledgement on A to its visibility on B and C;
 * (c) verify calls per round per peer with the clients A owns;
 * then a second cluster of the same shape at production intervals, holding N instances of ip-port
 * clients, for the faults (runFaults below): (d) B SIGKILLed, writes through A, B restarted,
 * time from its ready moment until all three list identical content, against its snapshot load;
 * (e) C cut off its peers, writes on both sides, healed, time until identical;
 * (f) memory of 100,000 tombstones (--quick: 10,000), in a child process with --expose-gc
 * (registry-memory.ts). With DISTRO_BENCH_LOGS=<dir>, the nodes of the second cluster log at info
 * level there, beside the benchmark's own timeline of the faults.
 */
import { execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { NO_CHANNELZ } from '@/common/grpc-options';
import { closeSync, openSync, writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Client, Metadata, credentials } from '@grpc/grpc-js';
import { startNode } from '@/bootstrap';
import { AppConfig } from '@/config';
import { DistroRouting } from '@/distro/distro-routing';
import { CLIENT_DATA_TYPE } from '@/distro/distro-types';
import { decodeSyncRequest, encodeSyncRequest } from '@/distro/grpc/sync-wire';
import { decodeClients, encodeClientData } from '@/distro/naming/client-data-codec';
import { createRootLogger } from '@/observability';
import { Registry } from '@/registry';
import type { PublicationData } from '@/registry';
import type { BenchOptions, BenchResult, BenchRow } from './run';
import type { TombstoneReport } from './registry-memory';
import {
  BENCH_TOKEN,
  PartitionSwitch,
  SINK_PATH,
  closePolling,
  closeWriters,
  cpuSeconds,
  getJson,
  ContentReader,
  sameContent,
  sendWrites,
  spawnBenchNode,
  spawnSink,
  stopBenchNode,
} from './distro-rig';
import type { NacosWrite } from './distro-rig';
import { eventually } from '../tools/support/eventually';
import { freePorts } from '../tools/support/free-ports';

const PER_CLIENT = 10;
/** Clients per sync call and calls in flight per peer, as DistroRouting configures the engine. */
const BATCH = 500;
const IN_FLIGHT = 2;
/** How often the throughput phase asks B and C; each ask costs them a little CPU, so not every millisecond. */
const POLL_MS = 5;

function publications(client: number): PublicationData[] {
  return Array.from({ length: PER_CLIENT }, (_, j) => ({
    namespace: 'public',
    group: 'DEFAULT_GROUP',
    service: `svc-${(client * PER_CLIENT + j) % 100}`,
    instance: {
      ip: `10.${(client >> 8) & 255}.${client & 255}.${j + 1}`,
      port: 8080,
      metadata: { version: 'v1', zone: 'a' },
    },
  }));
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const PARTS = ['replication', 'faults', 'memory'];

export async function run({ quick, only }: BenchOptions): Promise<BenchResult> {
  if (only !== undefined && !PARTS.includes(only))
    throw new Error(`distro has no part "${only}" (${PARTS.join(', ')})`);
  const wanted = (part: string) => only === undefined || only === part;
  const none: Part = { rows: [], notes: [] };
  try {
    const first = wanted('replication') ? await runReplication(quick) : none;
    const faults = wanted('faults') ? await runFaults(quick) : none;
    const memory = wanted('memory') ? await runMemory(quick ? 10_000 : 100_000) : none;
    return {
      name: 'distro',
      rows: [...first.rows, ...faults.rows, ...memory.rows],
      notes: [...first.notes, ...faults.notes, ...memory.notes],
    };
  } finally {
    closePolling();
    closeWriters();
  }
}

interface Part {
  rows: BenchRow[];
  notes: string[];
}

/** (a), (b) and (c). */
async function runReplication(quick: boolean): Promise<Part> {
  const clients = quick ? 1000 : 10_000;
  const instances = clients * PER_CLIENT;
  const samples = quick ? 40 : 200;
  const [aDistro, bDistro, cDistro, bHttp, cHttp, sink1, sink2] = await freePorts(7);
  const members = [aDistro, bDistro, cDistro].map((p) => `127.0.0.1:${p}`).join(',');
  const common = {
    DISTRO_MEMBERS: members,
    DISTRO_TOKEN: BENCH_TOKEN,
    DISTRO_VERIFY_INTERVAL_MS: '600000',
    DISTRO_CLIENT_EXPIRE_MS: '3600000',
    DISTRO_BOOTSTRAP_WAIT_MS: '500',
    DISTRO_PROBE_INTERVAL_MS: '500',
    BODY_LIMIT_BYTES: String(16 * 1048576),
  };
  const children: ChildProcess[] = [
    spawnBenchNode({ ...common, HTTP_PORT: String(bHttp), DISTRO_PORT: String(bDistro) }),
    spawnBenchNode({ ...common, HTTP_PORT: String(cHttp), DISTRO_PORT: String(cDistro) }),
    spawnSink(sink1),
    spawnSink(sink2),
  ];
  const config = AppConfig.fromEnv({
    ...common,
    HOST: '127.0.0.1',
    HTTP_PORT: '0',
    DISTRO_PORT: String(aDistro),
    DATA_DIR: 'memory',
    LOG_LEVEL: 'warn',
  });
  const quiet = new Writable({ write: (_c, _e, cb) => cb() });
  const a = await startNode(config, createRootLogger(config, quiet));
  const peers = [`http://127.0.0.1:${bHttp}`, `http://127.0.0.1:${cHttp}`];
  try {
    await eventually(
      async () => (await Promise.all(peers.map((p) => fetch(`${p}/health/ready`)))).every((r) => r.status === 200),
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    const routing = a.app.get(DistroRouting);
    await eventually(
      () => Promise.resolve(routing.initialized() && routing.runtime!.members.peers().every((m) => m.state === 'UP')),
      { timeoutMs: 30_000, intervalMs: 20 },
    );
    const registry = a.app.get(Registry);
    const self = routing.selfId();
    // What B and C hold, from the Nacos server metrics (registry sizes, constant time to answer; the
    // Distro status walks every client, about 2 ms of CPU per answer at 10,000 clients, which polling
    // every few ms would take from the receivers being measured).
    const held = (): Promise<NacosMetrics[]> =>
      Promise.all(peers.map((p) => getJson<NacosMetrics>(`${p}/nacos/v1/ns/operator/metrics?onlyStatus=false`)));

    // Warm-up, as a node that has been running: a fifth of the load is replicated and then deleted,
    // so B and C run (a) with optimised code rather than in the interpreter (a fresh process decodes
    // and applies its first 100,000 instances at about half speed). They must return to no client
    // and no instance, which also checks that deletes replicate.
    const warmClients = Math.max(1, Math.floor(clients / 5));
    for (let i = 0; i < warmClients; i++) {
      registry.replacePublications(`warm-${i}`, 'connection', publications(i), { owner: self });
    }
    await eventually(async () => (await held()).every((m) => m.clientCount >= warmClients), {
      timeoutMs: 300_000,
      intervalMs: POLL_MS,
    });
    for (let i = 0; i < warmClients; i++) registry.removeClient(`warm-${i}`);
    await eventually(async () => (await held()).every((m) => m.clientCount === 0 && m.instanceCount === 0), {
      timeoutMs: 300_000,
      intervalMs: POLL_MS,
    });

    // What Distro sent besides the batches during (a): read before the burst and after the CPU figures.
    const bases = [a.urls.metrics.replace(/\/metrics$/, ''), ...peers];
    const trafficBefore = await distroTraffic(bases);
    let stateChanges = 0;
    routing.runtime!.members.onChange(() => stateChanges++);

    // (a) throughput through Distro. The registrations are one synchronous burst, so no Distro work
    // starts before they are all acknowledged; the clock starts then and stops when B and C hold all.
    const registerStarted = performance.now();
    for (let i = 0; i < clients; i++) {
      registry.replacePublications(`bench-${i}`, 'connection', publications(i), { owner: self });
    }
    const started = performance.now();
    const startedTicks = process.hrtime.bigint();
    const stateChangesBefore = stateChanges;
    const writeSeconds = (started - registerStarted) / 1000;
    const cpuBefore = [process.cpuUsage(), cpuSeconds(children[0].pid), cpuSeconds(children[1].pid)] as const;
    // Done when both peers hold every client and every instance: a call's clients are merged as one
    // registry operation, so this is "B and C hold all". The answer is a few hundred bytes; polling a
    // 1,000-instance service list instead would charge the peers with serialising it hundreds of times.
    await eventually(
      async () => (await held()).every((m) => m.clientCount >= clients && m.instanceCount >= instances),
      { timeoutMs: 300_000, intervalMs: POLL_MS },
    );
    const distroSeconds = (performance.now() - started) / 1000;
    // CLOCK_MONOTONIC in µs, the clock of V8 CPU profiles on Linux: the window of (a) in B's and C's profiles.
    const window = [startedTicks / 1000n, process.hrtime.bigint() / 1000n];
    const aCpu = process.cpuUsage(cpuBefore[0]);
    const peerCpu = [cpuSeconds(children[0].pid), cpuSeconds(children[1].pid)].map((after, i) => {
      const before = cpuBefore[i + 1] as number | undefined;
      return after === undefined || before === undefined ? undefined : after - before;
    });
    const aStateChanges = stateChanges - stateChangesBefore;
    const traffic = (await distroTraffic(bases)).map((v, i) => v - trafficBefore[i]);

    // (a) raw baseline: the same request bytes in the same batches, as many calls in flight per peer as Distro
    const batches: Buffer[] = [];
    for (let i = 0; i < clients; i += BATCH) {
      const upserts: Buffer[] = [];
      for (let k = i; k < Math.min(clients, i + BATCH); k++) {
        upserts.push(encodeClientData(registry.exportClient(`bench-${k}`)!));
      }
      batches.push(encodeSyncRequest(self, CLIENT_DATA_TYPE, upserts));
    }
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${BENCH_TOKEN}`);
    const sinks = [sink1, sink2].map(
      (p) =>
        new Client(`127.0.0.1:${p}`, credentials.createInsecure(), {
          'grpc.max_send_message_length': 16 * 1048576,
          ...NO_CHANNELZ,
        }),
    );
    const call = (client: Client, payload: Buffer) =>
      new Promise<void>((resolve, reject) =>
        client.makeUnaryRequest(
          SINK_PATH,
          (b: Buffer) => b,
          (b: Buffer) => b,
          payload,
          metadata,
          {},
          (e) => (e ? reject(e) : resolve()),
        ),
      );
    await eventually(
      async () => {
        await Promise.all(sinks.map((s) => call(s, Buffer.alloc(0))));
        return true;
      },
      { timeoutMs: 10_000, intervalMs: 20 },
    );
    const rawCpuBefore = [process.cpuUsage(), cpuSeconds(children[2].pid), cpuSeconds(children[3].pid)] as const;
    const rawStarted = performance.now();
    await Promise.all(
      sinks.map(async (s) => {
        let next = 0;
        const lane = async () => {
          while (next < batches.length) await call(s, batches[next++]);
        };
        await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
      }),
    );
    const rawSeconds = (performance.now() - rawStarted) / 1000;
    const rawACpu = process.cpuUsage(rawCpuBefore[0]);
    const sinkCpu = [cpuSeconds(children[2].pid), cpuSeconds(children[3].pid)].map((after, i) => {
      const before = rawCpuBefore[i + 1] as number | undefined;
      return after === undefined || before === undefined ? undefined : after - before;
    });
    const cores = availableParallelism();
    // What one receiver's own work costs without any transport: decode the same requests and apply
    // them to a fresh registry, in this process (one peer's share, best of three).
    let applySeconds = Infinity;
    for (let round = 0; round < 3; round++) {
      const sink = new Registry();
      const applyStarted = performance.now();
      for (const bytes of batches) sink.mergeClients(decodeClients(decodeSyncRequest(bytes).items));
      applySeconds = Math.min(applySeconds, (performance.now() - applyStarted) / 1000);
    }

    // (b) latency: ack on A → listed on B and C
    const latencies: number[] = [];
    const rawLatencies: number[] = [];
    for (let i = 0; i < samples; i++) {
      const service = `lat-${i}`;
      const t0 = performance.now();
      registry.replacePublications(
        `lat-${i}`,
        'connection',
        [{ namespace: 'public', group: 'DEFAULT_GROUP', service, instance: { ip: '10.200.0.1', port: 1000 + i } }],
        { owner: self },
      );
      await Promise.all(
        peers.map((p) =>
          eventually(
            async () =>
              (await getJson<{ hosts: unknown[] }>(`${p}/nacos/v1/ns/instance/list?serviceName=${service}`)).hosts
                .length === 1,
            { timeoutMs: 10_000, intervalMs: 1 },
          ),
        ),
      );
      latencies.push(performance.now() - t0);
      const one = encodeSyncRequest(self, CLIENT_DATA_TYPE, [encodeClientData(registry.exportClient(`lat-${i}`)!)]);
      const r0 = performance.now();
      await Promise.all(sinks.map((s) => call(s, one)));
      rawLatencies.push(performance.now() - r0);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    latencies.sort((x, y) => x - y);
    rawLatencies.sort((x, y) => x - y);
    for (const s of sinks) s.close();

    // (c) verify calls per round per peer
    const runtime = routing.runtime!;
    const round = await verifyRoundCalls(runtime, a.urls.metrics.replace(/\/metrics$/, ''));
    const perPeer = round.perPeer;
    const owned = runtime.processor.counts().owned;

    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    const raw50 = percentile(rawLatencies, 50);
    const raw99 = percentile(rawLatencies, 99);
    return {
      rows: [
        {
          metric: `(a) replicate ${instances.toLocaleString('en-US')} instances / ${clients.toLocaleString('en-US')} clients to 2 peers, against the receivers' own decode and merge`,
          value: instances / distroSeconds,
          unit: 'instances/s',
          baseline: {
            name: 'one receiver decoding and merging the same bytes in-process (decodeClients + Registry.mergeClients)',
            value: instances / applySeconds,
          },
          ratio: applySeconds / distroSeconds,
          target: '≥ 0.5',
        },
        {
          metric: `(a) the same, against bare gRPC sinks that decode nothing (reference)`,
          value: instances / distroSeconds,
          unit: 'instances/s',
          baseline: { name: 'bare grpc-js unary, same bytes and batches', value: instances / rawSeconds },
          ratio: rawSeconds / distroSeconds,
        },
        {
          metric: '(b) write ack → visible on both peers, p50',
          value: p50,
          unit: 'ms',
          baseline: { name: 'bare grpc-js unary round trip to both', value: raw50 },
          ratio: raw50 / p50,
        },
        {
          metric: '(b) write ack → visible on both peers, p99',
          value: p99,
          unit: 'ms',
          baseline: { name: 'bare grpc-js unary round trip to both', value: raw99 },
          ratio: raw99 / p99,
          target: '≤ 25 ms',
        },
        {
          metric: `(c) verify calls per round per peer, ${owned.toLocaleString('en-US')} owned clients`,
          value: perPeer,
          unit: 'calls',
          baseline: { name: 'Nacos (one call per client)', value: owned },
          ratio: owned / perPeer,
          target: '≤ 5 (one bucket call when in step)',
        },
      ],
      notes: [
        `(a) is timed from the moment all ${clients.toLocaleString('en-US')} registrations on A are acknowledged (one synchronous burst of ${writeSeconds.toFixed(2)} s, so Distro cannot start before the clock) until B and C both hold every client and instance (their /nacos/v1/ns/operator/metrics, constant time to answer, polled every ${POLL_MS} ms; earlier versions of this benchmark polled the Distro status, which walks every client on each answer). Counting the registrations too, end to end: ${Math.round(instances / (writeSeconds + distroSeconds)).toLocaleString('en-US')} instances/s. The first row sets replication against the work each receiver cannot avoid: decoding the same requests and merging them into a fresh registry, in this process, warm, without any transport, took ${applySeconds.toFixed(3)} s (best of three) — the CPU each of B and C must spend at least, on two cores shared by three processes. The second row is the reference of earlier records: bare gRPC sinks that take prebuilt bytes and decode nothing, so its ratio charges Distro with encoding on A and with decoding, validation and registry updates on B and C.`,
        `CPU used during (a): A ${((aCpu.user + aCpu.system) / 1e6).toFixed(2)} s (bench process: sync encoding plus the polling), B ${peerCpu[0]?.toFixed(2) ?? '?'} s, C ${peerCpu[1]?.toFixed(2) ?? '?'} s (decoding, validation, registry updates, answering the polls) — over ${distroSeconds.toFixed(2)} s of wall time on a machine shared with other work.`,
        `CPU used by the raw baseline: A ${((rawACpu.user + rawACpu.system) / 1e6).toFixed(2)} s, the two sinks ${sinkCpu.map((c) => c?.toFixed(2) ?? '?').join(' s and ')} s (/proc counts in 10 ms ticks) over ${rawSeconds.toFixed(2)} s. The budget the target leaves: at 0.5 of one receiver's own decode and merge, (a) must end within ${(2 * applySeconds).toFixed(2)} s, at most ${(2 * applySeconds * cores).toFixed(2)} CPU-s on this machine's ${cores} cores for A, B and C together, of which B's and C's decode and merge take ${(2 * applySeconds).toFixed(2)} CPU-s and the bare transport of the same bytes ${((rawACpu.user + rawACpu.system) / 1e6 + sinkCpu.reduce<number>((x, c) => x + (c ?? 0), 0)).toFixed(2)} CPU-s.`,
        `Distro traffic during (a): A made ${traffic[0]} sync calls (the ${clients.toLocaleString('en-US')} clients in batches of ${BATCH} to 2 peers need ${2 * Math.ceil(clients / BATCH)}); the three nodes made ${traffic[1]} verify calls; A saw its peers change state ${aStateChanges} times. A peer that misses a probe's deadline (${Math.min(config.distro.callTimeoutMs, Math.max(500, config.distro.probeIntervalMs))} ms here, 2 s at the production probe interval) turns SUSPICIOUS, and is verified at once when it answers again: in the middle of the burst every client still on its way differs, so on a loaded machine such flips add verify exchanges to (a).`,
        ...(process.env.DISTRO_BENCH_PROFILE
          ? [`(a) ran from ${window[0]} to ${window[1]} µs of the monotonic clock (the profiles' timestamps).`]
          : []),
        `Node A runs in the benchmark process, B and C are separate processes, warmed before (a) by replicating and then deleting ${warmClients.toLocaleString('en-US')} clients (as a running node, not a fresh one, would be); DISTRO_SYNC_DELAY_MS=${config.distro.syncDelayMs}, ${BATCH} clients per sync call, ${IN_FLIGHT} calls in flight per peer (the raw baseline too), ${samples} latency samples at ~40/s polled over HTTP every 1 ms (the poll adds up to ~2 ms). (c): one round of A against B and C (verify interval 600 s, so no timer round interferes): ${round.lacking} clients found different${round.discarded > 0 ? `, ${round.discarded} round(s) discarded because a peer changed state meanwhile (its own verify would have been counted)` : ''}.`,
      ],
    };
  } finally {
    await a.close();
    await Promise.all(children.map(stopBenchNode));
  }
}

// ---- (d) restart and (e) partition ----------------------------------------------------------

interface DistroStatus {
  self: string;
  initialized: boolean;
  initState: string;
  members: Array<{ id: string; state: string; queueDepth: number }>;
  ownedClients: number;
  replicatedClients: number;
  tombstones: number;
  removedClients: number;
}

interface NacosMetrics {
  instanceCount: number;
  clientCount: number;
}

const FAULT_PER_CLIENT = 10;
const FAULT_PORT = 8080;
/** Nacos HTTP writes in flight per writing side (keep-alive connections to one node). */
const WRITERS = 16;

/** The ip of ip-port client k of the fault cluster (one ip:port per client, in 10 services). */
function faultIp(k: number): string {
  return `10.${64 + ((k >> 16) & 63)}.${(k >> 8) & 255}.${k & 255}`;
}

function faultService(k: number, j: number): string {
  return `svc-${(k * FAULT_PER_CLIENT + j) % 100}`;
}

function nacosWrite(
  method: NacosWrite['method'],
  k: number,
  j: number,
  extra: Record<string, string> = {},
): NacosWrite {
  return { method, query: { serviceName: faultService(k, j), ip: faultIp(k), port: String(FAULT_PORT), ...extra } };
}

function meta(fields: Record<string, string>): Record<string, string> {
  return { metadata: JSON.stringify(fields) };
}

/** Takes one item of each list in turn, so the kinds of write (and the two sides' conflicts) interleave. */
function interleave<T>(...lists: T[][]): T[] {
  const out: T[] = [];
  for (let i = 0; i < Math.max(...lists.map((l) => l.length)); i++) {
    for (const list of lists) if (i < list.length) out.push(list[i]);
  }
  return out;
}

function range<T>(from: number, count: number, make: (k: number) => T): T[] {
  return Array.from({ length: count }, (_, i) => make(from + i));
}

/** A's sync calls (first) and every node's verify calls (second), summed over labels. */
async function distroTraffic(bases: readonly string[]): Promise<[number, number]> {
  const [sync, ...verify] = await Promise.all([
    counter(bases[0], 'distro_sync_rpcs_total'),
    ...bases.map((b) => counter(b, 'distro_verify_rpcs_total')),
  ]);
  return [sync, verify.reduce((x, v) => x + v, 0)];
}

/** Sum of a counter over all its labels, from a node's /metrics. */
async function counter(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'gm'))) sum += Number(m[1]);
  return sum;
}

/**
 * Calls per peer of one verify round of an in-process node, from its distro_verify_rpcs_total. A
 * peer turning UP meanwhile starts a verify of its own (outside the round) that the counter would
 * add, so a round during which membership changed (or that found another round running) is run
 * again, up to five times; `discarded` says how many were.
 */
async function verifyRoundCalls(
  runtime: NonNullable<DistroRouting['runtime']>,
  base: string,
): Promise<{ perPeer: number; lacking: number; discarded: number }> {
  let changes = 0;
  runtime.members.onChange(() => changes++);
  const peers = runtime.members.peers().length;
  let result = { perPeer: 0, lacking: 0, discarded: 0 };
  for (let attempt = 0; attempt < 5; attempt++) {
    const changesBefore = changes;
    const [calls0, lacking0] = await Promise.all([
      counter(base, 'distro_verify_rpcs_total'),
      counter(base, 'distro_verify_mismatches_total'),
    ]);
    await runtime.engine.verifyRound();
    const [calls1, lacking1] = await Promise.all([
      counter(base, 'distro_verify_rpcs_total'),
      counter(base, 'distro_verify_mismatches_total'),
    ]);
    result = { perPeer: (calls1 - calls0) / peers, lacking: lacking1 - lacking0, discarded: attempt };
    if (changes === changesBefore && calls1 > calls0) break;
  }
  return result;
}

interface Convergence {
  /** performance.now() when the full read that found all nodes identical began. */
  at: number;
  /** How long that confirming read of every node's listing took. */
  confirmMs: number;
  fullReads: number;
  instances: number;
  /** When every node first saw every peer UP (performance.now()), if it happened while waiting. */
  allUpAt?: number;
  statuses: DistroStatus[];
}

/**
 * Waits until every node lists identical content. Each step asks each node for its counts (a few
 * hundred bytes); when instance and client counts agree everywhere — and tombstone counts too, with
 * every peer UP and no sync queued, or 10 s have passed since the last full read — it reads every
 * node's whole listing over HTTP (readContent, in a worker thread) and compares. A full read makes
 * each node serialise its whole registry, so it is kept for when the counts say it may match.
 * Returns when a full read matches; its start is the moment reported, with how long the read took.
 */
async function untilIdentical(reader: ContentReader, bases: string[], timeoutMs: number): Promise<Convergence> {
  const deadline = performance.now() + timeoutMs;
  let fullReads = 0;
  let lastFull = -Infinity;
  let allUpAt: number | undefined;
  let last = 'no answer yet';
  let statuses: DistroStatus[] | undefined;
  let statusAt = -Infinity;
  for (;;) {
    if (performance.now() > deadline) throw new Error(`nodes not identical after ${timeoutMs} ms: ${last}`);
    try {
      const metrics = await Promise.all(
        bases.map((b) => getJson<NacosMetrics>(`${b}/nacos/v1/ns/operator/metrics?onlyStatus=false`)),
      );
      const counts = metrics.map((m) => `${m.instanceCount}/${m.clientCount}`);
      const countsAgree = counts.every((c) => c === counts[0]);
      // The Distro status walks every client (about 2 ms of CPU at 10,000): every 100 ms, or when the counts agree.
      if (countsAgree || performance.now() - statusAt >= 100) {
        statusAt = performance.now();
        statuses = await Promise.all(bases.map((b) => getJson<DistroStatus>(`${b}/api/v1/distro`)));
        if (allUpAt === undefined && statuses.every((s) => s.members.every((m) => m.state === 'UP'))) {
          allUpAt = statusAt;
        }
      }
      const history = (statuses ?? []).map((s) => `${s.tombstones}/${s.removedClients}`);
      last = `instances/clients ${counts.join(' ')}, tombstones/removed clients ${history.join(' ')}`;
      // Nothing left to send and everyone in reach: the moment a full read is likely to match.
      const settled =
        statuses !== undefined &&
        history.every((h) => h === history[0]) &&
        statuses.every((s) => s.members.every((m) => m.state === 'UP' && m.queueDepth === 0));
      const ready = statuses !== undefined && statuses.every((s) => s.initialized);
      if (ready && countsAgree && (settled || performance.now() - lastFull > 10_000)) {
        const started = performance.now();
        lastFull = started;
        fullReads++;
        const contents = await reader.read(bases);
        if (sameContent(contents)) {
          return {
            at: started,
            confirmMs: performance.now() - started,
            fullReads,
            instances: contents[0].instances,
            allUpAt,
            statuses: await Promise.all(bases.map((b) => getJson<DistroStatus>(`${b}/api/v1/distro`))),
          };
        }
        last = `counts agree (${counts[0]}) but listings differ`;
      }
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function fmtS(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/**
 * (d) and (e): a second three-node cluster — A in this process, B and C as processes — at the
 * production probe and verify intervals (2 s, 5 s), holding `clients` ip-port clients of 10
 * instances each, registered on A. C's Distro traffic runs through a PartitionSwitch.
 */
async function runFaults(quick: boolean): Promise<Part> {
  const clients = quick ? 1000 : 10_000;
  const instances = clients * FAULT_PER_CLIENT;
  const [aDistro, bDistro, cDistro, bHttp, cHttp] = await freePorts(5);
  const sw = await PartitionSwitch.start(cDistro);
  const ids = [`127.0.0.1:${aDistro}`, `127.0.0.1:${bDistro}`, `127.0.0.1:${sw.inboundPort}`];
  const common = {
    DISTRO_MEMBERS: ids.join(','),
    DISTRO_TOKEN: BENCH_TOKEN,
    DISTRO_BOOTSTRAP_WAIT_MS: '500',
    // Nobody beats in the benchmark: keep its ip-port instances healthy and registered throughout.
    NACOS_CLIENT_BEAT_UNHEALTHY_MS: '3600000',
    NACOS_CLIENT_BEAT_DELETE_MS: '3600000',
    BODY_LIMIT_BYTES: String(16 * 1048576),
  };
  const bEnv = { ...common, HTTP_PORT: String(bHttp), DISTRO_PORT: String(bDistro) };
  const cEnv = { ...common, HTTP_PORT: String(cHttp), DISTRO_PORT: String(cDistro), DISTRO_SELF: ids[2], ...sw.env() };
  const children: ChildProcess[] = [spawnBenchNode(bEnv), spawnBenchNode(cEnv)];
  const logDir = process.env.DISTRO_BENCH_LOGS;
  const config = AppConfig.fromEnv({
    ...common,
    HOST: '127.0.0.1',
    HTTP_PORT: '0',
    DISTRO_PORT: String(aDistro),
    DATA_DIR: 'memory',
    LOG_LEVEL: logDir ? 'info' : 'warn',
  });
  const logFd = logDir ? openSync(join(logDir, `node-a-${Date.now()}.log`), 'a') : undefined;
  const sink = new Writable({
    write: (chunk: Buffer, _e, cb) => {
      if (logFd !== undefined) writeSync(logFd, chunk);
      cb();
    },
  });
  /** With DISTRO_BENCH_LOGS, the phases' wall-clock times go to the same folder, to read beside the nodes' logs. */
  const mark = (event: string, at = performance.now()) => {
    if (logFd !== undefined)
      writeSync(logFd, `${new Date(performance.timeOrigin + at).toISOString()} bench: ${event}\n`);
  };
  const a = await startNode(config, createRootLogger(config, sink));
  const reader = new ContentReader();
  const bases = [`http://127.0.0.1:${a.httpPort}`, `http://127.0.0.1:${bHttp}`, `http://127.0.0.1:${cHttp}`];
  const status = (i: number) => getJson<DistroStatus>(`${bases[i]}/api/v1/distro`);
  const allUp = async () =>
    (await Promise.all(bases.map((_, i) => status(i)))).every(
      (s) => s.initialized && s.members.every((m) => m.state === 'UP'),
    );
  try {
    await eventually(allUp, { timeoutMs: 90_000, intervalMs: 100 });
    // Load: every client registered on A as a v1 registration is (ip-port, versioned), 10 services each.
    const registry = a.app.get(Registry);
    const now = Date.now();
    for (let k = 0; k < clients; k++) {
      const ip = faultIp(k);
      for (let j = 0; j < FAULT_PER_CLIENT; j++) {
        registry.registerInstance(
          `${ip}:${FAULT_PORT}#true`,
          'ipport',
          { namespace: 'public', group: 'DEFAULT_GROUP', name: faultService(k, j) },
          { ip, port: FAULT_PORT, metadata: { version: 'v1', zone: 'a' } },
          { now },
        );
      }
    }
    await untilIdentical(reader, bases, 300_000);

    // (d) restart: SIGKILL B, write through A while it is down, start B again on the same ports.
    const changes = clients / 10;
    const killedAt = performance.now();
    const exited = new Promise((resolve) => children[0].once('exit', resolve));
    children[0].kill('SIGKILL');
    await exited;
    const restartWrites = interleave(
      range(0, changes, (k) => nacosWrite('PUT', k, 0, { weight: '2', ...meta({ version: 'v2', zone: 'a' }) })),
      range(changes, changes, (k) => nacosWrite('DELETE', k, 0)),
    );
    const w1 = await sendWrites(bases[0], restartWrites, WRITERS);
    if (w1.failed > 0) throw new Error(`${w1.failed} writes through A failed while B was down: ${w1.firstFailure}`);
    const seenB = (await Promise.all([status(0), status(2)])).map((s) => s.members.find((m) => m.id === ids[1])?.state);
    const verifyBefore = await Promise.all([
      counter(bases[0], 'distro_verify_rpcs_total'),
      counter(bases[2], 'distro_verify_rpcs_total'),
    ]);
    mark(`killed B at`, killedAt);
    mark('writes through A done; starting B again');
    const spawnedAt = performance.now();
    children[0] = spawnBenchNode(bEnv);
    let readyAt = 0;
    await eventually(
      async () => {
        // The init gate answers every Nacos route 503 until the snapshot is loaded; this one is constant time.
        const m = await getJson<Partial<NacosMetrics>>(`${bases[1]}/nacos/v1/ns/operator/metrics?onlyStatus=false`);
        if (typeof m.instanceCount !== 'number') return false;
        readyAt = performance.now();
        return true;
      },
      { timeoutMs: 120_000, intervalMs: 10 },
    );
    // The restarted node's own figure for loading its snapshot (the engine's observer sets it once).
    const snapshotSeconds = await counter(bases[1], 'distro_snapshot_duration_seconds');
    if (!(snapshotSeconds > 0)) throw new Error('the restarted B opened without loading a snapshot');
    mark('B ready', readyAt);
    const restart = await untilIdentical(reader, bases, 120_000);
    mark(`identical (confirmed by a ${Math.round(restart.confirmMs)} ms read)`, restart.at);
    const verifyAfter = await Promise.all([0, 1, 2].map((i) => counter(bases[i], 'distro_verify_rpcs_total')));
    const restartVerifyCalls = verifyAfter[0] - verifyBefore[0] + verifyAfter[1] + (verifyAfter[2] - verifyBefore[1]);
    const expectedAfterRestart = instances - changes;
    if (restart.instances !== expectedAfterRestart) {
      throw new Error(
        `after the restart every node lists ${restart.instances} instances, expected ${expectedAfterRestart}`,
      );
    }
    const updated = await getJson<{ weight: number }>(
      `${bases[1]}/nacos/v1/ns/instance?serviceName=${faultService(0, 0)}&ip=${faultIp(0)}&port=${FAULT_PORT}`,
    );
    if (updated.weight !== 2) throw new Error(`the restarted B lists a write made while it was down as before it`);

    // (e) partition: cut C off, write on both sides (with conflicts), heal.
    await eventually(allUp, { timeoutMs: 120_000, intervalMs: 100 });
    const cutAt = performance.now();
    await sw.cut();
    await eventually(
      async () => {
        const [sa, sb, sc] = await Promise.all([status(0), status(1), status(2)]);
        const cState = (s: DistroStatus) => s.members.find((m) => m.id === ids[2])?.state;
        return cState(sa) === 'DOWN' && cState(sb) === 'DOWN' && sc.members.every((m) => m.state === 'DOWN');
      },
      { timeoutMs: 120_000, intervalMs: 100 },
    );
    const downAt = performance.now();
    mark('cut', cutAt);
    mark('every side sees the other DOWN', downAt);
    const q = clients / 20;
    const half = q / 2;
    const fresh = clients; // first client number above the loaded ones
    const [d1, u1, d2] = [(2 * clients) / 10, (3 * clients) / 10, (4 * clients) / 10];
    const abSide = interleave(
      range(fresh, q, (k) => nacosWrite('POST', k, 0, meta({ version: 'v1', side: 'ab' }))),
      range(d1, q, (k) => nacosWrite('DELETE', k, 2)),
      range(u1, q, (k) => nacosWrite('PUT', k, 2, meta({ version: 'v3', side: 'ab' }))),
      range(d2, half, (k) => nacosWrite('PUT', k, 2, { weight: '3', ...meta({ side: 'ab' }) })),
      range(fresh + 2 * q, half, (k) => nacosWrite('POST', k, 0, meta({ side: 'ab' }))),
    );
    const cSide = interleave(
      range(fresh + q, q, (k) => nacosWrite('POST', k, 0, meta({ version: 'v1', side: 'c' }))),
      range(d2, q, (k) => nacosWrite('DELETE', k, 2)),
      range(u1 + half, q, (k) => nacosWrite('PUT', k, 2, meta({ version: 'v3', side: 'c' }))),
      range(d1, half, (k) => nacosWrite('PUT', k, 2, { weight: '3', ...meta({ side: 'c' }) })),
      range(fresh + 2 * q, half, (k) => nacosWrite('POST', k, 0, meta({ side: 'c' }))),
    );
    const [wa, wc] = await Promise.all([sendWrites(bases[0], abSide, WRITERS), sendWrites(bases[2], cSide, WRITERS)]);
    if (wa.failed + wc.failed > 0) {
      throw new Error(`writes during the partition failed: ${wa.firstFailure ?? ''} ${wc.firstFailure ?? ''}`);
    }
    const verifyBeforeHeal = await Promise.all([0, 1, 2].map((i) => counter(bases[i], 'distro_verify_rpcs_total')));
    const healedAt = performance.now();
    await sw.heal();
    mark('healed', healedAt);
    const heal = await untilIdentical(reader, bases, 300_000);
    if (heal.allUpAt !== undefined) mark('every node sees every peer UP', heal.allUpAt);
    mark(`identical (confirmed by a ${Math.round(heal.confirmMs)} ms read, ${heal.fullReads} full reads)`, heal.at);
    const verifyAfterHeal = await Promise.all([0, 1, 2].map((i) => counter(bases[i], 'distro_verify_rpcs_total')));
    const healVerifyCalls = verifyAfterHeal.reduce((x, v, i) => x + v - verifyBeforeHeal[i], 0);
    // Registrations: q new on each side, and half q on both (the same instances); deregistrations: q
    // on each side, half q of each met an update on the other side: those survive or not by version.
    const base = expectedAfterRestart + half;
    const survivors = heal.instances - base;
    if (survivors < 0 || survivors > q) {
      throw new Error(
        `after the partition every node lists ${heal.instances} instances, expected ${base} to ${base + q}`,
      );
    }

    // (c) again, here: one verify round of A with every peer, with ip-port clients and tombstones.
    const routing = a.app.get(DistroRouting);
    const round = await verifyRoundCalls(routing.runtime!, bases[0]);
    const tombstones = heal.statuses.map((s) => s.tombstones);

    const n = (x: number) => x.toLocaleString('en-US');
    const restartAfterReady = (restart.at - readyAt) / 1000;
    const healSeconds = (heal.at - healedAt) / 1000;
    const upSeconds = heal.allUpAt === undefined ? undefined : (heal.allUpAt - healedAt) / 1000;
    return {
      rows: [
        {
          metric: `(d) B SIGKILLed and restarted → all 3 nodes list identical content, ${n(instances)} instances / ${n(clients)} ip-port clients, s after B is ready`,
          value: restartAfterReady,
          unit: 's',
          baseline: { name: "B's own snapshot load", value: snapshotSeconds },
          target: '≤ 5 s after ready',
        },
        {
          metric: `(e) C cut off, ${n(abSide.length + cSide.length)} writes on both sides, healed → all 3 identical`,
          value: healSeconds,
          unit: 's',
          ...(upSeconds === undefined
            ? {}
            : { baseline: { name: 'healed → every node sees every peer UP again (probes)', value: upSeconds } }),
          target: '≤ 30 s',
        },
      ],
      notes: [
        `(d) and (e) run on a second cluster of the same shape at the production intervals (probe 2 s, verify 5 s, DISTRO_REPLICATION_TIMEOUT_MS 500 ms), holding ${n(instances)} instances of ${n(clients)} ip-port clients (one ip:port in 10 of 100 services each, registered on A as v1 registrations are, so versioned by A; beat expiry set to 1 h since nothing beats). "Identical" is read as a Nacos client reads it: every node's /nacos/v1/ns/service/list and /instance/list of every service, hosts sorted, hashed over cluster, ip:port, weight, health and metadata; a full read (in a worker thread of the bench process) starts when every node's instance and client counts agree (its Nacos server metrics, polled every 20 ms; its Distro status every 100 ms) and either their tombstone counts agree with every peer UP and no sync queued, or 10 s have passed since the last full read; the moment reported is the start of the full read that matched (it took ${fmtS(restart.confirmMs)} after the restart and ${fmtS(heal.confirmMs)} after the heal, ${restart.fullReads} and ${heal.fullReads} full reads). Tombstones held per node at the end: ${tombstones.map(n).join(', ')}.`,
        `(d): B was SIGKILLed; ${n(restartWrites.length)} Nacos v1 writes through A's HTTP (${n(changes)} updates of weight and metadata, ${n(changes)} deregistrations; those of B's clients taken by A as a stand-in, C's forwarded to C) took ${w1.seconds.toFixed(2)} s, ${WRITERS} in flight (each answered after a peer held it: p50 ${w1.p50Ms.toFixed(1)} ms, p99 ${w1.p99Ms.toFixed(1)} ms); A and C then saw B ${seenB.join(' and ')}. B was started again ${fmtS(spawnedAt - killedAt)} after the kill and was ready (its init gate open: /nacos/v1/ns/operator/metrics answered, polled every 10 ms) ${fmtS(readyAt - spawnedAt)} after its start, having loaded its snapshot (${n(clients)} clients) in ${snapshotSeconds.toFixed(3)} s (its distro_snapshot_duration_seconds); every node listed the same ${n(restart.instances)} instances ${restartAfterReady.toFixed(2)} s after that. Verify calls from B's restart to that moment, all nodes: ${restartVerifyCalls}.`,
        `(e): C's Distro traffic runs through two proxies in the bench process (peers reach it through a TCP proxy, the address it is listed at; it reaches them through an HTTP CONNECT proxy set as grpc_proxy), both cut at once: connections dropped, new ones refused. A, B and C saw each other DOWN ${fmtS(downAt - cutAt)} after the cut; then, at the same time, ${n(abSide.length)} writes through A (${n(q)} registrations of new clients, ${n(q)} deregistrations, ${n(q)} metadata updates, ${n(half)} updates of instances C deregisters, ${n(half)} registrations of instances C registers too) in ${wa.seconds.toFixed(2)} s (p50 ${wa.p50Ms.toFixed(1)} ms, p99 ${wa.p99Ms.toFixed(1)} ms) and ${n(cSide.length)} through C (the mirror image: ${n(half)} of its metadata updates hit instances A updates, ${n(half)} update instances A deregisters) in ${wc.seconds.toFixed(2)} s (p50 ${wc.p50Ms.toFixed(1)} ms, p99 ${wc.p99Ms.toFixed(1)} ms; no peer to wait for). Healed ${fmtS(healedAt - downAt)} after both sides saw DOWN; every node listed the same ${n(heal.instances)} instances ${healSeconds.toFixed(2)} s later (of the ${n(q)} instances deregistered on one side and updated on the other, ${n(survivors)} are listed: the later write won everywhere), with ${healVerifyCalls} verify calls from all nodes.`,
        `(c) in this cluster after (e), with ${n(clients + 2 * q + half)} ip-port clients and their tombstones: one verify round of A made ${round.perPeer} call(s) per peer (${round.lacking} clients found different${round.discarded > 0 ? `; ${round.discarded} round(s) discarded for a membership change` : ''}).`,
      ],
    };
  } finally {
    await a.close();
    await Promise.all(children.map(stopBenchNode));
    await sw.stop();
    await reader.stop();
    if (logFd !== undefined) closeSync(logFd);
  }
}

// ---- (f) memory ----------------------------------------------------------------------------------

function runChild<T>(args: string[]): Promise<T> {
  return new Promise((resolveRun, reject) => {
    execFile(process.execPath, args, { maxBuffer: 1 << 20 }, (err, stdout) => {
      if (err) reject(new Error(`${args.join(' ')} failed: ${err.message}`));
      else resolveRun(JSON.parse(stdout.trim().split('\n').pop() ?? '') as T);
    });
  });
}

/** (f): tombstones' memory, and that purgeHistory gives it back, in a child process with --expose-gc. */
async function runMemory(count: number): Promise<Part> {
  const m = await runChild<TombstoneReport>([
    '--expose-gc',
    join(__dirname, 'registry-memory.js'),
    'tombstones',
    String(count),
  ]);
  const n = count.toLocaleString('en-US');
  return {
    rows: [
      {
        metric: `(f) heap per tombstone: ${n} ip-port clients of one instance each, all deregistered (each client kept as a ghost for its tombstone)`,
        value: m.heapBytesPerTombstone,
        unit: 'B',
        baseline: { name: 'heap per live instance of the same clients, versioned', value: m.heapBytesPerInstance },
      },
      {
        metric: `(f) heap per tombstone in a client that lives on (9 of 10 instances deregistered)`,
        value: m.heapBytesPerTombstoneInLiveClient,
        unit: 'B',
      },
      {
        metric: `(f) heap left of the ${n} tombstones after purgeHistory past the window`,
        value: m.heapBytesAfterPurge / 1024,
        unit: 'KiB',
        baseline: { name: `heap of the ${n} tombstones`, value: (m.heapBytesPerTombstone * count) / 1024 },
        target: 'returns',
      },
    ],
    notes: [
      `(f) in a child process with --expose-gc, a bare Registry stamped as a cluster member, after three forced GCs at each step: ${n} ip-port clients registered (heap ${Math.round(m.heapBytesPerInstance)} B and RSS ${Math.round(m.rssBytesPerInstance)} B per instance at this size; the registry benchmark measures RSS per instance at 1,000,000), then all deregistered: ${m.tombstones.toLocaleString('en-US')} tombstones in ${m.ghosts.toLocaleString('en-US')} removed clients, RSS ${Math.round(m.rssBytesPerTombstone)} B per tombstone; purgeHistory(now + window, window) dropped ${m.purged.toLocaleString('en-US')} and left ${m.ghostsAfterPurge} removed clients, heap ${Math.round(m.heapBytesAfterPurge / 1024).toLocaleString('en-US')} KiB above the empty registry, RSS ${Math.round(m.rssBytesAfterPurge / 1048576)} MiB (V8 keeps pages it grew into). The tombstone in a live client: the heap of ${(count / 10).toLocaleString('en-US')} clients of 10 instances with 9 deregistered, less that of the same clients holding only the kept instance, over ${((count / 10) * 9).toLocaleString('en-US')} tombstones.`,
    ],
  };
}
