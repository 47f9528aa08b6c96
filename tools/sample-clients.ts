import type { NacosNamingClient as NacosHttpClient } from 'nacos';
import type { NacosNamingClient as RustGrpcClient, NacosServiceInstance } from 'nacos-sdk-rust-binding-node';
import { NacosNamingClient as OwnGrpcClient } from '@/sync/adapters/nacos-grpc-client';
import type { Region } from './regions';
import { V1Registrar } from './v1-registrar';

const SERVICE_NAMES = ['orders', 'payments', 'inventory', 'shipping', 'users', 'search', 'catalog', 'cart'];

export interface SampleSizes {
  services: number;
  instances: number;
}

/** The applications of one region: which clients they use and what they registered. */
export interface SampleApps {
  /** e.g. "nacos npm client (HTTP v1) + nacos-sdk-rust-binding-node (gRPC)". */
  clients: string;
  registered: number;
  close(): Promise<void>;
}

/** The package's typings leave out `metadata` (sent all the same) and `close` (from sdk-base). */
type NacosHttpInstance = Parameters<NacosHttpClient['registerInstance']>[1];
type ClosableNacosHttpClient = NacosHttpClient & { close(): Promise<void> };

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

function serviceName(k: number): string {
  const base = SERVICE_NAMES[k % SERVICE_NAMES.length];
  return k < SERVICE_NAMES.length ? base : `${base}-${Math.floor(k / SERVICE_NAMES.length)}`;
}

/** Loads a devDependency the demo prefers; undefined when it is not installed. */
async function optional<T>(load: () => Promise<T>): Promise<T | undefined> {
  try {
    return await load();
  } catch {
    return undefined;
  }
}

/**
 * Registers the sample services of one region as its applications would: even-numbered services
 * over HTTP v1 with the real `nacos` client (ephemeral instances kept alive by its beats), odd ones
 * over gRPC with the real Rust SDK binding (instances bound to its connection). Without those
 * devDependencies it falls back to our own clients and says so in `clients`.
 */
export async function startSampleApps(region: Region, regionIndex: number, sizes: SampleSizes): Promise<SampleApps> {
  const nodes = region.nodes;
  const closers: Array<() => Promise<void> | void> = [];
  const names: string[] = [];
  let registered = 0;
  const ip = (k: number, i: number): string => `10.${regionIndex}.${k}.${i + 1}`;
  const metadata = { region: region.name, version: '1.0.0' };

  const httpServices = Array.from({ length: sizes.services }, (_, k) => k).filter((k) => k % 2 === 0);
  const grpcServices = Array.from({ length: sizes.services }, (_, k) => k).filter((k) => k % 2 === 1);

  const nacos = await optional(() => import('nacos'));
  if (nacos) {
    const client = new nacos.NacosNamingClient({
      logger: quiet as unknown as Console,
      serverList: nodes.map((n) => `127.0.0.1:${n.ports.http}`).join(','),
      namespace: 'public',
    }) as ClosableNacosHttpClient;
    await client.ready();
    closers.push(() => client.close());
    names.push('nacos npm client (HTTP v1)');
    for (const k of httpServices) {
      for (let i = 0; i < sizes.instances; i++) {
        await client.registerInstance(serviceName(k), {
          ip: ip(k, i),
          port: 8080,
          metadata,
        } as unknown as NacosHttpInstance);
        registered++;
      }
    }
  } else {
    const registrar = new V1Registrar(() => region.upNodes().map((n) => n.base), 5000);
    registrar.start();
    closers.push(() => registrar.close());
    names.push('plain HTTP v1 calls with beats (the `nacos` package is not installed)');
    for (const k of httpServices) {
      for (let i = 0; i < sizes.instances; i++) {
        await registrar.register({
          namespace: 'public',
          group: 'DEFAULT_GROUP',
          service: serviceName(k),
          ip: ip(k, i),
          port: 8080,
          weight: 1,
          metadata,
        });
        registered++;
      }
    }
  }

  const instances = (k: number): NacosServiceInstance[] =>
    Array.from({ length: sizes.instances }, (_, i) => ({ ip: ip(k, i), port: 9090, metadata }));
  const rust = await optional(() => import('nacos-sdk-rust-binding-node'));
  if (rust) {
    const client: RustGrpcClient = new rust.NacosNamingClient({
      serverAddr: nodes.map((n) => `127.0.0.1:${n.ports.http}`).join(','),
      namespace: '',
    });
    names.push('nacos-sdk-rust-binding-node (gRPC)');
    // The binding has no close: its connection ends with this process.
    for (const k of grpcServices) {
      await client.batchRegisterInstance(serviceName(k), 'DEFAULT_GROUP', instances(k));
      registered += sizes.instances;
    }
  } else {
    const client = new OwnGrpcClient({ servers: nodes.map((n) => n.grpcAddress) });
    await client.connect();
    closers.push(() => client.close());
    names.push('our TypeScript gRPC client (nacos-sdk-rust-binding-node is not installed)');
    for (const k of grpcServices) {
      await client.batchRegister(serviceName(k), instances(k));
      registered += sizes.instances;
    }
  }

  return {
    clients: names.join(' + '),
    registered,
    close: async () => {
      for (const close of closers) await close();
    },
  };
}
