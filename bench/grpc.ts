/**
 * `npm run bench -- grpc [--quick]`: registrations per second through the Nacos gRPC protocol
 * (single and batched by 100) against raw grpc-js unary calls carrying the same bytes in the same
 * run, and push latency from a change to its receipt by every one of many subscribers.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { BenchOptions, BenchResult, BenchRow } from './run';
import { NacosTransport } from '@/nacos/client';
import type { NacosInstance } from '@/nacos/grpc/messages';
import { encodePayload } from '@/nacos/grpc/payload';
import { nacosProto, serviceClient } from '@/nacos/grpc/protos';
import { instanceInputs } from '@/nacos/grpc/naming-input';
import { Registry, serviceKey } from '@/registry';
import { percentile, rawCaller, startNacosGrpc, startRawEcho, throughput } from './grpc-rigs';
import type { SubscriberCommand, SubscriberMessage } from './grpc-subscribers';

const CONCURRENCY = 32;
/** Processes the subscribers are spread over, so receiving is not one event loop reading every connection. */
const SUBSCRIBER_PROCESSES = 4;

function instance(i: number): NacosInstance {
  return {
    ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    port: 8080,
    metadata: { zone: 'a', version: '1.0.0' },
  };
}

function naming(service: string): { module: string; namespace: string; groupName: string; serviceName: string } {
  return { module: 'naming', namespace: 'public', groupName: 'DEFAULT_GROUP', serviceName: service };
}

