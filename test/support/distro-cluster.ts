import { eventually } from '../../tools/support/eventually';
import { freePorts } from '../../tools/support/free-ports';
import { DistroRouting } from '../../src/distro/distro-routing';
import { Registry } from '../../src/registry';
import type { TestNode } from './app';
import { startTestNode } from './app';

export const DISTRO_TEST_TOKEN = 'distro-test-token-0123456789';

/** Env of one in-process cluster member: short intervals so tests converge in seconds. */
export function distroEnv(port: number, members: string[], extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATA_DIR: 'memory',
    DISTRO_PORT: String(port),
    DISTRO_MEMBERS: members.join(','),
    DISTRO_TOKEN: DISTRO_TEST_TOKEN,
    DISTRO_PROBE_INTERVAL_MS: '200',
    DISTRO_VERIFY_INTERVAL_MS: '500',
    DISTRO_CLIENT_EXPIRE_MS: '3000',
    DISTRO_LOAD_RETRY_MS: '200',
    DISTRO_BOOTSTRAP_WAIT_MS: '500',
    ...extra,
  };
}

/** A stable digest of everything a node's registry shows: every namespace, service and instance. */
export function registryDigest(registry: Registry): string {
  const lines: string[] = [];
  for (const namespace of registry.namespaces()) {
    for (const key of registry.listServicesMatching(namespace, '*', '*')) {
      for (const i of registry.listInstances(key)) {
        lines.push(
          `${key.namespace}/${key.group}@@${key.name}/${i.clusterName}/${i.ip}:${i.port} w=${i.weight} h=${i.healthy} e=${i.enabled} ${JSON.stringify(i.metadata)}`,
        );
      }
    }
  }
  return lines.sort().join('\n');
}

export function registryOf(node: TestNode): Registry {
  return node.app.get(Registry);
}

export async function startCluster(
  size: number,
  extra: Record<string, string> = {},
): Promise<{ nodes: TestNode[]; ports: number[]; members: string[] }> {
  const ports = await freePorts(size);
  const members = ports.map((p) => `127.0.0.1:${p}`);
  const nodes: TestNode[] = [];
  for (const port of ports) nodes.push(await startTestNode(distroEnv(port, members, extra)));
  return { nodes, ports, members };
}

/** Waits until every node has opened its init gate and sees every peer UP. */
export async function clusterUp(nodes: TestNode[]): Promise<void> {
  await eventually(() => nodes.every((n) => n.app.get(DistroRouting).initialized()), { timeoutMs: 15000 });
  await eventually(
    () =>
      nodes.every((n) =>
        n.app
          .get(DistroRouting)
          .members()
          .every((m) => m.state === 'UP'),
      ),
    { timeoutMs: 10000 },
  );
}

/**
 * Distro log lines of one member. nestjs-pino keeps one root logger per process, so in-process
 * nodes all write into the first node's sink; Distro lines carry `member` to tell them apart.
 */
export function distroLogs(nodes: TestNode[], member: string): Array<Record<string, unknown>> {
  return nodes.flatMap((n) => n.logs).filter((line) => line.member === member);
}

export function logged(nodes: TestNode[], member: string, text: string): boolean {
  return distroLogs(nodes, member).some((line) => typeof line.msg === 'string' && line.msg.includes(text));
}
