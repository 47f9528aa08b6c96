import { NacosNamingClient } from '@/sync/adapters/nacos-grpc-client';
import type { Region } from './regions';
import { instanceLine } from './registry-view';
import type { HeldInstance } from './registry-view';
import { V1Registrar } from './v1-registrar';
import type { V1Instance } from './v1-registrar';

/** A small seeded generator (mulberry32), so a failing soak can be replayed with --seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ChurnCounts {
  registrations: number;
  deregistrations: number;
  metadataChanges: number;
  beatsStopped: number;
  connectionsDropped: number;
  /** Operations no node accepted within the retry window (each one is an error the soak reports). */
  failedOperations: number;
}

const V1_PORT = 8080;
const GRPC_PORT = 9090;
const RETRY_WINDOW_MS = 30_000;

interface GrpcInstance {
  service: string;
  ip: string;
  port: number;
  metadata: Record<string, string>;
}

/**
 * The applications of one region under churn: ip-port clients over HTTP v1 that register,
 * deregister, change metadata and sometimes stop beating (the registry must drop them), and a
 * gRPC connection client doing the same and sometimes dropping its connection (its instances go
 * with it). `expected()` is what the region must hold natively once churn stops.
 */
export class RegionChurn {
  readonly counts: ChurnCounts = {
    registrations: 0,
    deregistrations: 0,
    metadataChanges: 0,
    beatsStopped: 0,
    connectionsDropped: 0,
    failedOperations: 0,
  };
  readonly failures: string[] = [];
  private readonly v1: V1Registrar;
  private readonly v1Live = new Map<string, V1Instance>();
  private grpc: NacosNamingClient;
  private readonly grpcLive = new Map<string, GrpcInstance>();
  private nextId = 1;
  private running = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly region: Region,
    private readonly regionIndex: number,
    private readonly services: number,
    private readonly maxInstances: number,
    private readonly random: () => number,
    beatIntervalMs: number,
  ) {
    this.v1 = new V1Registrar(() => region.upNodes().map((n) => n.base), beatIntervalMs);
    this.grpc = this.newGrpcClient();
  }

  start(stepMs: number): void {
    this.running = true;
    this.v1.start();
    this.loop = (async () => {
      while (this.running) {
        await this.step();
        await new Promise((resolve) => setTimeout(resolve, stepMs));
      }
    })();
  }

  /** Stops the churn (beats go on: live instances must stay). */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  close(): void {
    this.v1.close();
    this.grpc.close();
  }

  get failedBeats(): number {
    return this.v1.failedBeats;
  }

  /** The natives this region must hold: every live instance, healthy, as last registered. */
  expected(): HeldInstance[] {
    const v1 = [...this.v1Live.values()].map((i): HeldInstance => ({
      namespace: i.namespace,
      group: i.group,
      service: i.service,
      clusterName: 'DEFAULT',
      ip: i.ip,
      port: i.port,
      weight: i.weight,
      healthy: true,
      enabled: true,
      metadata: i.metadata,
    }));
    const grpc = [...this.grpcLive.values()].map((i): HeldInstance => ({
      namespace: 'public',
      group: 'DEFAULT_GROUP',
      service: i.service,
      clusterName: 'DEFAULT',
      ip: i.ip,
      port: i.port,
      weight: 1,
      healthy: true,
      enabled: true,
      metadata: i.metadata,
    }));
    return [...v1, ...grpc];
  }

  expectedLines(): string[] {
    return this.expected().map(instanceLine).sort();
  }

  private newGrpcClient(): NacosNamingClient {
    return new NacosNamingClient({ servers: this.region.nodes.map((n) => n.grpcAddress), requestTimeoutMs: 3000 });
  }

  private pick<T>(items: T[]): T | undefined {
    return items.length === 0 ? undefined : items[Math.floor(this.random() * items.length)];
  }

  private newIp(): string {
    const id = this.nextId++;
    return `10.${this.regionIndex}.${(id >> 8) & 255}.${id & 255}`;
  }

  private metadata(): Record<string, string> {
    return { region: this.region.name, version: `v${Math.floor(this.random() * 1000)}` };
  }

  private async step(): Promise<void> {
    const roll = this.random();
    const total = this.v1Live.size + this.grpcLive.size;
    const full = total >= this.maxInstances;
    if (roll < 0.55) {
      if (full) await this.deregisterOne();
      else if (this.random() < 0.5) await this.registerV1();
      else await this.registerGrpc();
    } else if (roll < 0.75) {
      await this.deregisterOne();
    } else if (roll < 0.93) {
      await this.changeMetadata();
    } else if (roll < 0.985) {
      this.stopBeats();
    } else {
      this.dropConnection();
    }
  }

  /** Retries one write until some node takes it; a write with no taker for 30 s is a failure. */
  private async retry(what: string, op: () => Promise<void>): Promise<boolean> {
    const deadline = Date.now() + RETRY_WINDOW_MS;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        await op();
        return true;
      } catch (err) {
        last = err;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    }
    this.counts.failedOperations++;
    this.failures.push(`${what}: ${(last as Error)?.message ?? String(last)}`);
    return false;
  }

  private async registerV1(): Promise<void> {
    const k = Math.floor(this.random() * this.services);
    const i: V1Instance = {
      namespace: k % 3 === 2 ? 'soak' : 'public',
      group: k % 2 === 0 ? 'DEFAULT_GROUP' : 'SOAK',
      service: `svc-${k}`,
      ip: this.newIp(),
      port: V1_PORT,
      weight: 1,
      metadata: this.metadata(),
    };
    if (await this.retry(`register ${i.ip}`, () => this.v1.register(i))) {
      this.v1Live.set(`${i.ip}:${i.port}`, i);
      this.counts.registrations++;
    }
  }

  private async registerGrpc(): Promise<void> {
    const i: GrpcInstance = {
      service: `svc-${Math.floor(this.random() * this.services)}`,
      ip: this.newIp(),
      port: GRPC_PORT,
      metadata: this.metadata(),
    };
    if (await this.retry(`register ${i.ip} over gRPC`, () => this.grpc.register(i.service, { ...i }))) {
      this.grpcLive.set(`${i.ip}:${i.port}`, i);
      this.counts.registrations++;
    }
  }

  private async deregisterOne(): Promise<void> {
    if (this.random() < 0.5) {
      const i = this.pick([...this.v1Live.values()]);
      if (!i) return;
      this.v1Live.delete(`${i.ip}:${i.port}`);
      if (await this.retry(`deregister ${i.ip}`, () => this.v1.deregister(i))) this.counts.deregistrations++;
    } else {
      const i = this.pick([...this.grpcLive.values()]);
      if (!i) return;
      if (await this.retry(`deregister ${i.ip} over gRPC`, () => this.grpc.deregister(i.service, { ...i }))) {
        this.grpcLive.delete(`${i.ip}:${i.port}`);
        this.counts.deregistrations++;
      }
    }
  }

  private async changeMetadata(): Promise<void> {
    if (this.random() < 0.5) {
      const i = this.pick([...this.v1Live.values()]);
      if (!i) return;
      const next = { ...i, metadata: this.metadata(), weight: 1 + Math.floor(this.random() * 5) };
      if (await this.retry(`update ${i.ip}`, () => this.v1.register(next))) {
        this.v1Live.set(`${i.ip}:${i.port}`, next);
        this.counts.metadataChanges++;
      }
    } else {
      const i = this.pick([...this.grpcLive.values()]);
      if (!i) return;
      const next = { ...i, metadata: this.metadata() };
      if (await this.retry(`update ${i.ip} over gRPC`, () => this.grpc.register(next.service, { ...next }))) {
        this.grpcLive.set(`${i.ip}:${i.port}`, next);
        this.counts.metadataChanges++;
      }
    }
  }

  /** The application dies without deregistering: the registry must expire its instance. */
  private stopBeats(): void {
    const i = this.pick([...this.v1Live.values()]);
    if (!i) return;
    this.v1.stopBeats(i);
    this.v1Live.delete(`${i.ip}:${i.port}`);
    this.counts.beatsStopped++;
  }

  /** The gRPC application goes away: every instance of its connection must go with it. */
  private dropConnection(): void {
    this.grpc.close();
    this.grpcLive.clear();
    this.grpc = this.newGrpcClient();
    this.counts.connectionsDropped++;
  }
}