/** The serialized Payload of a request, as the client puts it on the wire. */
function wireBytes(type: string, body: object): Buffer {
  const serialize = serviceClient(nacosProto(), 'Request').service.request.requestSerialize;
  return serialize(encodePayload(type, body));
}

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const singles = quick ? 3000 : 20000;
  const batches = quick ? 60 : 300;
  const subscribers = quick ? 200 : 1000;
  const changes = quick ? 10 : 30;
  const rig = await startNacosGrpc();
  const server = `127.0.0.1:${rig.server.port}`;
  const rows: BenchRow[] = [];
  const transports: NacosTransport[] = [];
  const connect = async (): Promise<NacosTransport> => {
    const transport = new NacosTransport({
      servers: [server],
      healthCheckIntervalMs: 600_000,
      requestTimeoutMs: 30_000,
    });
    await transport.start();
    transports.push(transport);
    return transport;
  };
  try {
    const writer = await connect();
    const sample = { ...naming('bench-single'), type: 'registerInstance', instance: instance(1), requestId: '1' };
    const echo = await startRawEcho(
      wireBytes('InstanceResponse', {
        resultCode: 200,
        errorCode: 0,
        message: null,
        requestId: '1',
        success: true,
        type: 'registerInstance',
      }),
    );
    const raw = rawCaller(echo.port);
    try {
      // Warm both paths so JIT and connection set-up are not measured.
      await throughput(500, CONCURRENCY, (i) =>
        writer
          .request('InstanceRequest', { ...naming('warm'), type: 'registerInstance', instance: instance(i) })
          .then(() => undefined),
      );
      await throughput(500, CONCURRENCY, () => raw.call(wireBytes('InstanceRequest', sample)));

      const singleBytes = wireBytes('InstanceRequest', sample);
      const rawSingle = await throughput(singles, CONCURRENCY, () => raw.call(singleBytes));
      const nacosSingle = await throughput(singles, CONCURRENCY, (i) =>
        writer
          .request('InstanceRequest', { ...naming('bench-single'), type: 'registerInstance', instance: instance(i) })
          .then(() => undefined),
      );
      rows.push({
        metric: `registrations/s, InstanceRequest (${CONCURRENCY} in flight)`,
        value: nacosSingle,
        unit: 'reg/s',
        baseline: { name: 'raw grpc-js unary, same bytes', value: rawSingle },
        ratio: nacosSingle / rawSingle,
        target: '≥ 0.5',
      });

      const prebuilt = Array.from({ length: batches }, (_, b) =>
        Array.from({ length: 100 }, (_, i) => instance(b * 100 + i)),
      );
      const batchOf = (b: number): NacosInstance[] => prebuilt[b];
      const batchBytes = wireBytes('BatchInstanceRequest', {
        ...naming('bench-batch-0'),
        type: 'batchRegisterInstance',
        instances: batchOf(0),
      });
      // Batches come from 32 connections (as from 32 applications): the registry reconciles a batch
      // against everything its client publishes, so one connection writing hundreds of services
      // would measure that instead of the protocol.
      const batchWriters = await Promise.all(Array.from({ length: CONCURRENCY }, () => connect()));
      const batchInto =
        (prefix: string) =>
        (b: number): Promise<void> =>
          batchWriters[b % CONCURRENCY]
            .request('BatchInstanceRequest', {
              ...naming(`${prefix}-${b}`),
              type: 'batchRegisterInstance',
              instances: batchOf(b),
            })
            .then(() => undefined);
      // Both paths are warmed with batches first (services of their own). Raw is measured first:
      // measured after, it would pay for the collections of what the Nacos batches left in the heap.
      const warm = Math.min(30, batches);
      await throughput(warm, CONCURRENCY, () => raw.call(batchBytes));
      await throughput(warm, CONCURRENCY, batchInto('warm-batch'));
      const rawBatch = (await throughput(batches, CONCURRENCY, () => raw.call(batchBytes))) * 100;
      const nacosBatch = (await throughput(batches, CONCURRENCY, batchInto('bench-batch'))) * 100;
      rows.push({
        metric: 'registrations/s, BatchInstanceRequest of 100',
        value: nacosBatch,
        unit: 'reg/s',
        baseline: { name: 'raw grpc-js unary, same bytes', value: rawBatch },
        ratio: nacosBatch / rawBatch,
        target: '≥ 0.5',
      });
      // The same batches, validated as the server does, straight into a bare Registry: the naming core's own cost.
      const bare = new Registry();
      const started = process.hrtime.bigint();
      for (let b = 0; b < batches; b++) {
        bare.batchRegister(
          `c${b % CONCURRENCY}`,
          'connection',
          serviceKey('public', 'DEFAULT_GROUP', `bench-batch-${b}`),
          instanceInputs(batchOf(b)),
        );
      }
      const registryOnly = (batches * 100) / (Number(process.hrtime.bigint() - started) / 1e9);
      rows.push({
        metric: 'registrations/s, BatchInstanceRequest of 100 vs the registry alone',
        value: nacosBatch,
        unit: 'reg/s',
        baseline: { name: 'Registry.batchRegister in-process, same batches', value: registryOnly },
        ratio: nacosBatch / registryOnly,
      });
    } finally {
      raw.close();
      echo.close();
    }

    // Push latency: subscribers in child processes (like remote clients) each hold a connection
    // subscribed to one service; every change is timed from the moment the writer sends it to
    // the moment each subscriber receives the push (one absolute high-resolution clock).
    const processes = Math.min(SUBSCRIBER_PROCESSES, subscribers);
    const children = Array.from({ length: processes }, (_, i) => {
      const share = Math.floor(subscribers / processes) + (i < subscribers % processes ? 1 : 0);
      return fork(join(__dirname, 'grpc-subscribers.js'), [server, String(share), 'bench-push'], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
    });
    /** Per host count: receipt times so far, the processes that reported them all, and the waiter. */
    const arrivals = new Map<number, { times: number[]; reported: Set<ChildProcess>; done: () => void }>();
    const waitFor = (hosts: number): Promise<void> =>
      new Promise((resolve) => arrivals.set(hosts, { times: [], reported: new Set(), done: resolve }));
    let ready = 0;
    let allReady: () => void = () => undefined;
    const started = new Promise<void>((resolve, reject) => {
      allReady = resolve;
      for (const child of children) {
        child.once('exit', (code) => reject(new Error(`subscriber process exited (${code})`)));
      }
    });
    for (const child of children) {
      child.on('message', (message: SubscriberMessage) => {
        if (message.ready && ++ready === processes) allReady();
        if (message.hosts === undefined || message.receipts === undefined) return;
        const arrival = arrivals.get(message.hosts);
        if (arrival === undefined || arrival.reported.has(child)) return;
        arrival.reported.add(child);
        arrival.times.push(...message.receipts);
        if (arrival.reported.size === processes) arrival.done();
      });
    }
    await started;
    const latencies: number[] = [];
    const fanOuts: number[] = [];
    for (let change = 1; change <= changes; change++) {
      const arrived = waitFor(change);
      const changeAt = performance.timeOrigin + performance.now();
      await writer.request('InstanceRequest', {
        ...naming('bench-push'),
        type: 'registerInstance',
        instance: instance(change),
      });
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, 5000)));
      await Promise.race([arrived, late]);
      clearTimeout(timer);
      const arrival = arrivals.get(change);
      if (arrival !== undefined && arrival.reported.size < processes) {
        // Some subscribers never got this state: collect what did arrive.
        for (const child of children) {
          if (!arrival.reported.has(child)) child.send({ report: change } satisfies SubscriberCommand);
        }
        await Promise.race([arrived, new Promise((resolve) => setTimeout(resolve, 1000))]);
      }
      for (const at of arrival?.times ?? []) latencies.push(at - changeAt);
      arrivals.delete(change);
      fanOuts.push(rig.server.push.stats.lastFanOutMs);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const child of children) child.send({ stop: true } satisfies SubscriberCommand);
    latencies.sort((a, b) => a - b);
    const delivered = latencies.length / (subscribers * changes);
    fanOuts.sort((a, b) => a - b);
    rows.push({
      metric: `server fan-out p99, change queued → last of ${subscribers} pushes written`,
      value: percentile(fanOuts, 99),
      unit: 'ms',
    });
    rows.push({ metric: `push latency p50, ${subscribers} subscribers`, value: percentile(latencies, 50), unit: 'ms' });
    rows.push({
      metric: `push latency p99, ${subscribers} subscribers`,
      value: percentile(latencies, 99),
      unit: 'ms',
      target: '≤ 50 ms',
    });
    rows.push({ metric: 'pushes delivered', value: delivered * 100, unit: '%', target: '100 %' });
  } finally {
    for (const transport of transports) transport.close();
    await rig.close();
  }
  return {
    name: 'grpc',
    rows,
    notes: [
      `Nacos gRPC server class on its own (no HTTP, no database), our client and the server in one process on loopback; ${CONCURRENCY} requests in flight on one connection, batches from ${CONCURRENCY} connections. Push latency: ${subscribers} real connections (handshake, subscription, an acknowledgement per push) spread over ${SUBSCRIBER_PROCESSES} child processes, each receipt timed on the shared absolute clock from the writer's send; the first change of a quiet service is pushed in the next turn, NACOS_GRPC_PUSH_DELAY_MS only holds changes that follow a push.`,
    ],
  };
}
