import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './eventually';
import { freePorts } from './free-ports';

import { fourLetterWord } from '@/sync/adapters/zookeeper-client';

/** Debian's `zookeeperd` puts the server and its dependencies (manifest Class-Path) in one jar. */
export const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';

export interface ZooKeeperServer {
  /** `127.0.0.1:<port>`, as a cluster address. */
  readonly address: string;
  readonly port: number;
  /** Whether the server process runs now. */
  readonly running: boolean;
  /** Kills the server (SIGKILL: no goodbye to clients) and keeps its data; `start` brings it back on the same port. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and data, and waits until it answers. */
  start(): Promise<void>;
  /** Stops the server and removes its data. */
  stop(): Promise<void>;
  /** The sessions connected to this server now (16 hex digits each). */
  sessions(): Promise<string[]>;
  /** The sessions that hold ephemeral znodes now (16 hex digits each, as ZooKeeperConnection names them), with their paths. */
  ephemerals(): Promise<Map<string, string[]>>;
}

export interface ZooKeeperServerOptions {
  /**
   * The server's tick; sessions are granted between 2 and 20 ticks. Default 500 ms, so tests can
   * have sessions of 1 to 10 s.
   */
  tickTimeMs?: number;
}

/**
 * A throwaway standalone ZooKeeper on a free loopback port with a temporary data dir, for tests and
 * the demo; `srvr` (the readiness probe, the cluster check), `dump` (the sessions holding
 * ephemeral znodes) and `cons` (the sessions connected) are the four-letter words it answers.
 */
export async function startZooKeeper(options: ZooKeeperServerOptions = {}): Promise<ZooKeeperServer> {
  return (await startZooKeeperEnsemble(1, options)).members[0];
}

export interface ZooKeeperEnsemble {
  members: ZooKeeperServer[];
  /** Every member's `127.0.0.1:<port>`, as a cluster's addresses. */
  addresses: string[];
  /** Stops every member and removes their data. */
  stop(): Promise<void>;
}

/**
 * `size` ZooKeeper servers on loopback forming one ensemble (one standalone server for 1), each
 * with its own data dir; resolves once every member serves (a quorum has formed).
 */
export async function startZooKeeperEnsemble(
  size: number,
  options: ZooKeeperServerOptions = {},
): Promise<ZooKeeperEnsemble> {
  const ports = await freePorts(size * 3);
  const clientPorts = ports.slice(0, size);
  const quorum =
    size === 1
      ? []
      : [
          'initLimit=10',
          'syncLimit=5',
          ...clientPorts.map((_, i) => `server.${i + 1}=127.0.0.1:${ports[size + i]}:${ports[2 * size + i]}`),
        ];
  const members = clientPorts.map((port, i) => member(i + 1, port, options, quorum));
  await Promise.all(members.map((m) => m.start()));
  return {
    members,
    addresses: members.map((m) => m.address),
    stop: async () => {
      await Promise.all(members.map((m) => m.stop()));
    },
  };
}

function member(id: number, port: number, options: ZooKeeperServerOptions, quorum: string[]): ZooKeeperServer {
  const dir = mkdtempSync(join(tmpdir(), 'distro-sync-zk-'));
  const dataDir = join(dir, 'data');
  const config = join(dir, 'zoo.cfg');
  writeFileSync(
    config,
    [
      `tickTime=${options.tickTimeMs ?? 500}`,
      `dataDir=${dataDir}`,
      `clientPort=${port}`,
      'clientPortAddress=127.0.0.1',
      'admin.enableServer=false',
      '4lw.commands.whitelist=srvr,dump,cons',
      'maxClientCnxns=0',
      ...quorum,
      '',
    ].join('\n'),
  );
  if (quorum.length > 0) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'myid'), `${id}\n`);
  }
  let child: ChildProcess | undefined;
  let output = '';
  const launch = async (): Promise<void> => {
    output = '';
    const proc = spawn(
      'java',
      [
        '-Xmx256m',
        `-Dzookeeper.log.dir=${dir}`,
        '-cp',
        ZOOKEEPER_JAR,
        'org.apache.zookeeper.server.quorum.QuorumPeerMain',
        config,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-4000);
    };
    proc.stdout.on('data', keep);
    proc.stderr.on('data', keep);
    // A member answers `srvr` with its version only once it serves (in an ensemble: once a quorum formed).
    await eventually(
      async () => {
        if (proc.exitCode !== null) throw new Error(`zookeeper exited ${proc.exitCode}: ${output}`);
        return (await fourLetterWord(`127.0.0.1:${port}`, 'srvr', 1000)).includes('Zookeeper version');
      },
      { timeoutMs: 30_000, intervalMs: 100, what: `zookeeper on 127.0.0.1:${port}` },
    );
  };
  const kill = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  };
  return {
    address: `127.0.0.1:${port}`,
    port,
    get running() {
      return child !== undefined && child.exitCode === null;
    },
    kill,
    start: launch,
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
    ephemerals: async () => parseEphemerals(await fourLetterWord(`127.0.0.1:${port}`, 'dump', 2000)),
    sessions: async () =>
      [...(await fourLetterWord(`127.0.0.1:${port}`, 'cons', 2000)).matchAll(/sid=0x([0-9a-fA-F]+)/g)].map((m) =>
        BigInt(`0x${m[1]}`).toString(16).padStart(16, '0'),
      ),
  };
}

/** The `Sessions with Ephemerals` part of a `dump` answer: `0x…:` lines, each followed by its paths. */
export function parseEphemerals(dump: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const part = dump.split(/Sessions with Ephemerals \(\d+\):/)[1] ?? '';
  let current: string[] | undefined;
  for (const line of part.split('\n')) {
    const session = /^0x([0-9a-fA-F]+):\s*$/.exec(line.trim());
    if (session) {
      out.set(BigInt(`0x${session[1]}`).toString(16).padStart(16, '0'), (current = []));
    } else if (line.trim().startsWith('/') && current) {
      current.push(line.trim());
    }
  }
  return out;
}
