/**
 * The sync rows of ZooKeeper and etcd (issue 18): a region node (the Nacos side, `local`) and a
 * ZooKeeper or an etcd started for the run, 10,000 Dubbo providers in 1,000 interfaces (etcd: gRPC-go
 * registrations, 10,000 in 1,000 services) synced each way by one task (the Nacos side's instances
 * published through its registry API, named for the registry's layout). Per direction: full
 * convergence and the single-change lag p99; as the baseline, the raw client's own write and read
 * rate against the same server.
 */
import { Etcd3 } from 'etcd3';
import { RegistryApiClient } from '@/sync/adapters/registry-api.client';
import type { PublishItem } from '@/sync/adapters/registry-api.client';
import { CreateMode, ZooKeeperConnection } from '@/sync/adapters/zookeeper-client';
import { javaUrlEncode } from '@/sync/adapters/zookeeper-layouts';
import { EtcdServer } from '../tools/support/etcd-server';
import { eventually } from '../tools/support/eventually';
import { startZooKeeper } from '../tools/support/zookeeper-server';
import { percentile } from './grpc-rigs';
import type { BenchRow } from './run';
import { dropDatabase, scratchDatabase } from './scratch-db';
import { TOKEN, admin, startRegion, stopRegion } from './sync-region';
import type { Region } from './sync-region';

export type RegistryKind = 'zookeeper' | 'etcd';

const PER_SERVICE = 10;
/** Writes and reads of the raw client in flight at once (the load, the baseline). */
const IN_FLIGHT = 64;

/** One registry as the rows drive it: its raw client writes, reads and finds instances. */
interface RawRegistry {
  /** What the rows call the registry, and its layout. */
  label: string;
  /** What its registrations and services are, in the rows' words. */
  words: { instances: string; services: string };
  cluster: Record<string, unknown>;
  /** Registers instance `i` of service `s` (the rows' naming), as the framework does. */
  register(s: number, i: number): Promise<void>;
  /** Reads every registration under the layout's root once; how many instances it holds. */
  readAll(services: number): Promise<number>;
  /** Whether the copy of region instance `ip:port` of service `s` is in the registry now. */
  hasCopy(s: number, ip: string, port: number): Promise<boolean>;
  /** The service name a region instance must have to be copied into the registry's layout. */
  regionService(s: number): string;
  /** The service name a registration of service `s` has in the region. */
  copiedService(s: number): string;
  close(): Promise<void>;
}

const iface = (s: number): string => `com.acme.bench.Service${s}`;
const ipOf = (s: number, i: number): string => `10.${(s >> 8) & 255}.${s & 255}.${i + 1}`;

/** A Dubbo 2.7 provider URL as ZookeeperRegistry registers it (parameters sorted). */
function providerUrl(s: number, i: number): string {
  return (
    `dubbo://${ipOf(s, i)}:20880/${iface(s)}?anyhost=true&application=bench&dubbo=2.0.2&interface=${iface(s)}` +
    `&methods=call&pid=4242&release=2.7.23&side=provider&timestamp=1700000000000&version=1.0.0`
  );
}

async function zookeeperRegistry(): Promise<RawRegistry & { stop(): Promise<void> }> {
  const server = await startZooKeeper({ tickTimeMs: 2000 });
  const zk = new ZooKeeperConnection({ addresses: [server.address], sessionTimeoutMs: 30_000 });
  await zk.ready();
  const dir = (s: number) => `/dubbo/${iface(s)}/providers`;
  return {
    label: 'ZooKeeper (dubbo layout)',
    words: { instances: 'Dubbo providers', services: 'interfaces' },
    cluster: { kind: 'zookeeper', addresses: [server.address], layout: 'dubbo' },
    register: async (s, i) => {
      if (i === 0) await zk.ensurePath(dir(s));
      await zk.create(`${dir(s)}/${javaUrlEncode(providerUrl(s, i))}`, Buffer.from(ipOf(s, i)), CreateMode.EPHEMERAL);
    },
    readAll: async (services) => {
      let n = 0;
      await bounded(services, async (s) => {
        // Not `n += await …`: that reads n before the await and loses the other lanes' counts.
        const children = await zk.getChildren(dir(s)).catch(() => []);
        n += children.length;
      });
      return n;
    },
    hasCopy: async (s, ip, port) =>
      (await zk.getChildren(`/dubbo/com.acme.lag.Service${s}/providers`).catch(() => [] as string[])).some((n) =>
        n.includes(`${ip}%3A${port}`),
      ),
    regionService: (s) => `providers:com.acme.lag.Service${s}:1.0.0:`,
    copiedService: (s) => `providers:${iface(s)}:1.0.0:`,
    close: () => zk.close(),
    stop: () => server.stop(),
  };
}

