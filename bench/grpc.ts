/**
 * `npm run bench -- grpc [--quick]`: registrations per second through the Nacos gRPC protocol
 * (single and batched by 100) against raw grpc-js unary calls carrying the same bytes in the same
 * run, and push latency from a change to its receipt by every one of many subscribers.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import type { BenchOptions, BenchResult, BenchRow } from './run';
import { NacosTransport } from '@/nacos/client';
import type { NacosInstance } from '@/nacos/grpc/messages';
import { encodePayload } from '@/nacos/grpc/payload';
import { nacosProto, serviceClient } from '@/nacos/grpc/protos';
import { instanceInputs } from '@/nacos/grpc/naming-input';
import { Registry, serviceKey } from '@/registry';
import { percentile, rawCaller, startNacosGrpc, startRawEcho, throughput } from './grpc-rigs';

const CONCURRENCY = 32;

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
      const rawBatch = (await throughput(batches, CONCURRENCY, () => raw.call(batchBytes))) * 100;
      // Batches come from 32 connections (as from 32 applications): the registry reconciles a batch
      // against everything its client publishes, so one connection writing hundreds of services
      // would measure that instead of the protocol.
      const batchWriters = await Promise.all(Array.from({ length: CONCURRENCY }, () => connect()));
      const nacosBatch =
        (await throughput(batches, CONCURRENCY, (b) =>
          batchWriters[b % CONCURRENCY]
            .request('BatchInstanceRequest', {
              ...naming(`bench-batch-${b}`),
              type: 'batchRegisterInstance',
              instances: batchOf(b),
            })
            .then(() => undefined),
        )) * 100;
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

    // Push latency: subscribers in a child process (like remote clients) each hold a connection
    // subscribed to one service; every change is timed from the moment the writer sends it to
    // the moment each subscriber receives the push (absolute high-resolution clocks).
    const child = fork(join(__dirname, 'grpc-subscribers.js'), [server, String(subscribers), 'bench-push'], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const receipts: Array<[number, number]> = [];
    const ready = new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`subscriber process exited (${code})`)));
      child.on('message', (message: { ready?: boolean; receipts?: Array<[number, number]> }) => {
        if (message.ready) resolve();
        if (message.receipts) receipts.push(...message.receipts);
      });
    });
    await ready;
    const latencies: number[] = [];
    const fanOuts: number[] = [];
    for (let change = 1; change <= changes; change++) {
      const changeAt = performance.timeOrigin + performance.now();
      await writer.request('InstanceRequest', {
        ...naming('bench-push'),
        type: 'registerInstance',
        instance: instance(change),
      });
      const deadline = Date.now() + 5000;
      const received = (): Array<[number, number]> => receipts.filter(([hosts]) => hosts === change);
      while (received().length < subscribers && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 5));
      for (const [, at] of received()) latencies.push(at - changeAt);
      fanOuts.push(rig.server.push.stats.lastFanOutMs);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.send({ stop: true });
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
      `Nacos gRPC server class on its own (no HTTP, no database), client and server in one process on loopback (subscribers in a second process); ${CONCURRENCY} requests in flight on one connection. Push latency includes the server's NACOS_GRPC_PUSH_DELAY_MS coalescing window (5 ms).`,
    ],
  };
}
