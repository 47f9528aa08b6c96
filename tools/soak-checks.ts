import { readFileSync } from 'node:fs';
import type { AdminApi, LedgerCopy } from './admin-api';
import type { Region } from './regions';
import { contentDigest, instanceLine, isCopy } from './registry-view';
import type { HeldInstance, RegistryReader } from './registry-view';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

/** One region as the checks see it: its nodes, what its apps hold live, the task pulling the other region in. */
export interface CheckedRegion {
  region: Region;
  expectedNatives: string[];
  /** Id of the task copying the other region into this one. */
  taskInto: string;
  taskLabel: string;
}

/**
 * Error lines a node writes by design while peers restart: each failed snapshot load during its
 * own start-up (a peer that is down or not initialized yet) is logged at error level, as Nacos does.
 * A clean restart that overruns SHUTDOWN_TIMEOUT_MS on a loaded machine exits 1 with its own error
 * line; the soak checks data, and nothing acknowledged depends on a clean exit (a write is answered
 * only once a peer holds it), so that line is counted, not failed on.
 */
const EXPECTED_ERRORS = [
  /^\[DISTRO-INIT\] load snapshot \S+ from \S+ failed\. reason: (refused|timeout|peer not initialized)$/,
  /^graceful shutdown timed out; exiting$/,
];

function diff(want: string[], have: string[]): { missing: string[]; extra: string[] } {
  const w = new Set(want);
  const h = new Set(have);
  return { missing: want.filter((x) => !h.has(x)), extra: have.filter((x) => !w.has(x)) };
}

function describeDiff(want: string[], have: string[], what: string): CheckResult['detail'] {
  const { missing, extra } = diff(want, have);
  if (missing.length === 0 && extra.length === 0 && want.length === have.length)
    return `${have.length} ${what}, all as expected`;
  const sample = [
    ...missing.slice(0, 2).map((m) => `missing ${m}`),
    ...extra.slice(0, 2).map((e) => `unexpected ${e}`),
  ];
  return `${missing.length} missing, ${extra.length} unexpected of ${want.length} ${what}; ${sample.join('; ')}`;
}

function ledgerLine(c: LedgerCopy): string {
  const held: HeldInstance = {
    namespace: c.namespace,
    group: c.groupName,
    service: c.serviceName,
    clusterName: c.clusterName,
    ip: c.ip,
    port: c.port,
    weight: c.weight,
    healthy: c.healthy,
    enabled: c.enabled,
    metadata: c.metadata,
  };
  return instanceLine(held);
}

async function regionContent(r: CheckedRegion, reader: RegistryReader): Promise<Map<string, HeldInstance[]>> {
  const out = new Map<string, HeldInstance[]>();
  for (const node of r.region.nodes) out.set(node.name, await reader.read(node.grpcAddress, r.region.token));
  return out;
}

/**
 * The state checks, run after churn stopped: every node of a region holds the same content, a
 * region's natives are exactly its apps' live instances, its copies exactly the other region's
 * natives (all written by its task), each task's ledger exactly the copies in its target, and each
 * task settled (everything applied, both sides reachable, no hold, no error).
 */
