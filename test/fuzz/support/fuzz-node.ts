import { Registry } from '@/registry';
import { startTestNode } from '../../support/app';
import type { TestNode } from '../../support/app';
import { registryDigest } from '../../support/distro-cluster';
import { notMetadataText, notPrintable } from './hostile';
import type { Violation } from './fuzz-run';
import { httpCall } from './http-probe';
import { QUIET_ENV, markerIn } from './secrets';

/**
 * A node under fuzz: the in-process node, where its log stands, and a count of lease expiries
 * (an expiry between two digests is the node's own change, not the refused request's).
 */
export class FuzzNode {
  private logMark = 0;
  expiries = 0;

  private constructor(
    readonly node: TestNode,
    readonly label: string,
  ) {
    const registry = this.registry;
    const expire = registry.expireClients.bind(registry);
    registry.expireClients = (now: number) => {
      const expired = expire(now);
      if (expired.length > 0) this.expiries++;
      return expired;
    };
  }

  static async start(label: string, env: Record<string, string>): Promise<FuzzNode> {
    return new FuzzNode(await startTestNode({ DATA_DIR: 'memory', ...QUIET_ENV, ...env }), label);
  }

  get registry(): Registry {
    return this.node.app.get(Registry);
  }

  get base(): string {
    return this.node.base;
  }

  /** Everything the registry shows (names, addresses, weights, flags, metadata). */
  registryDigest(): string {
    return registryDigest(this.registry);
  }

  /** Values in the registry that break the text rule, one string each. */
  ruleBreakers(): Set<string> {
    const out = new Set<string>();
    for (const namespace of this.registry.namespaces()) {
      for (const key of this.registry.listServicesMatching(namespace, '*', '*')) {
        for (const field of [key.namespace, key.group, key.name]) {
          const why = notPrintable(field);
          if (why) out.add(`service name ${JSON.stringify(field)} ${why}`);
        }
        for (const i of this.registry.listInstances(key)) {
          for (const [name, field] of [
            ['clusterName', i.clusterName],
            ['ip', i.ip],
          ] as const) {
            const why = notPrintable(field);
            if (why) out.add(`instance ${name} ${JSON.stringify(field)} ${why}`);
          }
          for (const [k, v] of Object.entries(i.metadata)) {
            const why = notMetadataText(k) ?? notMetadataText(v);
            if (why) out.add(`metadata ${JSON.stringify(k)}=${JSON.stringify(v)} ${why}`);
          }
        }
      }
    }
    return out;
  }

  /** Log lines written since the last call that quote a marker secret. */
  newLeakedLogLines(): string[] {
    return this.newLeakedLogLinesMatching(markerIn);
  }

  /** Log lines written since the last call in which `find` sees a secret (what it returns: an excerpt). */
  newLeakedLogLinesMatching(find: (text: string) => string | undefined): string[] {
    const lines = this.node.logs.slice(this.logMark);
    this.logMark = this.node.logs.length;
    const leaks: string[] = [];
    for (const line of lines) {
      const hit = find(JSON.stringify(line));
      if (hit) leaks.push(hit);
    }
    return leaks;
  }

  /** Every log line quoting a marker secret, over the node's whole life. */
  allLeakedLogLines(): string[] {
    return this.node.logs.map((line) => markerIn(JSON.stringify(line))).filter((hit): hit is string => !!hit);
  }

  /** Health and an answer on the HTTP port after the fuzz: a crash or wedge shows here. */
  async aliveViolations(edge: string): Promise<Violation[]> {
    const res = await httpCall(this.base, { method: 'GET', path: '/health/live' });
    if (res.status === 200) return [];
    return [
      {
        edge,
        endpoint: 'GET /health/live',
        kind: 'crash',
        detail: `${this.label}: ${res.status} ${res.error ?? res.text}`,
      },
    ];
  }

  close(): Promise<void> {
    return this.node.close();
  }
}
