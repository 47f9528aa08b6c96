import type { ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NetRig, RigNode } from './netns';

const MAIN = resolve(__dirname, '..', '..', 'dist', 'src', 'main.js');
const PGLITE_PRELOAD = resolve(__dirname, '..', 'support', 'pglite-preload.js');
export const HTTP_PORT = 8848;
export const DISTRO_PORT = 9849;
const KEEP_LINES = 400;

/**
 * One registry node (`node dist/src/main.js`) running in its rig namespace. It can be killed,
 * paused and resumed (the signals reach the node process itself: `ip netns exec` execs it) and
 * started again in the same namespace with the same env. Its log goes to `<logDir>/<name>.log`.
 */
export class FaultNode {
  private child?: ChildProcess;
  private exited?: Promise<number | string>;
  private running = false;
  private paused = false;
  private readonly tail: string[] = [];
  private readonly logFile: string;
  private killing = false;
  starts = 0;
  /** Exits nobody asked for (crashes), with the last lines before them. */
  readonly crashes: string[] = [];

  constructor(
    private readonly rig: NetRig,
    readonly rigNode: RigNode,
    private readonly env: Record<string, string>,
    logDir: string,
  ) {
    mkdirSync(logDir, { recursive: true });
    this.logFile = join(logDir, `${rigNode.name}.log`);
    writeFileSync(this.logFile, '');
  }

  get name(): string {
    return this.rigNode.name;
  }

  get base(): string {
    return `http://${this.rigNode.clientIp}:${HTTP_PORT}`;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  /** Running and not paused: expected to answer. */
  isServing(): boolean {
    return this.running && !this.paused;
  }

  isRunning(): boolean {
    return this.running;
  }

  get logPath(): string {
    return this.logFile;
  }

  lastLines(n = 30): string[] {
    return this.tail.slice(-n);
  }

  /**
   * Starts the process and resolves once it printed its ready line and /health/ready answers 200
   * (initialized). The timeout is generous: the embedded PGlite alone takes 20-30 s to start when
   * the shared 2-core machine is busy, if it runs initdb. It does not when the test run dumped a fresh
   * cluster (the faults project's global setup): the node then loads that (test/support/pglite-preload.js).
   */
  async start(timeoutMs = 120000): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    this.starts++;
    appendFileSync(this.logFile, `----- start #${this.starts} at ${new Date().toISOString()}\n`);
    const dump = process.env.DISTRO_SYNC_TEST_PGLITE_DUMP;
    const child = this.rig.spawn(
      this.rigNode.index,
      process.execPath,
      dump ? ['--require', PGLITE_PRELOAD, MAIN] : [MAIN],
      {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          ...(dump ? { DISTRO_SYNC_TEST_PGLITE_DUMP: dump } : {}),
          ...this.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    this.running = true;
    this.paused = false;
    let readyLine = false;
    const collect = (chunk: Buffer): void => {
      const text = chunk.toString();
      appendFileSync(this.logFile, text);
      for (const line of text.split('\n')) {
        if (!line) continue;
        this.tail.push(line);
        if (this.tail.length > KEEP_LINES) this.tail.shift();
        if (line.includes('ready — API')) readyLine = true;
      }
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((res) =>
      child.once('exit', (code, signal) => {
        this.running = false;
        if (!this.killing)
          this.crashes.push(`${this.name} exited by itself (${code ?? signal}):\n${this.lastLines(15).join('\n')}`);
        this.killing = false;
        appendFileSync(this.logFile, `----- exited (${code ?? signal}) at ${new Date().toISOString()}\n`);
        res(code ?? signal ?? -1);
      }),
    );
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited before it was ready:\n${this.lastLines().join('\n')}`);
      if (readyLine) {
        try {
          const response = await fetch(`${this.base}/health/ready`, { signal: AbortSignal.timeout(1000) });
          if (response.status === 200) return;
        } catch {
          // not listening yet
        }
      }
      await sleep(100);
    }
    throw new Error(`${this.name} not ready (initialized) in ${timeoutMs} ms:\n${this.lastLines().join('\n')}`);
  }

  /** Sends a signal to the node process itself. */
  signal(signal: NodeJS.Signals): void {
    if (!this.child || !this.running) throw new Error(`${this.name} is not running`);
    if (signal === 'SIGSTOP') this.paused = true;
    if (signal === 'SIGCONT') this.paused = false;
    this.child.kill(signal);
  }

  /** SIGKILL, and wait until it is gone. */
  async kill(): Promise<void> {
    if (!this.child || !this.running) return;
    this.killing = true;
    this.child.kill('SIGKILL');
    await this.exited;
    this.paused = false;
  }
}
