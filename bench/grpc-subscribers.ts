/**
 * Child process of bench/grpc.ts: opens N Nacos connections that subscribe to one service and
 * reports, for every push, the host count and the absolute receipt time. Running them apart from
 * the server keeps their own work out of the server's event loop, as with real remote clients.
 */
import { NacosTransport } from '@/nacos/client';

async function main(): Promise<void> {
  const [server, countArg, service] = process.argv.slice(2);
  const count = Number(countArg);
  const transports: NacosTransport[] = [];
  const receipts: Array<[number, number]> = [];
  for (let i = 0; i < count; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, async () => {
        const transport = new NacosTransport({
          servers: [server],
          healthCheckIntervalMs: 600_000,
          requestTimeoutMs: 30_000,
        });
        await transport.start();
        transport.on('push', (request) =>
          receipts.push([request.serviceInfo.hosts.length, performance.timeOrigin + performance.now()]),
        );
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
  // Receipts go to the parent in bulk, so reporting does not compete with receiving.
  const flush = setInterval(() => {
    if (receipts.length > 0) process.send?.({ receipts: receipts.splice(0) });
  }, 20);
  process.on('message', (message: { stop?: boolean }) => {
    if (!message.stop) return;
    clearInterval(flush);
    if (receipts.length > 0) process.send?.({ receipts: receipts.splice(0) });
    for (const transport of transports) transport.close();
    setTimeout(() => process.exit(0), 100);
  });
  process.send?.({ ready: true });
}

void main();
