/** A region node of the sync benchmarks: a node process with the admin API and its registry API on loopback. */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { adminRequest } from '../tools/support/admin-request';
import { eventually } from '../tools/support/eventually';
import { freePorts } from '../tools/support/free-ports';
import { spawnBenchNode } from './distro-rig';

export const TOKEN = 'sync-bench-admin-token-000';

export interface Region {
  base: string;
  grpc: number;
  child: ChildProcess;
}

export async function startRegion(databaseUrl: string | undefined): Promise<Region> {
  const [http, grpc, distro] = await freePorts(3);
  // --expose-gc plus a SIGUSR2 hook: memory is read after a forced full collection.
  const gcHook = ['--expose-gc', '-r', join(__dirname, 'gc-on-signal.js')];
  const child = spawnBenchNode(
    {
      HTTP_PORT: String(http),
      NACOS_GRPC_PORT: String(grpc),
      DISTRO_PORT: String(distro),
      ADMIN_TOKEN: TOKEN,
      SECRET_KEY: 'sync-bench-secret-key-0123456789abcdef',
      SYNC_LEASE_RENEW_MS: '500',
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    },
    gcHook,
  );
  const base = `http://127.0.0.1:${http}`;
  await eventually(async () => (await fetch(`${base}/health/ready`)).ok, { timeoutMs: 60_000, intervalMs: 200 });
  return { base, grpc, child };
}

/** Stops a region node (SIGTERM) and waits for it to exit. */
export function stopRegion(region: Region): Promise<unknown> {
  return new Promise((resolve) => region.child.once('exit', resolve).kill('SIGTERM'));
}

export interface AdminAnswer {
  id: string;
  applied: number;
}

export function admin(base: string, method: string, path: string, body?: unknown): Promise<AdminAnswer> {
  return adminRequest<AdminAnswer>(`${base}/api/v1${path}`, TOKEN, method, body);
}
