import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { probeNacosGrpc } from './nacos-grpc-probe';

async function listening(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function closed(server: Server): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe(probeNacosGrpc.name, () => {
  it('should be certain there is no Nacos gRPC when the port refuses', async () => {
    const server = createTcpServer();
    const port = await listening(server);
    await closed(server);
    expect(await probeNacosGrpc(`127.0.0.1:${port}`, 1000)).toEqual({
      outcome: 'absent',
      address: `127.0.0.1:${port}`,
      reason: 'connection refused',
    });
  });

  it('should be certain there is no Nacos gRPC when a gRPC server lacks the Nacos service', async () => {
    const server = new grpc.Server();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) =>
        err ? reject(err) : resolve(bound),
      ),
    );
    try {
      expect(await probeNacosGrpc(`127.0.0.1:${port}`, 2000)).toMatchObject({
        outcome: 'absent',
        reason: expect.stringContaining('gRPC server without the Nacos service'),
      });
    } finally {
      server.forceShutdown();
    }
  });

  it('should not claim to know when the port accepts but never answers, or speaks HTTP/1.1', async () => {
    const accepted = new Set<Socket>();
    const silent = createTcpServer((socket) => accepted.add(socket));
    const http1 = createServer((_req, res) => res.end('not grpc'));
    const [silentPort, httpPort] = await Promise.all([listening(silent), listening(http1)]);
    try {
      expect(await probeNacosGrpc(`127.0.0.1:${silentPort}`, 300)).toMatchObject({ outcome: 'unknown' });
      expect(await probeNacosGrpc(`127.0.0.1:${httpPort}`, 1000)).toMatchObject({ outcome: 'unknown' });
    } finally {
      for (const socket of accepted) socket.destroy();
      http1.closeAllConnections();
      await closed(silent);
      await closed(http1);
    }
  });
});