export async function stateChecks(
  pair: [CheckedRegion, CheckedRegion],
  reader: RegistryReader,
): Promise<CheckResult[]> {
  const contents = await Promise.all(pair.map((r) => regionContent(r, reader)));
  const results: CheckResult[] = [];
  for (const [i, r] of pair.entries()) {
    const other = pair[1 - i];
    const name = r.region.name.toUpperCase();
    const nodes = [...contents[i].entries()];
    const [firstName, first] = nodes[0];
    const differing = nodes.filter(([, held]) => contentDigest(held) !== contentDigest(first)).map(([n]) => n);
    results.push({
      name: `region ${name}: every node holds the same content`,
      ok: differing.length === 0,
      detail:
        differing.length === 0
          ? `${nodes.length} nodes, ${first.length} instances each`
          : `${differing.join(', ')} differ from ${firstName}: ${describeDiff(first.map(instanceLine).sort(), contents[i].get(differing[0])!.map(instanceLine).sort(), 'instances')}`,
    });
    const natives = first
      .filter((h) => !isCopy(h))
      .map(instanceLine)
      .sort();
    results.push({
      name: `region ${name}: natives = its apps' live instances`,
      ok: diff(r.expectedNatives, natives).missing.length === 0 && diff(r.expectedNatives, natives).extra.length === 0,
      detail: describeDiff(r.expectedNatives, natives, 'natives'),
    });
    const copies = first.filter(isCopy);
    const foreign = copies.filter((c) => c.metadata.syncTaskId !== r.taskInto);
    const copyLines = copies.map(instanceLine).sort();
    const otherNatives = [...contents[1 - i].values()][0]
      .filter((h) => !isCopy(h))
      .map(instanceLine)
      .sort();
    const { missing, extra } = diff(otherNatives, copyLines);
    results.push({
      name: `region ${name}: copies = region ${other.region.name.toUpperCase()}'s natives`,
      ok:
        missing.length === 0 && extra.length === 0 && foreign.length === 0 && copyLines.length === otherNatives.length,
      detail:
        foreign.length > 0
          ? `${foreign.length} copies not written by ${r.taskLabel}`
          : describeDiff(otherNatives, copyLines, 'copies'),
    });
    results.push(await ledgerCheck(r, copyLines));
    results.push(await taskCheck(r.region.admin, r, copyLines.length));
  }
  return results;
}

async function ledgerCheck(r: CheckedRegion, copyLines: string[]): Promise<CheckResult> {
  const name = `task ${r.taskLabel}: ledger = the copies in region ${r.region.name.toUpperCase()}`;
  try {
    const ledger = (await r.region.admin.ledger(r.taskInto)).map(ledgerLine).sort();
    const { missing, extra } = diff(copyLines, ledger);
    return {
      name,
      ok: missing.length === 0 && extra.length === 0 && ledger.length === copyLines.length,
      detail: describeDiff(copyLines, ledger, 'ledger rows'),
    };
  } catch (err) {
    return { name, ok: false, detail: (err as Error).message };
  }
}

async function taskCheck(admin: AdminApi, r: CheckedRegion, copies: number): Promise<CheckResult> {
  const name = `task ${r.taskLabel}: settled`;
  try {
    const t = await admin.task(r.taskInto);
    const problems = [
      t.applied !== copies || t.desired !== copies ? `applied ${t.applied}/${t.desired}, ${copies} copies` : '',
      t.sourceReachable !== true ? 'source not reachable' : '',
      t.targetReachable !== true ? 'target not reachable' : '',
      t.hold ? `holding ${t.hold.wouldDelete} deletions` : '',
    ].filter(Boolean);
    // lastError is the most recent error, kept after recovery: shown, not a failure by itself.
    const last = t.lastError ? `; last error (earlier): ${t.lastError}` : '';
    return {
      name,
      ok: problems.length === 0,
      detail: `${problems.join('; ') || `applied ${t.applied}/${t.desired}, both sides reachable, no hold`}${last}`,
    };
  } catch (err) {
    return { name, ok: false, detail: (err as Error).message };
  }
}

/** Error and fatal lines of the node logs (JSON, level ≥ 50) that no restart explains. */
export function logCheck(logFiles: string[]): CheckResult & { unexpected: string[]; expected: number } {
  const unexpected: string[] = [];
  let expected = 0;
  let lines = 0;
  for (const file of logFiles) {
    for (const raw of readFileSync(file, 'utf8').split('\n')) {
      if (!raw) continue;
      lines++;
      let entry: { level?: number; msg?: string };
      try {
        entry = JSON.parse(raw) as { level?: number; msg?: string };
      } catch {
        unexpected.push(`${file}: not a JSON log line: ${raw.slice(0, 200)}`);
        continue;
      }
      if ((entry.level ?? 0) < 50) continue;
      if (EXPECTED_ERRORS.some((p) => p.test(entry.msg ?? ''))) expected++;
      else unexpected.push(`${file}: ${raw.slice(0, 400)}`);
    }
  }
  return {
    name: 'node logs: no unexpected error',
    ok: unexpected.length === 0,
    detail:
      unexpected.length === 0
        ? `${lines} lines read, ${expected} expected errors (snapshot loads from restarting peers, shutdowns past their deadline)`
        : `${unexpected.length} unexpected error lines; first: ${unexpected[0].slice(0, 300)}`,
    unexpected,
    expected,
  };
}
