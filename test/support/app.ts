import { Writable } from 'node:stream';
import { AppConfig } from '../../src/config/app-config';
import { startNode } from '../../src/bootstrap';
import type { RunningNode } from '../../src/bootstrap';
import { createRootLogger } from '../../src/observability/logger';
import { createTestDatabase } from './test-database';
import type { TestDatabase } from './test-database';

export interface TestNode extends RunningNode {
  base: string;
  /** Every log line the node wrote, parsed. */
  logs: Array<Record<string, unknown>>;
}

/**
 * Starts one in-process node on port 0 with the given env (nothing read from process.env but the run's
 * DATABASE_URL, below).
 *
 * `DATA_DIR: 'memory'` asks for a throwaway database of the node's own. With the run's Postgres
 * (DATABASE_URL) it is a clone of the migrated template, dropped when the node closes: the same
 * isolation for a fraction of the CPU (an in-memory PGlite costs about 1.5 s of CPU to start, and the
 * integration tier starts over a hundred nodes on two cores). `embedded: true` keeps the embedded
 * PGlite, for the specs of that path; without DATABASE_URL every such node is embedded anyway, and
 * DISTRO_SYNC_TEST_EMBEDDED=true makes every one embedded (to compare the two).
 */
export async function startTestNode(
  env: Record<string, string>,
  options: { embedded?: boolean } = {},
): Promise<TestNode> {
  const own =
    env.DATA_DIR === 'memory' &&
    env.DATABASE_URL === undefined &&
    !options.embedded &&
    process.env.DISTRO_SYNC_TEST_EMBEDDED !== 'true' &&
    process.env.DATABASE_URL
      ? await createTestDatabase()
      : undefined;
  if (own) env = { ...env, DATABASE_URL: own.url, DATABASE_POOL_SIZE: env.DATABASE_POOL_SIZE ?? '3' };
  try {
    return await startWith(env, own);
  } catch (error) {
    await own?.drop();
    throw error;
  }
}

async function startWith(env: Record<string, string>, own: TestDatabase | undefined): Promise<TestNode> {
  const config = AppConfig.fromEnv({
    HTTP_PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'debug',
    // The specs register persistent instances at addresses nobody owns (10.x): no health check may
    // connect to them. A spec of the checks turns them on for its loopback instances.
    NACOS_HEALTH_CHECK_ENABLED: 'false',
    ...env,
  });
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  const node = await startNode(config, createRootLogger(config, sink));
  const close = own
    ? () =>
        node.close().then(async () => {
          await own.drop();
        })
    : node.close;
  return { ...node, close, base: `http://127.0.0.1:${node.httpPort}`, logs };
}
