import { createServer } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { NacosClusterAdapter } from './nacos-cluster-adapter';

async function listen(server: Server | HttpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function close(server: Server | HttpServer): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A Nacos HTTP API that answers metrics UP and, when given, a server version. */
function nacosHttp(version?: string): HttpServer {
  return createServer((req, res) => {
    if (req.url?.startsWith('/nacos/v1/ns/operator/metrics')) res.end(JSON.stringify({ status: 'UP' }));
    else if (version && req.url?.startsWith('/nacos/v1/console/server/state')) res.end(JSON.stringify({ version }));
    else res.writeHead(404).end('not found');
  });
}

describe(NacosClusterAdapter.name, () => {
  const sockets = new Set<Socket>();
  const silent = createTcpServer((socket) => sockets.add(socket));
  let silentPort: number;
  const quiet = { log: jest.fn(), debug: jest.fn() };

  beforeAll(async () => {
    silentPort = await listen(silent);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await close(silent);
  });

  const adapter = (httpPort: number, grpcPort: number): NacosClusterAdapter =>
    new NacosClusterAdapter(
      { name: 'legacy', addresses: [`127.0.0.1:${httpPort}/${grpcPort}`], namespace: 'public', probeTimeoutMs: 300 },
      quiet,
    );

  it('should not fall back to HTTP v1 when the gRPC port only fails to answer', async () => {
    const http = nacosHttp();
    const port = await listen(http);
    const sut = adapter(port, silentPort);
    try {
      expect(await sut.check()).toMatchObject({
        reachable: false,
        error: expect.stringMatching(/did not answer as a 2\.x server .*no fallback/),
      });
      expect(sut.protocol).toBeUndefined();
    } finally {
      await sut.close();
      await close(http);
    }
  });

  it('should fall back when the HTTP API says it is a 1.x server, and log it once', async () => {
    const http = nacosHttp('1.4.1');
    const port = await listen(http);
    const sut = adapter(port, silentPort);
    try {
      expect(await sut.check()).toMatchObject({
        reachable: true,
        protocol: 'http-v1',
        version: expect.stringContaining('nacos HTTP v1 1.4.1 via'),
      });
      await sut.check();
      expect(sut.protocol).toBe('http-v1');
      expect(quiet.log).toHaveBeenCalledTimes(1);
      expect(quiet.log).toHaveBeenCalledWith(expect.stringMatching(/nacos cluster legacy: .*using Nacos HTTP v1/));
    } finally {
      await sut.close();
      await close(http);
    }
  });

  it('should say both protocols failed when neither answers, and decide again at the next call', async () => {
    const http = nacosHttp();
    const port = await listen(http);
    await close(http);
    const sut = adapter(port, port);
    try {
      const first = await sut.check();
      expect(first).toMatchObject({
        reachable: false,
        error: expect.stringMatching(/no Nacos 2\.x gRPC \(.*connection refused\) and no Nacos HTTP v1 answer/),
      });
      // The 1.x server comes up on that port (gRPC and HTTP alike): the next call decides anew.
      const revived = nacosHttp('1.4.1');
      await new Promise<void>((resolve) => revived.listen(port, '127.0.0.1', resolve));
      try {
        expect(await sut.check()).toMatchObject({ reachable: true, protocol: 'http-v1' });
      } finally {
        await close(revived);
      }
    } finally {
      await sut.close();
    }
  });
});