async function etcdRegistry(): Promise<RawRegistry & { stop(): Promise<void> }> {
  const server = await EtcdServer.start();
  const kv = new Etcd3({ hosts: `http://${server.address}` });
  const key = (s: number, i: number) => `services/${iface(s)}/${ipOf(s, i)}:20880`;
  return {
    label: 'etcd (grpc-naming layout)',
    words: { instances: 'gRPC-go registrations', services: 'services' },
    cluster: { kind: 'etcd', addresses: [server.address], prefix: 'services/' },
    register: async (s, i) => {
      const addr = `${ipOf(s, i)}:20880`;
      await kv.put(key(s, i)).value(`{"Op":0,"Addr":"${addr}","Metadata":{"version":"1.0.0"}}`);
    },
    readAll: async () => (await kv.getAll().prefix('services/com.acme.bench.').keys()).length,
    hasCopy: async (s, ip, port) => (await kv.get(`services/lag-${s}/${ip}:${port}`).string()) !== null,
    regionService: (s) => `lag-${s}`,
    copiedService: (s) => iface(s),
    close: () => Promise.resolve(kv.close()),
    stop: () => server.stop(),
  };
}

/**
 * A direction's convergence: the time to all applied, and the same as a rate beside the raw client's
 * rate for the work the direction cannot avoid (reading every registration in, writing every copy out).
 */
function convergence(
  direction: string,
  size: string,
  seconds: number,
  total: number,
  baseline: string,
  baselineRate: number,
): BenchRow[] {
  const rate = total / seconds;
  return [
    { metric: `${direction}: full convergence, ${size}`, value: seconds, unit: 's', target: '≤ 10 s' },
    {
      metric: `${direction}: convergence rate`,
      value: rate,
      unit: 'instances/s',
      baseline: { name: baseline, value: baselineRate },
      ratio: rate / baselineRate,
    },
  ];
}

/** `work(0..count-1)`, IN_FLIGHT at a time. */
async function bounded(count: number, work: (n: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, count) }, lane));
}

/** Time to `until` holding, polled every 50 ms. */
async function timed(until: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  await eventually(until, { timeoutMs: 300_000, intervalMs: 50 });
  return (Date.now() - started) / 1000;
}

async function applied(region: Region, taskId: string, count: number): Promise<boolean> {
  return (await admin(region.base, 'GET', `/tasks/${taskId}`)).applied === count;
}

/** Single changes timed until `seen` says they arrived; the p99. */
async function lagP99(samples: number, change: (n: number) => Promise<void>, seen: (n: number) => Promise<boolean>) {
  const lags: number[] = [];
  for (let n = 0; n < samples; n++) {
    const t0 = performance.now();
    await change(n);
    await eventually(() => seen(n), { timeoutMs: 10_000, intervalMs: 1 });
    lags.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 20));
  }
  return percentile(
    lags.sort((x, y) => x - y),
    99,
  );
}

