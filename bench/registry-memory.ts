/**
 * In-process part of the registry benchmark, run in its own process with --expose-gc: registers
 * N instances over S services into a bare Registry, reports ops/s and RSS per instance.
 */
import { Registry, ipPortClientId, serviceKey } from '@/registry';

export interface MemoryReport {
  instances: number;
  services: number;
  opsPerSecond: number;
  rssBytesPerInstance: number;
  heapBytesPerInstance: number;
}

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  for (let i = 0; i < 3; i++) gc();
}

export function measure(instances: number, services: number): MemoryReport {
  const registry = new Registry();
  const keys = Array.from({ length: services }, (_, i) => serviceKey('public', 'DEFAULT_GROUP', `service-${i}`));
  collect();
  const rssBefore = process.memoryUsage().rss;
  const heapBefore = process.memoryUsage().heapUsed;
  const started = process.hrtime.bigint();
  const now = Date.now();
  for (let n = 0; n < instances; n++) {
    const ip = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
    const port = 1024 + (n >> 24);
    const key = keys[n % services];
    registry.registerInstance(ipPortClientId(ip, port), 'ipport', key, { ip, port }, { now });
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  collect();
  const rssAfter = process.memoryUsage().rss;
  const heapAfter = process.memoryUsage().heapUsed;
  if (registry.counts().instances !== instances) throw new Error('registry lost instances');
  return {
    instances,
    services,
    opsPerSecond: instances / seconds,
    rssBytesPerInstance: (rssAfter - rssBefore) / instances,
    heapBytesPerInstance: (heapAfter - heapBefore) / instances,
  };
}

if (require.main === module) {
  const [instances = '1000000', services = '100000'] = process.argv.slice(2);
  process.stdout.write(`${JSON.stringify(measure(Number(instances), Number(services)))}\n`);
}
