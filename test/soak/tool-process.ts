import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

export interface ToolRun {
  stdout: string;
  stderr: string;
  /** Set once the process ended. */
  ended: boolean;
  /** Exit code, or the signal name when killed by one. */
  exit: Promise<number | string>;
  signal(name: NodeJS.Signals): void;
}

/** Runs one of the built tools (`node dist/tools/<name>.js`) as `npm run <name>` would, with this env. */
export function runTool(name: 'demo' | 'soak', args: string[]): ToolRun {
  const child = spawn(process.execPath, [resolve(__dirname, '..', '..', 'dist', 'tools', `${name}.js`), ...args], {
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: ToolRun = {
    stdout: '',
    stderr: '',
    ended: false,
    exit: new Promise((done) =>
      child.once('exit', (code, signal) => {
        run.ended = true;
        done(code ?? signal ?? -1);
      }),
    ),
    signal: (signal) => child.kill(signal),
  };
  child.stdout.on('data', (chunk: Buffer) => (run.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
  return run;
}

/** Pids (from a tool's output) of processes that are still alive. */
export function alive(pids: number[]): number[] {
  return pids.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  });
}