/** The four rows of one registry kind, both directions, plus the raw client's rates. */
export async function registryRows(kind: RegistryKind, quick: boolean): Promise<{ rows: BenchRow[]; note: string }> {
  const services = quick ? 100 : 1_000;
  const total = services * PER_SERVICE;
  const samples = quick ? 40 : 200;
  const databaseUrl = process.env.DATABASE_URL;
  const dbName = `distro_sync_bench_${kind}`;
  const db = await scratchDatabase(databaseUrl, dbName);
  const registry = kind === 'zookeeper' ? await zookeeperRegistry() : await etcdRegistry();
  const region = await startRegion(db);
  const rows: BenchRow[] = [];
  const name = registry.label.split(' ')[0];
  const { words } = registry;
  const size = `${total.toLocaleString('en-US')} ${words.instances} in ${services.toLocaleString('en-US')} ${words.services}`;
  try {
    const local = await admin(region.base, 'POST', '/clusters', { name: 'region', kind: 'local' });
    const remote = await admin(region.base, 'POST', '/clusters', { name: kind, ...registry.cluster });

    // The baseline: the raw client writing the providers, then reading them all back.
    let t0 = performance.now();
    await bounded(services, async (s) => {
      for (let i = 0; i < PER_SERVICE; i++) await registry.register(s, i);
    });
    const writeRate = total / ((performance.now() - t0) / 1000);
    t0 = performance.now();
    const read = await registry.readAll(services);
    const readRate = read / ((performance.now() - t0) / 1000);
    if (read !== total) throw new Error(`${name} holds ${read} of the ${total} providers written`);

    // Registry → region: one task for every service.
    const inward = await admin(region.base, 'POST', '/tasks', {
      sourceClusterId: remote.id,
      targetClusterId: local.id,
      serviceName: '*',
    });
    const inSeconds = await timed(() => applied(region, inward.id, total));
    rows.push(
      ...convergence(`${name} → Nacos (local)`, size, inSeconds, total, `${name}'s own client reading them`, readRate),
    );
    const inLag = await lagP99(
      samples,
      (n) => registry.register(n % services, PER_SERVICE + Math.floor(n / services)),
      async (n) => {
        const service = encodeURIComponent(registry.copiedService(n % services));
        const res = await fetch(`${region.base}/nacos/v1/ns/instance/list?serviceName=${service}`);
        const hosts = ((await res.json()) as { hosts: Array<{ ip: string }> }).hosts;
        return hosts.some((h) => h.ip === ipOf(n % services, PER_SERVICE + Math.floor(n / services)));
      },
    );
    rows.push({
      metric: `${name} → Nacos (local): single-change lag, p99`,
      value: inLag,
      unit: 'ms',
      target: '≤ 100 ms',
    });

    // Region → registry: the same number of instances registered in the region, one task into the registry's layout.
    const client = new RegistryApiClient(`127.0.0.1:${region.grpc}`, { token: TOKEN, timeoutMs: 60_000 });
    try {
      const items: PublishItem[] = [];
      for (let s = 0; s < services; s++)
        for (let i = 0; i < PER_SERVICE; i++)
          items.push({ service: registry.regionService(s), instance: { ip: ipOf(s, i), port: 30000 } });
      await client.publish('out', items, { ttlMs: 600_000 });
      const outward = await admin(region.base, 'POST', '/tasks', {
        sourceClusterId: local.id,
        targetClusterId: remote.id,
        serviceName: kind === 'zookeeper' ? 'providers:com.acme.lag.*' : 'lag-*',
      });
      const outSeconds = await timed(() => applied(region, outward.id, total));
      rows.push(
        ...convergence(
          `Nacos (local) → ${name}`,
          size,
          outSeconds,
          total,
          `${name}'s own client writing them`,
          writeRate,
        ),
      );
      const outLag = await lagP99(
        samples,
        (n) =>
          client
            .publish(
              `lag-${n}`,
              [{ service: registry.regionService(n % services), instance: { ip: '10.255.0.1', port: 40000 + n } }],
              {
                ttlMs: 600_000,
              },
            )
            .then(() => undefined),
        (n) => registry.hasCopy(n % services, '10.255.0.1', 40000 + n),
      );
      rows.push({
        metric: `Nacos (local) → ${name}: single-change lag, p99`,
        value: outLag,
        unit: 'ms',
        target: '≤ 100 ms',
      });
    } finally {
      client.close();
    }
  } finally {
    await stopRegion(region);
    await registry.close();
    await registry.stop();
    await dropDatabase(databaseUrl, dbName);
  }
  const note =
    `${registry.label}: a server of the Debian package started for the run on loopback, one region node process ` +
    `(SYNC_LEASE_RENEW_MS=500) with one task each way; the raw client wrote the providers ${IN_FLIGHT} services at a time.`;
  return { rows, note };
}
