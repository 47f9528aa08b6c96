import { createServer } from 'node:net';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';

function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * A free HTTP port whose +1000 is free too: the Nacos SDKs take the HTTP address and dial gRPC
 * on HTTP port + 1000, so the node must run with that pair.
 */
export async function freePortPair(): Promise<{ httpPort: number; grpcPort: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const httpPort = await tryListen(0);
    if (httpPort === undefined || httpPort + 1000 > 65535) continue;
    if ((await tryListen(httpPort + 1000)) !== undefined) return { httpPort, grpcPort: httpPort + 1000 };
  }
  throw new Error('no free port pair (p, p+1000) found');
}

/** An in-process node whose gRPC port is its HTTP port + 1000, as Nacos clients expect. */
export async function startSdkCompatibleNode(env: Record<string, string> = {}): Promise<TestNode> {
  for (let attempt = 0; ; attempt++) {
    const { httpPort, grpcPort } = await freePortPair();
    try {
      return await startTestNode({
        HTTP_PORT: String(httpPort),
        NACOS_GRPC_PORT: String(grpcPort),
        DATA_DIR: 'memory',
        LOG_LEVEL: 'info',
        ...env,
      });
    } catch (err) {
      // Another process took one of the ports between the probe and the bind: try another pair.
      if (attempt >= 3) throw err;
    }
  }
}
