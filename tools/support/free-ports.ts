import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * `count` free loopback ports, found by binding :0 and releasing them: Distro members and node ports must
 * be named before the processes start. Another process may take one in between; callers that can retry do.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      const server = createServer();
      return new Promise<ReturnType<typeof createServer>>((resolve) =>
        server.listen(0, '127.0.0.1', () => resolve(server)),
      );
    }),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}
