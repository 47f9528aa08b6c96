import { randomBytes } from 'node:crypto';
import { dropDatabase, scratchDatabase } from '../bench/scratch-db';
import { PgliteServer } from './pglite-server';

/** The database one region's nodes share: their sync workers take task leases through it. */
export interface RegionDatabase {
  /** The Postgres URL every node of the region is given as DATABASE_URL. */
  url: string;
  /** `embedded` (a PGlite of this process) or the database name created on DATABASE_URL's server. */
  describe: string;
  /** Pool size each node should use: PGlite serves all sessions one query at a time, so keep it small. */
  poolSize: number;
  drop(): Promise<void>;
}

/** Pool of each node on an embedded PGlite: its one session serves every query in turn anyway. */
const EMBEDDED_POOL_PER_NODE = 2;

/**
 * Without `base`, a fresh in-memory PGlite hosted in this process and served on a loopback port:
 * one PGlite serves one process, so the orchestrator holds it and the region's nodes connect to it
 * (see PgliteServer for how they take turns). With `base` (DATABASE_URL), a new
 * database on that server, dropped again by `drop()`.
 */
export async function createRegionDatabase(region: string, base: string | undefined): Promise<RegionDatabase> {
  if (!base) {
    const embedded = await PgliteServer.start();
    return {
      url: embedded.url,
      describe: 'embedded PGlite',
      poolSize: EMBEDDED_POOL_PER_NODE,
      drop: () => embedded.stop(),
    };
  }
  const name = `distro_sync_${region}_${randomBytes(4).toString('hex')}`;
  const url = await scratchDatabase(base, name);
  return {
    url,
    describe: `database ${name}`,
    poolSize: 5,
    drop: () => dropDatabase(base, name),
  };
}
