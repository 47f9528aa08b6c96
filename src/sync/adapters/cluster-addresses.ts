/**
 * Cluster addresses are `host:httpPort` as Nacos clients take them; the gRPC port is the HTTP port
 * + 1000 (Nacos's rule) unless the address names it: `host:httpPort/grpcPort`.
 */
export function grpcAddresses(addresses: readonly string[]): string[] {
  return addresses.map((address) => {
    const [hostPort, grpcPort] = address.split('/');
    const at = (hostPort ?? '').lastIndexOf(':');
    const host = (hostPort ?? '').slice(0, at);
    const httpPort = Number((hostPort ?? '').slice(at + 1));
    return `${host}:${grpcPort ? Number(grpcPort) : httpPort + 1000}`;
  });
}

/** The `host:httpPort` part of each address (what the Nacos HTTP API listens on). */
export function httpAddresses(addresses: readonly string[]): string[] {
  return addresses.map((address) => address.split('/')[0] ?? address);
}
