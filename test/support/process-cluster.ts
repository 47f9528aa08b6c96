import { distroIndex } from '../../src/distro/distro-mapper';
import { eventually } from '../../tools/support/eventually';
import { freePorts } from '../../tools/support/free-ports';
import { DISTRO_TEST_TOKEN } from './distro-cluster';
import { spawnNode } from './node-process';
import type { NodeProcess } from './node-process';
import { createTestDatabase } from './test-database';
import type { TestDatabase } from './test-database';

export interface ProcessDistroStatus {
  members: Array<{ id: string; state: string }>;
  responsibleMembers: string[];
  ownedClients: number;
}

export interface ListedHost {
  ip: string;
  port: number;
  healthy: boolean;
}

/** Env every member of a test cluster of processes shares: short intervals, in-memory databases. */
const BASE_ENV: Record<string, string> = {
  DATA_DIR: 'memory',
  LOG_LEVEL: 'info',
  DISTRO_TOKEN: DISTRO_TEST_TOKEN,
  DISTRO_PROBE_INTERVAL_MS: '200',
  DISTRO_VERIFY_INTERVAL_MS: '500',
  DISTRO_CLIENT_EXPIRE_MS: '3000',
  DISTRO_LOAD_RETRY_MS: '200',
  DISTRO_BOOTSTRAP_WAIT_MS: '1000',
  NACOS_CLIENT_BEAT_INTERVAL_MS: '500',
  // The nacos client falls back to beating every 5 s after a failed beat (as during a kill): stay above it.
  NACOS_CLIENT_BEAT_UNHEALTHY_MS: '8000',
  NACOS_CLIENT_BEAT_DELETE_MS: '16000',
};

/**
 * A Distro cluster of real node processes (`dist/src/main.js`) on loopback, members named up front
 * on free ports, so one can be SIGKILLed or SIGSTOPped and started again on the same ports.
 */
export class ProcessCluster {
  readonly procs: Array<NodeProcess | undefined> = [];
  readonly bases: string[] = [];
  private readonly databases: TestDatabase[] = [];

  private constructor(
    readonly ports: number[],
    readonly members: string[],
    private readonly extraEnv: Record<string, string>,
  ) {}

  /** Starts `size` members one after the other and waits until every one sees every peer UP. */
  static async start(
    size: number,
    extraEnv: Record<string, string> = {},
    formedWithinMs = 60_000,
  ): Promise<ProcessCluster> {
    const ports = await freePorts(size);
    const cluster = new ProcessCluster(
      ports,
      ports.map((p) => `127.0.0.1:${p}`),
      extraEnv,
    );
    try {
      for (let i = 0; i < size; i++) await cluster.startMember(i);
      // A formed cluster: the first nodes saw the later ones DOWN until they started, so wait until all
      // agree on who is responsible for what before any check begins.
      await cluster.allUp(formedWithinMs);
    } catch (err) {
      // The caller never gets the cluster to stop: stop what did start.
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** Starts member `i` (again) on its ports and waits until it is ready. */
  async startMember(i: number): Promise<void> {
    // Each start of a member gets a throwaway database of its own, as DATA_DIR=memory gives: with the run's
    // Postgres a clone of the migrated template (dropped by stop()), which costs a node far less CPU to
    // start than an in-memory PGlite; without it a PGlite loaded from the run's dump, not from initdb (the
    // start-up itself is test/app/process.e2e-spec.ts's subject; here it is only the way to a running member).
    const db =
      process.env.DATABASE_URL && process.env.DISTRO_SYNC_TEST_EMBEDDED !== 'true'
        ? await createTestDatabase()
        : undefined;
    if (db) this.databases.push(db);
    const proc = spawnNode(
      {
        ...BASE_ENV,
        DISTRO_PORT: String(this.ports[i]),
        DISTRO_MEMBERS: this.members.join(','),
        ...(db ? { DATABASE_URL: db.url, DATABASE_POOL_SIZE: '3' } : {}),
        ...this.extraEnv,
      },
      { pgliteDump: db === undefined },
    );
    this.procs[i] = proc;
    this.bases[i] = await proc.ready;
    await eventually(async () => (await fetch(`${this.bases[i]}/health/ready`)).status === 200, {
      timeoutMs: 60_000,
      intervalMs: 100,
    });
  }

  /** Member `i`'s Distro status (`GET /api/v1/distro`). */
  async status(i: number): Promise<ProcessDistroStatus> {
    return (await (await fetch(`${this.bases[i]}/api/v1/distro`)).json()) as ProcessDistroStatus;
  }

  /** Waits until every running member sees every peer UP. */
  async allUp(timeoutMs: number): Promise<void> {
    await eventually(
      async () => {
        for (let i = 0; i < this.members.length; i++) {
          if ((await this.status(i)).members.some((m) => m.state !== 'UP')) return false;
        }
        return true;
      },
      { timeoutMs: timeoutMs, intervalMs: 100 },
    );
  }

  /** What member `i` lists for `service` (Nacos v1 `/instance/list`). */
  async hosts(i: number, service: string): Promise<ListedHost[]> {
    const response = await fetch(`${this.bases[i]}/nacos/v1/ns/instance/list?serviceName=${service}`);
    if (response.status !== 200) throw new Error(`${this.bases[i]}: ${response.status}`);
    return ((await response.json()) as { hosts: ListedHost[] }).hosts;
  }

  /** The index of the member responsible for `ip:port` when only the members `alive` are UP. */
  responsibleIndex(address: string, alive: number[]): number {
    const sorted = alive.map((i) => this.members[i]).sort();
    return this.members.indexOf(sorted[distroIndex(address, sorted.length)]);
  }

  /** SIGKILLs every member still running and waits for them to exit. */
  async stop(): Promise<void> {
    for (const proc of this.procs) {
      if (proc && proc.child.exitCode === null) {
        proc.kill('SIGCONT');
        proc.kill('SIGKILL');
      }
    }
    await Promise.all(this.procs.flatMap((p) => (p ? [p.exited] : [])));
    await Promise.all(this.databases.splice(0).map((db) => db.drop()));
  }
}
