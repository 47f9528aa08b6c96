import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useMemoryTemplate } from '../../src/database/embedded-postgres';

/** Where this run's dump of a fresh PGlite cluster lies (set by the global setup for every worker). */
const ENV = 'DISTRO_SYNC_TEST_PGLITE_DUMP';

/**
 * Once per `npm test` run (the global setup): initdb one in-memory PGlite and dump it to a file. Every spec
 * file's in-memory databases (test nodes with DATA_DIR=memory, embedded test databases) then load that dump
 * (about 0.4 s) instead of the first two of each file running initdb (1.5–3 s each, more on a busy machine),
 * as Jest gives every file its own copy of the module that keeps the process's dump.
 */
export async function dumpPgliteTemplate(): Promise<void> {
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create();
  try {
    const dump = await db.dumpDataDir('none');
    const path = join(tmpdir(), `distro-sync-test-pglite-${process.pid}.tar`);
    writeFileSync(path, Buffer.from(await dump.arrayBuffer()));
    process.env[ENV] = path;
  } finally {
    await db.close();
  }
}

/** The run's dump of a fresh cluster, for a PGlite a spec starts itself (`PgliteServer.start`); none outside `npm test`. */
export function pgliteTemplate(): Blob | undefined {
  const path = process.env[ENV];
  return path ? new Blob([readFileSync(path)], { type: 'application/x-tar' }) : undefined;
}

/** In each spec file (the setup after the environment): start in-memory databases from the run's dump. */
export function loadPgliteTemplate(): void {
  const dump = pgliteTemplate();
  if (dump) useMemoryTemplate(dump);
}

/** The global teardown: remove the dump. */
export function removePgliteTemplate(): void {
  const path = process.env[ENV];
  if (path) rmSync(path, { force: true });
}
