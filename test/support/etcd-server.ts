import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../../tools/support/eventually';
import { freePorts } from '../../tools/support/free-ports';

const ETCD = 'etcd';
const ETCDCTL = 'etcdctl';

/**
 * A throwaway etcd (the Debian `etcd-server` package) a spec owns: a single member on free
 * loopback ports with a temporary data dir, stopped and removed by `stop()`. `restart()` keeps the
 * data dir and ports (a server that went down and came back); `ctl()` runs etcdctl against it.
 */
export class EtcdServer {
  private child: ChildProcess | undefined;
  private readonly output: string[] = [];

  private constructor(
    readonly clientPort: number,
    private readonly peerPort: number,
    private readonly dataDir: string,
  ) {}

  /** `host:port` as a cluster's addresses name it. */
  get address(): string {
    return `127.0.0.1:${this.clientPort}`;
  }

  static async start(): Promise<EtcdServer> {
    const [clientPort, peerPort] = await freePorts(2);
    const server = new EtcdServer(clientPort, peerPort, mkdtempSync(join(tmpdir(), 'etcd-spec-')));
    await server.launch();
    return server;
  }

  /** Kills the server (SIGKILL, as a crash) and waits for it to be gone. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await gone;
  }

  /** Starts it again on the same ports and data (what it held is still there). */
  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Runs etcdctl (v3 API) against this server; its stdout, or an error with its stderr. */
  ctl(args: readonly string[], auth?: { user: string; password: string }): string {
    const res = spawnSync(
      ETCDCTL,
      [`--endpoints=${this.address}`, ...(auth ? [`--user=${auth.user}:${auth.password}`] : []), ...args],
      { env: { PATH: process.env.PATH ?? '', ETCDCTL_API: '3' }, encoding: 'utf8', timeout: 10_000 },
    );
    if (res.status !== 0) throw new Error(`etcdctl ${args.join(' ')}: ${res.stderr || res.error?.message}`);
    return res.stdout;
  }

  private async launch(): Promise<void> {
    const client = `http://127.0.0.1:${this.clientPort}`;
    const peer = `http://127.0.0.1:${this.peerPort}`;
    const child = spawn(
      ETCD,
      [
        '--name=spec',
        `--data-dir=${this.dataDir}`,
        `--listen-client-urls=${client}`,
        `--advertise-client-urls=${client}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=spec=${peer}`,
        '--log-level=error',
        '--logger=zap',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    const keep = (chunk: Buffer): void => {
      this.output.push(chunk.toString());
      if (this.output.length > 200) this.output.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`etcd exited (${child.exitCode}): ${this.output.join('')}`);
        const res = await fetch(`${client}/health`);
        return ((await res.json()) as { health?: string }).health === 'true';
      },
      { timeoutMs: 20_000, intervalMs: 100, what: `etcd on ${client} to answer /health` },
    );
  }
}
