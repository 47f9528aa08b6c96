import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const MAIN = join(__dirname, '..', 'src', 'main.js');

export interface NodePorts {
  http: number;
  grpc: number;
  distro: number;
}

export type NodeState = 'stopped' | 'starting' | 'up' | 'stopping';

/** Every child this process started and has not seen exit: killed when this process exits. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Pids of every node process started so far (live or not): the soak test checks none outlives it. */
export const startedPids: number[] = [];

/**
 * One node of a region as a real process (`node dist/src/main.js`) on fixed ports, so it can be
 * killed and started again where its peers and clients expect it. Its JSON log lines go to
 * `logFile` (appended across restarts).
 */
export class RegionNode {
  state: NodeState = 'stopped';
  pid: number | undefined;
  private starts = 0;
  private child: ChildProcess | undefined;
  private log: WriteStream | undefined;
  private exited: Promise<number | string> = Promise.resolve('never started');

  constructor(
    readonly name: string,
    readonly ports: NodePorts,
    readonly logFile: string,
    private readonly env: () => Record<string, string>,
  ) {}

  /** How often the node was started again after its first start. */
  get restarts(): number {
    return Math.max(0, this.starts - 1);
  }

  get base(): string {
    return `http://127.0.0.1:${this.ports.http}`;
  }

  get grpcAddress(): string {
    return `127.0.0.1:${this.ports.grpc}`;
  }

  /** Spawns the process and resolves once it listens (its ready line); Distro may still be loading. */
  async start(timeoutMs = 60_000): Promise<void> {
    if (this.child) throw new Error(`${this.name} is already running`);
    this.log ??= createWriteStream(this.logFile, { flags: 'a' });
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', LOG_FORMAT: 'json', ...this.env() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.pid = child.pid;
    this.starts++;
    if (child.pid !== undefined) startedPids.push(child.pid);
    live.add(child);
    this.state = 'starting';
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        live.delete(child);
        if (this.child === child) {
          this.child = undefined;
          this.state = 'stopped';
        }
        resolve(code ?? signal ?? -1);
      }),
    );
    child.stderr?.pipe(this.log, { end: false });
    const lines = createInterface({ input: child.stdout });
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} not listening within ${timeoutMs} ms`)), timeoutMs);
      lines.on('line', (line) => {
        this.log?.write(`${line}\n`);
        if (line.includes('ready — API')) {
          clearTimeout(timer);
          resolve();
        }
      });
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (${code}) before it listened; see ${this.logFile}`));
      });
    });
    await ready;
    this.state = 'up';
  }

  /** Resolves when /health/ready answers 200: Distro loaded its snapshot and the database answers. */
  async waitReady(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.child) throw new Error(`${this.name} is not running`);
      try {
        if ((await fetch(`${this.base}/health/ready`, { signal: AbortSignal.timeout(2000) })).ok) return;
      } catch {
        // still starting
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`${this.name} not ready within ${timeoutMs} ms; see ${this.logFile}`);
  }

  /**
   * Sends `signal` and waits for the exit; a process still there after `graceMs` is killed. SIGKILL
   * is a crash: no goodbye to peers, clients or the database.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<number | string> {
    const child = this.child;
    if (!child) return this.exited;
    this.state = 'stopping';
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** Closes the log file once the node is stopped for good. */
  async closeLog(): Promise<void> {
    const log = this.log;
    this.log = undefined;
    if (log) await new Promise((resolve) => log.end(resolve));
  }
}
