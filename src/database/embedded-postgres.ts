import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { PGlite as PGliteType } from '@electric-sql/pglite';
import type { PGLiteSocketServer as SocketServerType } from '@electric-sql/pglite-socket';

/**
 * An in-process Postgres (PGlite) served over the pg wire protocol on loopback, so the app talks
 * to it exactly as to a real server. `dataDir === 'memory'` keeps nothing on disk.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGliteType,
    private readonly server: SocketServerType,
    private readonly lockFile: string | undefined,
    readonly url: string,
  ) {}

  /**
   * `maxConnections` above 1 multiplexes several clients onto PGlite's single session (they then
   * share transactions and advisory locks), so the app keeps it at 1; tests may raise it.
   */
  static async start(dataDir: string, options: { maxConnections?: number } = {}): Promise<EmbeddedPostgres> {
    // Both packages are ESM-first; load them lazily so nothing pays for them when DATABASE_URL is set.
    const { PGlite } = await import('@electric-sql/pglite');
    const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
    let lockFile: string | undefined;
    let db: PGliteType;
    if (dataDir === 'memory') {
      db = await memoryDatabase(PGlite);
    } else {
      const dir = resolve(dataDir, 'pglite');
      mkdirSync(dir, { recursive: true });
      lockFile = resolve(dataDir, 'pglite.lock');
      acquireDirLock(lockFile);
      try {
        db = await PGlite.create(dir);
      } catch (err) {
        rmSync(lockFile, { force: true });
        throw err;
      }
    }
    const server = new PGLiteSocketServer({
      db,
      host: '127.0.0.1',
      port: 0,
      maxConnections: options.maxConnections ?? 1,
    });
    await server.start();
    const url = `postgres://postgres@${server.getServerConn()}/postgres`;
    return new EmbeddedPostgres(db, server, lockFile, url);
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.db.close();
    if (this.lockFile) rmSync(this.lockFile, { force: true });
  }
}

/** In-memory databases this process has started, and the fresh cluster later ones start from. */
let memoryStarts = 0;
let memoryTemplate: Promise<Blob | undefined> | undefined;

/**
 * A fresh in-memory database. initdb takes 1.5–3 s here, loading a dumped fresh cluster about
 * 0.4 s, so a process that starts several (tests, the demo) dumps the second one it initializes
 * (the first may be its only one: a 40 MB dump would be kept for nothing) and starts the rest from
 * that. Each database is still its own; only the empty cluster is shared.
 */
async function memoryDatabase(PGlite: typeof PGliteType): Promise<PGliteType> {
  memoryStarts++;
  if (memoryStarts === 1) return PGlite.create();
  if (memoryTemplate === undefined) {
    // Set before the first await, so starts running meanwhile wait for this template.
    // Never rejects: without a template, later starts run initdb as the first did.
    const created = PGlite.create();
    memoryTemplate = created.then((db) => db.dumpDataDir('none')).catch(() => undefined);
    const db = await created;
    await memoryTemplate;
    return db;
  }
  const template = await memoryTemplate;
  return template === undefined ? PGlite.create() : PGlite.create({ loadDataDir: template });
}

/**
 * Test seam: every later in-memory start of this process loads `dump` (PGlite's `dumpDataDir` of a fresh,
 * empty cluster) instead of running initdb — what the third start on does anyway. The test setup dumps one
 * cluster per `npm test` run and hands it to every spec file, as Jest gives each file its own copy of this
 * module, and to the node processes of the process-level specs (test/support/pglite-preload.js). Nothing in
 * the app calls it.
 */
export function useMemoryTemplate(dump: Blob): void {
  memoryStarts = Math.max(memoryStarts, 2);
  memoryTemplate = Promise.resolve(dump);
}

/** Two processes on one PGlite directory would corrupt it; refuse the second with a clear message. */
function acquireDirLock(lockFile: string): void {
  try {
    const pid = Number(readFileSync(lockFile, 'utf8'));
    if (pid && pid !== process.pid && isAlive(pid)) {
      throw new Error(`DATA_DIR is in use by process ${pid} (${lockFile}); give each node its own DATA_DIR`);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  writeFileSync(lockFile, String(process.pid));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
