import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
 * the demo; `srvr` (the readiness probe, the cluster check) and `dump` (the sessions holding ephemeral znodes) are the four-letter words it answers.
 */
export async function startZooKeeper(options: ZooKeeperServerOptions = {}): Promise<ZooKeeperServer> {
  const dir = mkdtempSync(join(tmpdir(), 'distro-sync-zk-'));
  const [port] = await freePorts(1);
  const config = join(dir, 'zoo.cfg');
  writeFileSync(
    config,
    [
      `tickTime=${options.tickTimeMs ?? 500}`,
      `dataDir=${join(dir, 'data')}`,
      `clientPort=${port}`,
      'clientPortAddress=127.0.0.1',
      'admin.enableServer=false',
      '4lw.commands.whitelist=srvr,dump',
      'maxClientCnxns=0',
      '',
    ].join('\n'),
  );
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
  await launch();
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
