import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Convergence, Violation } from './checker';
import { awaitIdentical, checkKept, describeViolation, differences } from './checker';
import { History, seconds } from './history';
import { NetRig } from './netns';
import { DISTRO_PORT, FaultNode, HTTP_PORT } from './node';
import type { Load, LoadOptions, LoadStats } from './writers';
import { hashSeed, startLoad } from './writers';

/**
 * One fault scenario: a fresh rig of three namespaces, three registry nodes with a Distro token and short
 * intervals, a formed cluster, seeded writers, the scenario's faults, then the checker. A violation
 * throws one readable report (seed, contract point, each offending instance's history and holdings).
 */

export const FAULT_TOKEN = 'distro-fault-suite-token-0123456789';
/** Nodes answer a forward that hangs after this long (DISTRO_CALL_TIMEOUT_MS). */
export const CALL_TIMEOUT_MS = 2000;
/**
 * How long after its completion a write nobody acknowledged may still land: a forward in flight for a
 * call timeout, and a node on the busy machine slow to get to it (see History.applyDeadline).
 */
export const GRACE_MS = CALL_TIMEOUT_MS + 3000;
/** A content must stay identical this long to count (two verify rounds). */
const SETTLE_MS = 2000;

/** The suite's seed: FAULT_SEED, or a random one; printed so a failing run can be replayed. */
export const SUITE_SEED = (() => {
  const raw = process.env.FAULT_SEED;
  if (raw !== undefined && raw !== '') {
    if (!/^\d+$/.test(raw)) throw new Error(`FAULT_SEED must be a non-negative integer, got ${raw}`);
    return Number(raw) >>> 0;
  }
  return Math.floor(Math.random() * 2 ** 31);
})();

/** Where node logs and reports go: FAULT_LOG_DIR, or a directory under the system temp dir. */
export const LOG_ROOT = process.env.FAULT_LOG_DIR || join(tmpdir(), `distro-faults-${process.pid}`);

/** Every env var a node gets (besides PATH): what the other engineer's rewrite must accept. */
export function nodeEnv(rig: NetRig, index: number): Record<string, string> {
  return {
    HTTP_PORT: String(HTTP_PORT),
    HOST: '0.0.0.0',
    DISTRO_PORT: String(DISTRO_PORT),
    NACOS_GRPC_PORT: String(HTTP_PORT + 1000),
    DISTRO_MEMBERS: rig.nodes.map((n) => `${n.clusterIp}:${DISTRO_PORT}`).join(','),
    DISTRO_SELF: `${rig.node(index).clusterIp}:${DISTRO_PORT}`,
    DISTRO_TOKEN: FAULT_TOKEN,
    DATA_DIR: 'memory',
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    DISTRO_PROBE_INTERVAL_MS: '250',
    DISTRO_VERIFY_INTERVAL_MS: '1000',
    DISTRO_CALL_TIMEOUT_MS: String(CALL_TIMEOUT_MS),
    DISTRO_LOAD_RETRY_MS: '200',
    DISTRO_BOOTSTRAP_WAIT_MS: '3000',
    // heartbeat expiry must never explain a missing instance: the writers send no beats
    NACOS_CLIENT_BEAT_UNHEALTHY_MS: String(15 * 60000),
    NACOS_CLIENT_BEAT_DELETE_MS: String(20 * 60000),
  };
}

export const LOAD: Omit<LoadOptions, 'seed'> = {
  writers: 8,
  services: ['fault-a', 'fault-b', 'fault-c', 'fault-d'],
  thinkMs: [60, 140],
  timeoutMs: 3000,
  graceMs: GRACE_MS,
  retryDelayMs: 100,
  avoidMs: 2000,
  maxKeysPerWriter: 400,
};

export interface ScenarioContext {
  name: string;
  seed: number;
  rig: NetRig;
  nodes: FaultNode[];
  history: History;
  load: Load;
  /** Logs a line to stderr and the timeline. */
  note(what: string): void;
  sleep(ms: number): Promise<void>;
  /** Starts a fault interval (writes in flight meanwhile may land when it ends); returns its end. */
  fault(what: string): () => void;
  /** SIGKILL; the fault lasts until `restart` reports the node ready again. */
  kill(index: number): Promise<void>;
  /** Starts a killed node again; resolves when it is ready (initialized), with that time. */
  restart(index: number): Promise<number>;
}

/** When the faults ended and the bound on the time to one content after that. */
export interface ScenarioEnd {
  /** History time the bound counts from (e.g. a restarted node ready, a partition healed). */
  reference: number;
  referenceWhat: string;
  boundMs: number;
  /** Keep writing this long after the faults before stopping the writers. */
  writeOnMs: number;
}

export interface ScenarioOptions {
  wired?: number[];
}

