import { hostname, networkInterfaces } from 'node:os';

function localHosts(bindHost: string): Set<string> {
  const hosts = new Set(['localhost', '127.0.0.1', '::1', hostname(), bindHost]);
  for (const list of Object.values(networkInterfaces())) for (const info of list ?? []) hosts.add(info.address);
  return hosts;
}

function advertisedHost(bindHost: string): string {
  if (bindHost !== '0.0.0.0' && bindHost !== '::') return bindHost;
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) if (info.family === 'IPv4' && !info.internal) return info.address;
  }
  return '127.0.0.1';
}

/**
 * This node's member id: DISTRO_SELF when set; else the listed member whose port is our bound
 * Distro port and whose host is one of our addresses; else `<first non-loopback IPv4>:<port>`
 * (what a Kubernetes headless Service's A record names).
 */
export function resolveSelf(
  configured: string | undefined,
  members: readonly string[],
  port: number,
  bindHost: string,
): string {
  if (configured) return configured;
  const local = localHosts(bindHost);
  const mine = members
    .filter((member) => {
      const at = member.lastIndexOf(':');
      const host = member.slice(0, at).replace(/^\[|\]$/g, '');
      return Number(member.slice(at + 1)) === port && local.has(host);
    })
    .sort();
  return mine[0] ?? `${advertisedHost(bindHost)}:${port}`;
}
