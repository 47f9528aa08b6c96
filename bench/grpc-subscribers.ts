/**
 * Child process of bench/grpc.ts: opens N Nacos connections (handshake, subscription, an answer
 * to every push, as an SDK does) that subscribe to one service, and reports for every state of the
 * service (its host count) when each connection first received it, on the absolute clock
 * performance.timeOrigin + performance.now() that the parent reads too. Several of these run
 * side by side so the receiving side is not one event loop reading a thousand connections in turn.
 */
import * as grpc from '@grpc/grpc-js';
import { NacosTransport } from '@/sync/adapters/nacos-grpc-client';
import { RAW_STREAM_PATH } from './grpc-rigs';
import { NO_CHANNELZ } from '@/common/grpc-options';

/** Parent → child: report what arrived for a host count (sent when the parent stops waiting). */
export interface SubscriberCommand {
  report?: number;
  stop?: boolean;
}

/** Child → parent: ready once subscribed; receipts of one host count, once all arrived or when asked. */
export interface SubscriberMessage {
  ready?: boolean;
  hosts?: number;
  receipts?: number[];
}

const identity = (buffer: Buffer): Buffer => buffer;

/**
 * The raw mode's subscriber: a bare grpc-js channel of its own and one bidirectional stream on
 * which the n-th message received is state n, answered with `ack` (the size of a Nacos answer).
 */
function rawSubscriber(server: string, ack: Buffer, receive: (state: number, at: number) => void): () => void {
  const client = new grpc.Client(server, grpc.credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
    ...NO_CHANNELZ,
  });
  const call = client.makeBidiStreamRequest(RAW_STREAM_PATH, identity, identity);
  let state = 0;
  call.on('data', () => {
    receive(++state, performance.timeOrigin + performance.now());
    call.write(ack);
  });
  call.on('error', () => undefined);
  // The first message opens the stream on the server, which counts it as a subscriber.
  call.write(ack);
  return () => {
    call.end();
    client.close();
  };
}

async function main(): Promise<void> {
  const [server, countArg, service, mode, ackBase64] = process.argv.slice(2);
  const count = Number(countArg);
  const send = (message: SubscriberMessage): void => void process.send?.(message);
  const transports: NacosTransport[] = [];
  const receipts = new Map<number, number[]>();
  const receive = (hosts: number, at: number): void => {
    let list = receipts.get(hosts);
    if (list === undefined) receipts.set(hosts, (list = []));
    list.push(at);
    // One message per state, so reporting does not compete with receiving.
    if (list.length === count) {
      receipts.delete(hosts);
      send({ hosts, receipts: list });
    }
  };
  const closers: Array<() => void> = [];
  if (mode === 'raw') {
    const ack = Buffer.from(ackBase64 ?? '', 'base64');
    for (let i = 0; i < count; i++) closers.push(rawSubscriber(server, ack, receive));
  }
  for (let i = 0; mode !== 'raw' && i < count; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, async () => {
        const transport = new NacosTransport({
          servers: [server],
          healthCheckIntervalMs: 600_000,
          requestTimeoutMs: 30_000,
        });
        await transport.start();
        let seen = -1;
        transport.on('push', (request) => {
          const at = performance.timeOrigin + performance.now();
          const hosts = request.serviceInfo.hosts.length;
          // A retried or repeated push of a state already seen is not a new receipt.
          if (hosts === seen) return;
          seen = hosts;
          receive(hosts, at);
        });
        await transport.request('SubscribeServiceRequest', {
          module: 'naming',
          namespace: 'public',
          groupName: 'DEFAULT_GROUP',
          serviceName: service,
          subscribe: true,
          clusters: '',
        });
        return transport;
      }),
    );
    transports.push(...batch);
  }
  process.on('message', (command: SubscriberCommand) => {
    if (command.report !== undefined) {
      send({ hosts: command.report, receipts: receipts.get(command.report) ?? [] });
      receipts.delete(command.report);
    }
    if (command.stop) {
      for (const transport of transports) transport.close();
      for (const close of closers) close();
      setTimeout(() => process.exit(0), 100);
    }
  });
  send({ ready: true });
}

void main();
