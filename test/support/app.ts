import { Writable } from 'node:stream';
import { AppConfig } from '../../src/config/app-config';
import { startNode } from '../../src/bootstrap';
import type { RunningNode } from '../../src/bootstrap';
import { createRootLogger } from '../../src/observability/logger';

export interface TestNode extends RunningNode {
  base: string;
  /** Every log line the node wrote, parsed. */
  logs: Array<Record<string, unknown>>;
}

/** Starts one in-process node on port 0 with the given env (nothing read from process.env). */
export async function startTestNode(env: Record<string, string>): Promise<TestNode> {
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
  return { ...node, base: `http://127.0.0.1:${node.httpPort}`, logs };
}
