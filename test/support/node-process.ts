import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const MAIN = resolve(__dirname, '..', '..', 'dist', 'src', 'main.js');
const PGLITE_PRELOAD = resolve(__dirname, 'pglite-preload.js');

export interface NodeProcess {
  child: ChildProcess;
  output: string[];
  /** Resolves with the HTTP base URL once the node printed its ready line. */
  ready: Promise<string>;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Runs the built app (`node dist/src/main.js`) as a real process with exactly the given env. With
 * `pgliteDump`, an in-memory PGlite starts from the run's dump of a fresh cluster (pglite-preload.js)
 * instead of running initdb; without it the process starts exactly as `npm start` does.
 */
export function spawnNode(
  env: Record<string, string>,
  options: { readyTimeoutMs?: number; pgliteDump?: boolean } = {},
): NodeProcess {
  const dump = options.pgliteDump ? process.env.DISTRO_SYNC_TEST_PGLITE_DUMP : undefined;
  const child = spawn(process.execPath, dump ? ['--require', PGLITE_PRELOAD, MAIN] : [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      HTTP_PORT: '0',
      HOST: '127.0.0.1',
      LOG_FORMAT: 'json',
      // The specs register persistent instances at addresses nobody owns (10.x): no health check may
      // connect to them. A spec of the checks turns them on for its loopback instances.
      NACOS_HEALTH_CHECK_ENABLED: 'false',
      ...(dump ? { DISTRO_SYNC_TEST_PGLITE_DUMP: dump } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  let onReady: (url: string) => void = () => undefined;
  let timer: NodeJS.Timeout | undefined;
  const ready = new Promise<string>((resolveReady, rejectReady) => {
    onReady = resolveReady;
    // A node that never got ready is killed: left running it would load the machine for every spec after.
    // The deadline only catches a node that hangs: a start takes seconds on a quiet machine and over 30 s on
    // the shared one under load, where a 30 s deadline failed node processes that were only slow.
    timer = setTimeout(() => {
      rejectReady(new Error(`node not ready in time:\n${output.join('\n')}`));
      child.kill('SIGKILL');
    }, options.readyTimeoutMs ?? 120_000);
    child.once('exit', (code) => rejectReady(new Error(`node exited (${code}) before ready:\n${output.join('\n')}`)));
  });
  ready.then(
    () => clearTimeout(timer),
    () => clearTimeout(timer),
  );
  const collect = (chunk: Buffer): void => {
    for (const line of chunk.toString().split('\n')) {
      if (!line) continue;
      output.push(line);
      const m = /ready — API (http:\/\/[^/]+)\/api\/v1/.exec(line);
      if (m?.[1]) onReady(m[1]);
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | string>((res) => child.once('exit', (code, signal) => res(code ?? signal ?? -1)));
  return { child, output, ready, exited, kill: (signal = 'SIGTERM') => child.kill(signal) };
}

/** Stops every node of `nodes` still running with SIGKILL (a spec's clean-up) and waits until all have exited. */
export async function killAll(nodes: readonly NodeProcess[]): Promise<void> {
  for (const node of nodes) if (node.child.exitCode === null && node.child.signalCode === null) node.kill('SIGKILL');
  await Promise.all(nodes.map((node) => node.exited));
}