export interface ScenarioResult {
  name: string;
  seed: number;
  stats: LoadStats;
  convergence: Convergence;
  violations: Violation[];
  crashes: string[];
  report: string;
  failed: boolean;
}

function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function waitFormed(nodes: FaultNode[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const states = await Promise.all(
      nodes.map(async (n) => {
        try {
          const r = await fetch(`${n.base}/api/v1/distro`, { signal: AbortSignal.timeout(1000) });
          const s = (await r.json()) as { initialized: boolean; members: Array<{ id: string; state: string }> };
          const peers = s.members.filter((m) => m.id !== `${n.rigNode.clusterIp}:${DISTRO_PORT}`);
          return s.initialized && peers.length === nodes.length - 1 && peers.every((m) => m.state === 'UP')
            ? ''
            : `${n.name}: initialized=${s.initialized} ${s.members.map((m) => `${m.id}=${m.state}`).join(' ')}`;
        } catch (error) {
          return `${n.name}: ${(error as Error).message}`;
        }
      }),
    );
    last = states.filter(Boolean).join('; ');
    if (!last) return;
    await sleep(100);
  }
  throw new Error(`the cluster did not form in ${timeoutMs} ms (every node initialized, every peer UP): ${last}`);
}

function summarize(stats: LoadStats): string {
  const a = stats.attempts;
  return `${stats.operations} operations, ${a.ok + a.failed + a.timeout + a.rejected} attempts: ${a.ok} ok, ${a.failed} failed, ${a.timeout} timed out, ${a.rejected} rejected (4xx); ${stats.gaveUp} operations acknowledged by no node`;
}

