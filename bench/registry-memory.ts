/**
 * In-process memory benchmarks, each run in its own process with --expose-gc.
 *
 * `registry-memory.js [instances] [services]` (the registry benchmark): registers N instances over S
 * services into a bare Registry, reports ops/s and RSS and heap per instance. Each instance is
 * written as a Nacos v1 registration is, so its record carries what every write now leaves: the
 * version (hybrid logical clock) and the writer's node id, and its client the newest version.
 *
 * `registry-memory.js tombstones [instances]` (the Distro benchmark): the same for N ip-port clients
 * of one instance each, then every one deregistered, which leaves N tombstones in N removed clients
 * (ghosts); then `purgeHistory` past the tombstone window, which must give that memory back.
 */
import { Registry, ipPortClientId, serviceKey } from '@/registry';
import type { ServiceKey } from '@/registry';

export interface MemoryReport {
  instances: number;
  services: number;
  opsPerSecond: number;
  rssBytesPerInstance: number;
  heapBytesPerInstance: number;
}

export interface TombstoneReport {
  instances: number;
  /** Heap and RSS per registered instance (one ip-port client each, versioned), after a full GC. */
  heapBytesPerInstance: number;
  rssBytesPerInstance: number;
  /** The same per tombstone once every instance is deregistered (its client kept as a ghost for it). */
  heapBytesPerTombstone: number;
  rssBytesPerTombstone: number;
  tombstones: number;
  ghosts: number;
  /** What purgeHistory(now + window, window) removed, and the heap and RSS left above the empty registry. */
  purged: number;
  heapBytesAfterPurge: number;
  rssBytesAfterPurge: number;
  ghostsAfterPurge: number;
  /**
   * Heap per tombstone when its client lives on: clients of 10 instances with 9 deregistered,
   * against the same clients holding only the one instance left.
   */
  heapBytesPerTombstoneInLiveClient: number;
}

/** The node id every write is stamped with: a Distro member id, as in a cluster. */
const NODE_ID = '10.0.0.11:9849';

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  for (let i = 0; i < 3; i++) gc();
}

function address(n: number): { ip: string; port: number } {
  return { ip: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, port: 1024 + (n >> 24) };
}

function serviceKeys(services: number): ServiceKey[] {
  return Array.from({ length: services }, (_, i) => serviceKey('public', 'DEFAULT_GROUP', `service-${i}`));
}

/** Throws unless the last write left a versioned record: the figures must include versions. */
function checkVersioned(registry: Registry, clientId: string): void {
  const data = registry.exportClient(clientId);
  const version = data?.publications[0]?.version ?? 0;
  if (!(version > 0) || data?.publications[0]?.writer !== NODE_ID) {
    throw new Error('registered records carry no version: the memory figures would miss it');
  }
}

export function measure(instances: number, services: number): MemoryReport {
  const registry = new Registry({ nodeId: NODE_ID });
  const keys = serviceKeys(services);
  collect();
  const rssBefore = process.memoryUsage().rss;
  const heapBefore = process.memoryUsage().heapUsed;
  const started = process.hrtime.bigint();
  const now = Date.now();
  for (let n = 0; n < instances; n++) {
    const { ip, port } = address(n);
    const key = keys[n % services];
    registry.registerInstance(ipPortClientId(ip, port), 'ipport', key, { ip, port }, { now });
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  collect();
  const rssAfter = process.memoryUsage().rss;
  const heapAfter = process.memoryUsage().heapUsed;
  if (registry.counts().instances !== instances) throw new Error('registry lost instances');
  checkVersioned(registry, ipPortClientId(address(instances - 1).ip, address(instances - 1).port));
  return {
    instances,
    services,
    opsPerSecond: instances / seconds,
    rssBytesPerInstance: (rssAfter - rssBefore) / instances,
    heapBytesPerInstance: (heapAfter - heapBefore) / instances,
  };
}

export function measureTombstones(instances: number, windowMs = 3_600_000): TombstoneReport {
  const registry = new Registry({ nodeId: NODE_ID });
  const services = Math.max(1, Math.floor(instances / 100));
  const keys = serviceKeys(services);
  collect();
  const rss0 = process.memoryUsage().rss;
  const heap0 = process.memoryUsage().heapUsed;
  const now = Date.now();
  for (let n = 0; n < instances; n++) {
    const { ip, port } = address(n);
    registry.registerInstance(ipPortClientId(ip, port), 'ipport', keys[n % services], { ip, port }, { now });
  }
  checkVersioned(registry, ipPortClientId(address(0).ip, address(0).port));
  collect();
  const rss1 = process.memoryUsage().rss;
  const heap1 = process.memoryUsage().heapUsed;
  for (let n = 0; n < instances; n++) {
    const { ip, port } = address(n);
    registry.deregisterInstance(ipPortClientId(ip, port), keys[n % services], '', ip, port);
  }
  collect();
  const rss2 = process.memoryUsage().rss;
  const heap2 = process.memoryUsage().heapUsed;
  const history = registry.historyCounts();
  if (registry.counts().instances !== 0 || history.tombstones !== instances) {
    throw new Error(`expected ${instances} tombstones and no instance, got ${JSON.stringify(history)}`);
  }
  const purged = registry.purgeHistory(Date.now() + windowMs, windowMs);
  collect();
  const rss3 = process.memoryUsage().rss;
  const heap3 = process.memoryUsage().heapUsed;
  const ghostsAfterPurge = registry.historyCounts().ghosts;
  return {
    instances,
    heapBytesPerInstance: (heap1 - heap0) / instances,
    rssBytesPerInstance: (rss1 - rss0) / instances,
    heapBytesPerTombstone: (heap2 - heap0) / instances,
    rssBytesPerTombstone: (rss2 - rss0) / instances,
    tombstones: history.tombstones,
    ghosts: history.ghosts,
    purged,
    heapBytesAfterPurge: heap3 - heap0,
    rssBytesAfterPurge: rss3 - rss0,
    ghostsAfterPurge,
    heapBytesPerTombstoneInLiveClient: liveClientTombstone(Math.max(1, Math.floor(instances / 10))),
  };
}

/** Heap of `clients` ip-port clients publishing in `services` of 10 services, the others withdrawn. */
function heapOfClients(clients: number, published: number, withdrawn: number): number {
  const keys = serviceKeys(10);
  collect();
  const before = process.memoryUsage().heapUsed;
  const registry = new Registry({ nodeId: NODE_ID });
  const now = Date.now();
  for (let n = 0; n < clients; n++) {
    const { ip, port } = address(n);
    const id = ipPortClientId(ip, port);
    for (let j = 0; j < published + withdrawn; j++)
      registry.registerInstance(id, 'ipport', keys[j], { ip, port }, { now });
    for (let j = published; j < published + withdrawn; j++) registry.deregisterInstance(id, keys[j], '', ip, port);
  }
  collect();
  const heap = process.memoryUsage().heapUsed - before;
  if (registry.historyCounts().tombstones !== clients * withdrawn) throw new Error('tombstones missing');
  return heap;
}

function liveClientTombstone(clients: number): number {
  const kept = heapOfClients(clients, 1, 0);
  const withTombstones = heapOfClients(clients, 1, 9);
  return (withTombstones - kept) / (clients * 9);
}

if (require.main === module) {
  const args = process.argv.slice(2);
  if (args[0] === 'tombstones') {
    process.stdout.write(`${JSON.stringify(measureTombstones(Number(args[1] ?? '100000')))}\n`);
  } else {
    const [instances = '1000000', services = '100000'] = args;
    process.stdout.write(`${JSON.stringify(measure(Number(instances), Number(services)))}\n`);
  }
}
