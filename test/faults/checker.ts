import { setTimeout as sleep } from 'node:timers/promises';
import type { Effect, History, OpRecord } from './history';
import { describeEffect, describeOp, keyId, seconds } from './history';
import type { InstanceData } from '../../src/registry';

/**
 * The checker: reads everything every UP node holds and checks the contract.
 *
 * 1. Acknowledged means kept. For each instance, what every node holds must be the effect of an
 *    operation on it that no acknowledged operation strictly follows — "strictly follows" meaning it
 *    was invoked after the other could last have taken effect: its completion for an acknowledged
 *    operation; for one that failed or timed out, its completion plus a grace (a forward still in
 *    flight), pushed past the end of any fault it overlapped (History.applyDeadline). An instance no
 *    operation touched may hold nothing. So an acknowledged registration that nothing followed is
 *    present with its values; an acknowledged deregistration that nothing followed is absent.
 * 2. One content. Every UP node holds the same instances with the same fields, within a bound after
 *    the faults end (measured).
 */

/** An instance as a node lists it (the Nacos v1 host fields), with the service it is listed in. */
export type ObservedInstance = HostJson & { service: string };

/** What one node lists: keyId → instance. */
export type Content = Map<string, ObservedInstance>;

export interface NodeRead {
  node: string;
  /** Undefined when the node is not UP (not running, 503, unreachable, timed out). */
  content?: Content;
  error?: string;
  at: number;
}

export type ViolationKind = 'lost' | 'resurrected' | 'stale' | 'phantom' | 'wrong fields';

export interface Violation {
  key: string;
  kind: ViolationKind;
  /** What each node holds for the instance (all read nodes, for context). */
  holdings: Array<{ node: string; holds: string; ok: boolean }>;
  allowed: string[];
  ops: OpRecord[];
}

const EXPECTED_CLUSTER = 'DEFAULT';

export function describeInstance(instance: ObservedInstance | undefined): string {
  if (!instance) return 'absent';
  const extra: string[] = [];
  if (!instance.healthy) extra.push('healthy=false');
  if (!instance.enabled) extra.push('enabled=false');
  if (!instance.ephemeral) extra.push('ephemeral=false');
  if (instance.clusterName !== EXPECTED_CLUSTER) extra.push(`cluster=${instance.clusterName}`);
  return `present w=${instance.weight} md=${JSON.stringify(instance.metadata)}${extra.length ? ` ${extra.join(' ')}` : ''}`;
}