/** Runs a scenario; throws its report when the contract does not hold. */
export async function runScenario(
  name: string,
  options: ScenarioOptions,
  script: (ctx: ScenarioContext) => Promise<ScenarioEnd>,
): Promise<ScenarioResult> {
  const seed = hashSeed(SUITE_SEED, name);
  const logDir = join(LOG_ROOT, name.replace(/[^a-z0-9]+/gi, '-'));
  mkdirSync(logDir, { recursive: true });
  const started = Date.now();
  say(
    `\n[faults] ${name}: suite seed ${SUITE_SEED} (FAULT_SEED=${SUITE_SEED} replays it), scenario seed ${seed}, logs ${logDir}`,
  );
  const rig = await NetRig.create({ nodes: 3, wired: options.wired });
  const nodes = rig.nodes.map((n) => new FaultNode(rig, n, nodeEnv(rig, n.index), logDir));
  let load: Load | undefined;
  try {
    await Promise.all(nodes.map((n) => n.start()));
    await waitFormed(nodes, 30000);
    const history = new History();
    const note = (what: string): void => {
      history.mark(what);
      say(`[faults] ${name}: t=${seconds(history.now())} s ${what}`);
    };
    const killed = new Map<number, () => void>();
    load = startLoad(nodes, history, { ...LOAD, seed });
    const ctx: ScenarioContext = {
      name,
      seed,
      rig,
      nodes,
      history,
      load,
      note,
      sleep: (ms) => sleep(ms),
      fault: (what) => {
        say(`[faults] ${name}: t=${seconds(history.now())} s ${what} begins`);
        const end = history.faultBegins(what);
        return () => {
          end();
          say(`[faults] ${name}: t=${seconds(history.now())} s ${what} ends`);
        };
      },
      kill: async (index) => {
        killed.set(index, ctx.fault(`SIGKILL ${nodes[index].name} (down until restarted and ready)`));
        await nodes[index].kill();
      },
      restart: async (index) => {
        note(`restarting ${nodes[index].name}`);
        await nodes[index].start();
        killed.get(index)?.();
        note(`${nodes[index].name} ready (initialized) after restart`);
        return history.now();
      },
    };
    const end = await script(ctx);
    await sleep(end.writeOnMs);
    const stats = await load.stop();
    load = undefined;
    const loadEnd = history.now();
    note(`writers stopped: ${summarize(stats)}`);
    const from = Math.max(end.reference, loadEnd);
    const convergence = await awaitIdentical(
      nodes.map((n) => ({ name: n.name, base: n.base, running: () => n.isRunning() })),
      history,
      // a short bound gets 10 s more, so a late convergence is measured; a long one is only failed
      { from, boundMs: end.boundMs, extraMs: end.boundMs <= 10000 ? 10000 : 0, settleMs: SETTLE_MS },
    );
    const violations = checkKept(history, convergence.reads, GRACE_MS);
    const crashes = nodes.flatMap((n) => n.crashes);
    const identical = convergence.identicalAfterMs;
    const sinceRef = (identical !== undefined ? from + identical : history.now()) - end.reference;
    const oneContentOk = identical !== undefined && identical <= end.boundMs;
    const failed = !oneContentOk || violations.length > 0 || crashes.length > 0;

    const lines: string[] = [];
    lines.push(
      `distro-faults scenario "${name}": ${failed ? 'FAILED' : 'passed'} — suite seed ${SUITE_SEED} (rerun with FAULT_SEED=${SUITE_SEED}), scenario seed ${seed}`,
    );
    lines.push(`nodes: ${rig.nodes.map((n) => `${n.name}=${n.clusterIp} (client ${n.clientIp})`).join(', ')}`);
    lines.push(`fault timeline:\n${history.describeTimeline().replace(/^/gm, '  ')}`);
    lines.push(`load: ${summarize(stats)}`);
    const notOk = new Map<string, number>();
    for (const op of history.ops) {
      if (op.outcome === 'ok') continue;
      const what = `${op.outcome} ${op.detail.replace(/\d+(\.\d+)*/g, 'N').slice(0, 70)}`;
      notOk.set(what, (notOk.get(what) ?? 0) + 1);
    }
    if (notOk.size > 0)
      lines.push(
        `attempts not acknowledged (allowed, for context):\n${[...notOk]
          .sort((a, b) => b[1] - a[1])
          .map(([what, n]) => `  ${n} × ${what}`)
          .join('\n')}`,
      );
    const down = convergence.reads.filter((r) => r.content === undefined).map((r) => `${r.node} not UP (${r.error})`);
    if (oneContentOk) {
      lines.push(
        `contract 2 (one content): ok — identical ${seconds(identical)} s after ${loadEnd >= end.reference ? 'the writers stopped' : end.referenceWhat} (${seconds(sinceRef)} s after ${end.referenceWhat}; bound ${seconds(end.boundMs)} s), ${convergence.reads[0]?.content?.size ?? 0} instances on each node`,
      );
    } else if (identical !== undefined) {
      lines.push(
        `contract 2 (one content): VIOLATED — identical only ${seconds(identical)} s after the reference (bound ${seconds(end.boundMs)} s; reference: ${from === end.reference ? end.referenceWhat : 'the writers stopped'})`,
      );
    } else {
      const diffs = differences(convergence.reads);
      lines.push(
        `contract 2 (one content): VIOLATED — not identical ${seconds(history.now() - from)} s after ${from === end.reference ? end.referenceWhat : 'the writers stopped'} (bound ${seconds(end.boundMs)} s, ${convergence.polls} polls)` +
          (down.length ? `; ${down.join('; ')}` : '') +
          `; ${diffs.length} instances differ${
            diffs.length
              ? `, e.g.:\n${diffs
                  .slice(0, 8)
                  .map((d) => `  ${d}`)
                  .join('\n')}`
              : ''
          }`,
      );
    }
    if (violations.length === 0) {
      lines.push(
        `contract 1 (acknowledged means kept): ok — ${history.keys().length} instances checked on ${convergence.reads.filter((r) => r.content).length} UP nodes`,
      );
    } else {
      const byKind = new Map<string, number>();
      for (const v of violations) byKind.set(v.kind, (byKind.get(v.kind) ?? 0) + 1);
      lines.push(
        `contract 1 (acknowledged means kept): VIOLATED for ${violations.length} of ${history.keys().length} instances (${[...byKind].map(([k, n]) => `${n} ${k}`).join(', ')}); the first ${Math.min(8, violations.length)}:`,
      );
      for (const v of violations.slice(0, 8)) lines.push(describeViolation(v, history, GRACE_MS));
      if (violations.length > 8) lines.push(`  … ${violations.length - 8} more in ${join(logDir, 'violations.txt')}`);
    }
    if (crashes.length) lines.push(`nodes that exited by themselves:\n${crashes.join('\n')}`);
    lines.push(`node logs: ${nodes.map((n) => n.logPath).join(', ')}`);
    lines.push(`took ${seconds(Date.now() - started)} s`);
    const report = lines.join('\n');
    writeFileSync(
      join(logDir, 'report.txt'),
      `${report}\n\nfull history:\n${history.ops.map((op) => `${op.key.service} ${op.key.ip}:${op.key.port} ${JSON.stringify(op)}`).join('\n')}\n`,
    );
    // the full report of every violation, not only the first 8
    writeFileSync(
      join(logDir, 'violations.txt'),
      violations.map((v) => describeViolation(v, history, GRACE_MS)).join('\n\n'),
    );
    say(
      report
        .split('\n')
        .map((l) => `[faults] ${l}`)
        .join('\n'),
    );
    return { name, seed, stats, convergence, violations, crashes, report, failed };
  } finally {
    if (load) await load.stop().catch(() => undefined);
    await Promise.all(nodes.map((n) => n.kill()));
    rig.destroy();
  }
}
