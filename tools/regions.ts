import { createServer } from 'node:net';
import { join } from 'node:path';
import { AdminApi } from './admin-api';
import { createRegionDatabase } from './region-database';
import type { RegionDatabase } from './region-database';
import { RegionNode } from './region-node';
import type { NodePorts } from './region-node';

export interface RegionOptions {
  /** One letter: region `a` has nodes a1, a2, a3. */
  name: string;
  size: number;
  /** DATABASE_URL of a Postgres server to create the region's database in; unset = embedded PGlite. */
  databaseUrl: string | undefined;
  logDir: string;
  /** Extra env of every node (intervals of the demo or the soak). */
  env: Record<string, string>;
}

function canListen(port: number): Promise<ReturnType<typeof createServer> | undefined> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/** Ports already given to a node of this process: a second region must not get them once released. */
const handedOut = new Set<number>();

/**
 * Ports below Linux's ephemeral range (32768+), so no outgoing connection of any process on the
 * machine takes one between our check and the node's bind.
 */
const PORT_FLOOR = 10_000;
const PORT_CEILING = 31_700;

/**
 * Free `http` ports whose `http + 1000` (Nacos gRPC, where the SDKs look for it) and `http + 1001`
 * (Distro) are free too, found by binding all three and releasing them.
 */
export async function freeNodePorts(count: number): Promise<NodePorts[]> {
  const out: NodePorts[] = [];
  const held: Array<ReturnType<typeof createServer>> = [];
  try {
    for (let attempt = 0; out.length < count; attempt++) {
      if (attempt > 200) throw new Error('no free ports for the nodes (port, +1000, +1001)');
      const http = PORT_FLOOR + Math.floor(Math.random() * (PORT_CEILING - PORT_FLOOR));
      if ([http, http + 1000, http + 1001].some((p) => handedOut.has(p))) continue;
      const first = await canListen(http);
      if (!first) continue;
      held.push(first);
      const grpc = await canListen(http + 1000);
      if (!grpc) continue;
      held.push(grpc);
      const distro = await canListen(http + 1001);
      if (!distro) continue;
      held.push(distro);
      out.push({ http, grpc: http + 1000, distro: http + 1001 });
      for (const p of [http, http + 1000, http + 1001]) handedOut.add(p);
    }
  } finally {
    await Promise.all(held.map((s) => new Promise((resolve) => s.close(resolve))));
  }
  return out;
}

/**
 * One region on this machine: `size` node processes forming one Distro cluster, sharing one
 * database (their sync workers lease tasks through it). Ports are picked free once and kept, so a
 * node restarts where its peers and clients look for it.
 */
export class Region {
  readonly admin: AdminApi;
  readonly token: string;
  private readonly distroToken: string;

  private constructor(
    readonly name: string,
    readonly nodes: RegionNode[],
    readonly database: RegionDatabase,
  ) {
    // Tokens of a local throwaway setup, not secrets: they only have to be long enough.
    this.token = `demo-admin-token-region-${name}`;
    this.distroToken = `demo-distro-token-region-${name}`;
    this.admin = new AdminApi(() => this.upNodes().map((n) => n.base), this.token);
  }

  static async create(options: RegionOptions): Promise<Region> {
    const database = await createRegionDatabase(options.name, options.databaseUrl);
    const ports = await freeNodePorts(options.size);
    const members = ports.map((p) => `127.0.0.1:${p.distro}`).join(',');
    const region = new Region(options.name, [], database);
    for (const [i, nodePorts] of ports.entries()) {
      const name = `${options.name}${i + 1}`;
      region.nodes.push(
        new RegionNode(name, nodePorts, join(options.logDir, `${name}.log`), () => ({
          HTTP_PORT: String(nodePorts.http),
          NACOS_GRPC_PORT: String(nodePorts.grpc),
          DISTRO_PORT: String(nodePorts.distro),
          DISTRO_MEMBERS: members,
          DISTRO_TOKEN: region.distroToken,
          ADMIN_TOKEN: region.token,
          SECRET_KEY: `demo-secret-key-region-${options.name}-0123456789abcdef`,
          DATABASE_URL: database.url,
          DATABASE_POOL_SIZE: String(database.poolSize),
          ...options.env,
        })),
      );
    }
    return region;
  }

  upNodes(): RegionNode[] {
    return this.nodes.filter((n) => n.state === 'up');
  }

  /** `host:httpPort/grpcPort` of every node: how another region's cluster row names this one. */
  clusterAddresses(): string[] {
    return this.nodes.map((n) => `127.0.0.1:${n.ports.http}/${n.ports.grpc}`);
  }

  /**
   * Starts every node that is not running and waits until each is ready. On a fresh database the
   * first node migrates it before the others start: on embedded PGlite every node shares one
   * session, so the migration lock cannot keep two migrating nodes apart.
   */
  async start(): Promise<void> {
    const stopped = this.nodes.filter((n) => n.state === 'stopped');
    const [first, ...rest] = stopped;
    if (!first) return;
    await first.start();
    await Promise.all(rest.map((n) => n.start()));
    await Promise.all(stopped.map((n) => n.waitReady()));
  }

  async restart(node: RegionNode, signal: NodeJS.Signals): Promise<void> {
    await node.stop(signal);
    await node.start();
    await node.waitReady();
  }

  /** Stops every node together (SIGTERM), as when a whole region is shut down or lost. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop(signal)));
  }

  /** Stops the nodes, closes their logs and drops (or stops) the region's database. */
  async close(): Promise<void> {
    await this.stop();
    await Promise.all(this.nodes.map((n) => n.closeLog()));
    await this.database.drop();
  }

  /** The node whose pid is in a sync worker id (`host-pid-suffix`). */
  nodeOfWorker(workerId: string | null): RegionNode | undefined {
    const pid = Number(/-(\d+)-[0-9a-f]+$/.exec(workerId ?? '')?.[1]);
    return this.nodes.find((n) => n.pid === pid && n.state !== 'stopped');
  }
}

/** The ids the DR set-up created: in each region, the task pulling the other region into it. */
export interface DrTasks {
  /** A→B, run by region B's workers. */
  aToB: string;
  /** B→A, run by region A's workers. */
  bToA: string;
}

/**
 * Each region pulls the other into itself, as README "Sync tasks" shows: in region B a `local`
 * cluster, a `distro` cluster naming region A's nodes with A's registry API token, and the task
 * A→B for every namespace, group and service; the mirror image in region A.
 */
export async function createDrTasks(a: Region, b: Region): Promise<DrTasks> {
  const pull = async (into: Region, from: Region): Promise<string> => {
    const here = await into.admin.request<{ id: string }>('POST', '/clusters', {
      name: `region-${into.name}`,
      kind: 'local',
    });
    const there = await into.admin.request<{ id: string }>('POST', '/clusters', {
      name: `region-${from.name}`,
      kind: 'distro',
      addresses: from.clusterAddresses(),
      token: from.token,
    });
    const task = await into.admin.request<{ id: string }>('POST', '/tasks', {
      name: `${from.name.toUpperCase()}->${into.name.toUpperCase()}`,
      sourceClusterId: there.id,
      targetClusterId: here.id,
      namespace: '*',
      groupName: '*',
      serviceName: '*',
    });
    return task.id;
  };
  const [aToB, bToA] = await Promise.all([pull(b, a), pull(a, b)]);
  return { aToB, bToA };
}