function sameMetadata(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

/** The values of an effect, ignoring healthy/enabled/cluster. */
function sameValues(effect: Effect, observed: ObservedInstance | undefined): boolean {
  if (!effect.present) return observed === undefined;
  return (
    observed !== undefined &&
    Math.abs(observed.weight - effect.weight) < 1e-9 &&
    sameMetadata(observed.metadata, effect.metadata)
  );
}

function matches(effect: Effect, observed: ObservedInstance | undefined): boolean {
  if (!sameValues(effect, observed)) return false;
  return (
    observed === undefined ||
    (observed.healthy && observed.enabled && observed.ephemeral && observed.clusterName === EXPECTED_CLUSTER)
  );
}

/** The effects an instance may finally have, given its operations (see the file comment). */
export function allowedEffects(ops: OpRecord[], history: History, graceMs: number): Effect[] {
  const acked = ops.filter((op) => op.outcome === 'ok');
  const candidates = ops.filter((op) => op.outcome !== 'rejected');
  const allowed: Effect[] = [];
  // Nothing acknowledged: the operations may all have failed, so the instance may never have existed.
  if (acked.length === 0) allowed.push({ present: false });
  for (const op of candidates) {
    const deadline = history.applyDeadline(op, graceMs);
    if (acked.some((other) => other !== op && other.invokedAt > deadline)) continue;
    allowed.push(op.effect);
  }
  return allowed;
}

/** Contract point 1 on what each UP node holds now. */
export function checkKept(history: History, reads: NodeRead[], graceMs: number): Violation[] {
  const up = reads.filter((r): r is NodeRead & { content: Content } => r.content !== undefined);
  const keys = new Set<string>(history.keys());
  for (const read of up) for (const key of read.content.keys()) keys.add(key);
  const violations: Violation[] = [];
  for (const key of [...keys].sort()) {
    const ops = history.opsOf(key);
    const allowed = allowedEffects(ops, history, graceMs);
    const holdings = up.map((read) => {
      const observed = read.content.get(key);
      return {
        node: read.node,
        observed,
        holds: describeInstance(observed),
        ok: allowed.some((e) => matches(e, observed)),
      };
    });
    if (holdings.every((h) => h.ok)) continue;
    const bad = holdings.filter((h) => !h.ok);
    let kind: ViolationKind;
    if (ops.length === 0) kind = 'phantom';
    else if (bad.some((h) => h.observed !== undefined && allowed.some((e) => sameValues(e, h.observed))))
      kind = 'wrong fields';
    else if (bad.some((h) => h.observed === undefined)) kind = 'lost';
    else if (allowed.every((e) => !e.present)) kind = 'resurrected';
    else kind = 'stale';
    violations.push({
      key,
      kind,
      holdings: holdings.map(({ node, holds, ok }) => ({ node, holds, ok })),
      allowed: [...new Set(allowed.map(describeEffect))],
      ops,
    });
  }
  return violations;
}

const KIND_TEXT: Record<ViolationKind, string> = {
  lost: 'an acknowledged registration/update is missing',
  resurrected: 'present although its last acknowledged operation deregistered it',
  stale: 'holds values an acknowledged later write replaced',
  phantom: 'an instance no writer ever registered',
  'wrong fields': 'right values but healthy/enabled/ephemeral/cluster differ from what was written',
};

export function describeViolation(v: Violation, history: History, graceMs: number): string {
  const lines = [
    `  ${v.key} — ${v.kind}: ${KIND_TEXT[v.kind]}`,
    `    nodes:   ${v.holdings.map((h) => `${h.node}${h.ok ? '' : ' ✗'}: ${h.holds}`).join(' | ')}`,
    `    allowed: ${v.allowed.join(' | ') || '(nothing)'}`,
    '    history:',
  ];
  for (const op of v.ops) {
    const deadline = history.applyDeadline(op, graceMs);
    const late =
      op.outcome === 'failed' || op.outcome === 'timeout'
        ? ` [may take effect until t=${Number.isFinite(deadline) ? seconds(deadline) : '∞'} s]`
        : '';
    lines.push(`      ${describeOp(op)}${late}`);
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Reading nodes

/** A host of `/nacos/v1/ns/instance/list`: the registry's instance fields (the id is not compared). */
type HostJson = Omit<InstanceData, 'instanceId' | 'metadata'> & { metadata: Record<string, string> };

async function getJson(url: string, timeoutMs: number): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`HTTP ${response.status} ${body.slice(0, 120)}`);
  return JSON.parse(body) as unknown;
}

/** Every service and every instance (all fields) one node lists; content undefined when it is not UP. */
export async function readNode(node: string, base: string, at: number, timeoutMs = 3000): Promise<NodeRead> {
  try {
    const services = (await getJson(`${base}/nacos/v1/ns/service/list?pageNo=1&pageSize=100000`, timeoutMs)) as {
      doms: string[];
    };
    const content: Content = new Map();
    for (const service of services.doms) {
      const list = (await getJson(
        `${base}/nacos/v1/ns/instance/list?serviceName=${encodeURIComponent(service)}`,
        timeoutMs,
      )) as { hosts: HostJson[] };
      for (const h of list.hosts) {
        const instance: ObservedInstance = {
          service,
          ip: h.ip,
          port: h.port,
          weight: h.weight,
          healthy: h.healthy,
          enabled: h.enabled,
          ephemeral: h.ephemeral,
          clusterName: h.clusterName,
          metadata: h.metadata ?? {},
        };
        content.set(keyId(instance), instance);
      }
    }
    return { node, content, at };
  } catch (error) {
    return { node, error: (error as Error).message, at };
  }
}

export function contentDigest(content: Content): string {
  return [...content.values()]
    .map((i) => `${keyId(i)} ${describeInstance(i)}`)
    .sort()
    .join('\n');
}

/** Instances on which UP nodes differ, each with what every node holds. */
export function differences(reads: NodeRead[]): string[] {
  const up = reads.filter((r) => r.content !== undefined);
  const keys = new Set<string>();
  for (const r of up) for (const k of r.content!.keys()) keys.add(k);
  const out: string[] = [];
  for (const key of [...keys].sort()) {
    const held = up.map((r) => describeInstance(r.content!.get(key)));
    if (new Set(held).size > 1) out.push(`${key}: ${up.map((r, i) => `${r.node}: ${held[i]}`).join(' | ')}`);
  }
  return out;
}

export interface ConvergenceNode {
  name: string;
  base: string;
  /** False for a node that is not running (killed, or stopped on purpose): it is not expected to answer. */
  running(): boolean;
}

export interface Convergence {
  /** ms after `from` when every running node was UP and all held the same content (and still did after the settle time). */
  identicalAfterMs?: number;
  reads: NodeRead[];
  polls: number;
}

/**
 * Polls every running node until all are UP and hold identical content, then reads again after
 * `settleMs` to make sure it stays so (a late verify round could still change it). Gives up at
 * `from + boundMs + extraMs`, so a late convergence is measured rather than only failed.
 */
export async function awaitIdentical(
  nodes: ConvergenceNode[],
  history: History,
  options: { from: number; boundMs: number; extraMs: number; settleMs: number; stepMs?: number },
): Promise<Convergence> {
  const giveUp = options.from + options.boundMs + options.extraMs;
  let polls = 0;
  let identicalSince: number | undefined;
  for (;;) {
    const at = history.now();
    const reads = await Promise.all(nodes.filter((n) => n.running()).map((n) => readNode(n.name, n.base, at)));
    polls++;
    const allUp = reads.length > 0 && reads.every((r) => r.content !== undefined);
    const identical = allUp && new Set(reads.map((r) => contentDigest(r.content!))).size === 1;
    if (identical) {
      identicalSince ??= at;
      if (at - identicalSince >= options.settleMs)
        return { identicalAfterMs: Math.max(0, identicalSince - options.from), reads, polls };
    } else {
      identicalSince = undefined;
    }
    // Past the deadline, an identical content still gets its settle time to be confirmed.
    if (history.now() > giveUp && (identicalSince === undefined || history.now() > giveUp + options.settleMs))
      return { reads, polls };
    await sleep(options.stepMs ?? 250);
  }
}
