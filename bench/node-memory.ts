/**
 * Memory of a whole node, run in its own process with --expose-gc: starts a standalone node (HTTP,
 * Nacos gRPC, Distro, and Postgres when a URL is given or else the embedded in-memory PGlite —
 * everything `npm start` runs), measures its RSS
 * idle, then with N ip-port instances over S services registered, after forced GC both times.
 * The registry benchmark's in-memory row measures the registry alone; this one is what an
 * operator sizes a pod for.
 */
import { Writable } from 'node:stream';
import { startNode } from '@/bootstrap';
import { AppConfig } from '@/config';
import { createRootLogger } from '@/observability';
import { Registry, ipPortClientId, serviceKey } from '@/registry';

export interface NodeMemoryReport {
  instances: number;
  services: number;
  idleRssBytes: number;
  loadedRssBytes: number;
  rssBytesPerInstance: number;
}

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  for (let i = 0; i < 3; i++) gc();
}

async function settle(): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 500));
  collect();
  return process.memoryUsage().rss;
}

export async function measureNode(
  instances: number,
  services: number,
  databaseUrl: string | undefined,
): Promise<NodeMemoryReport> {
  const config = AppConfig.fromEnv({
    HOST: '127.0.0.1',
    HTTP_PORT: '0',
    NACOS_GRPC_PORT: '0',
    DISTRO_PORT: '0',
    LOG_LEVEL: 'warn',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { DATA_DIR: 'memory' }),
  });
  const node = await startNode(config, createRootLogger(config, new Writable({ write: (_c, _e, cb) => cb() })));
  try {
    const registry = node.app.get(Registry);
    const idleRssBytes = await settle();
    const keys = Array.from({ length: services }, (_, i) => serviceKey('public', 'DEFAULT_GROUP', `service-${i}`));
    let now = Date.now();
    for (let n = 0; n < instances; n++) {
      const ip = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
      const port = 1024 + (n >> 24);
      registry.registerInstance(ipPortClientId(ip, port), 'ipport', keys[n % services], { ip, port }, { now });
      // Let the node's own timers and event listeners run, as they would under real load.
      if (n % 50_000 === 49_999) {
        await new Promise((resolve) => setImmediate(resolve));
        now = Date.now();
      }
    }
    if (registry.counts().instances !== instances) throw new Error('registry lost instances');
    const loadedRssBytes = await settle();
    return {
      instances,
      services,
      idleRssBytes,
      loadedRssBytes,
      rssBytesPerInstance: (loadedRssBytes - idleRssBytes) / instances,
    };
  } finally {
    await node.close();
  }
}

if (require.main === module) {
  const [instances = '1000000', services = '100000', databaseUrl] = process.argv.slice(2);
  measureNode(Number(instances), Number(services), databaseUrl).then(
    (report) => {
      process.stdout.write(`${JSON.stringify(report)}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
