/**
 * `npm run soak -- --minutes N`: both regions under continuous churn (registrations,
 * deregistrations, metadata changes, beats stopping, connections dropping, node restarts, task
 * holders killed), then checks that everything converged to exactly what it must be. Exits 1 on
 * any divergence. `npm run soak -- --help` lists the options.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readOptions } from './cli-args';
import type { OptionSpec } from './cli-args';
import { startedPids } from './region-node';
import type { RegionNode } from './region-node';
import { Region, createDrTasks } from './regions';
import { RegistryReader } from './registry-view';
import { RegionChurn, seededRandom } from './soak-churn';
import type { ChurnCounts } from './soak-churn';
import { logCheck, stateChecks } from './soak-checks';
import type { CheckResult, CheckedRegion } from './soak-checks';

const OPTIONS: OptionSpec[] = [
  { name: 'minutes', kind: 'number', default: 5, min: 0.25, max: 24 * 60, help: 'minutes of churn before the checks' },
  { name: 'nodes', kind: 'number', default: 3, min: 2, max: 5, help: 'node processes per region' },
  { name: 'services', kind: 'number', default: 8, min: 1, max: 200, help: 'services the apps of each region use' },
  { name: 'instances', kind: 'number', default: 60, min: 1, max: 5000, help: 'most live instances per region' },
  {
    name: 'restart-every',
    kind: 'number',
    default: 20,
    min: 5,
    max: 3600,
    help: 'seconds between node restarts / holder kills',
  },
  {
    name: 'converge',
    kind: 'number',
    default: 45,
    min: 5,
    max: 600,
    help: 'seconds the checks may wait for convergence after churn',
  },
  { name: 'seed', kind: 'number', default: 0, min: 0, max: 2 ** 31, help: 'random seed (0 = from the clock)' },
  {
    name: 'json',
    kind: 'flag',
    default: false,
    help: 'print the summary as JSON on stdout (the table goes to stderr)',
  },
  { name: 'keep-logs', kind: 'flag', default: false, help: "keep the nodes' JSON logs (their folder is printed)" },
];

/**
 * Short timers so that beats stopping, dead peers and lost holders all resolve within seconds. A
 * dropped gRPC connection takes many instances at once, which protect mode holds by design: the
 * short hold lets the source confirm those deletions before the checks.
 */
const SOAK_ENV = {
  LOG_LEVEL: 'info',
  NACOS_CLIENT_BEAT_INTERVAL_MS: '1000',
  NACOS_CLIENT_BEAT_UNHEALTHY_MS: '4000',
  NACOS_CLIENT_BEAT_DELETE_MS: '8000',
  NACOS_CLIENT_BEAT_CHECK_MS: '1000',
  DISTRO_BOOTSTRAP_WAIT_MS: '3000',
  DISTRO_PROBE_INTERVAL_MS: '500',
  DISTRO_VERIFY_INTERVAL_MS: '1000',
  DISTRO_CLIENT_EXPIRE_MS: '6000',
  SYNC_LEASE_RENEW_MS: '1000',
  SYNC_LEASE_TTL_MS: '4000',
  SYNC_FULL_RECONCILE_MS: '5000',
  SYNC_PROTECT_HOLD_MS: '10000',
};
const BEAT_INTERVAL_MS = 1000;
const STEP_MS = 150;

interface Summary {
  ok: boolean;
  seed: number;
  minutes: number;
  database: string;
  churn: ChurnCounts & { nodeRestarts: number; holdersKilled: number; failedBeats: number };
  convergedAfterMs: number | null;
  checks: CheckResult[];
  unexpectedErrors: string[];
  operationFailures: string[];
  pids: number[];
  logDir: string | null;
}

const elapsed = (t0: number): string => {
  const s = Math.floor((Date.now() - t0) / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};

function table(s: Summary): string {
  const c = s.churn;
  const width = Math.max(...s.checks.map((x) => x.name.length));
  return [
    `soak: ${s.minutes} min of churn, seed ${s.seed}, ${s.database}`,
    `churn: ${c.registrations} registrations, ${c.deregistrations} deregistrations, ${c.metadataChanges} metadata changes, ` +
      `${c.beatsStopped} beats stopped, ${c.connectionsDropped} connections dropped, ${c.nodeRestarts} node restarts, ` +
      `${c.holdersKilled} task holders killed (${c.failedBeats} beats and ${c.failedOperations} writes found no node)`,
    s.convergedAfterMs === null
      ? 'did NOT converge'
      : `converged ${(s.convergedAfterMs / 1000).toFixed(1)} s after churn stopped`,
    '',
    `${'check'.padEnd(width)}  result`,
    ...s.checks.map((x) => `${x.name.padEnd(width)}  ${x.ok ? 'ok  ' : 'FAIL'}  ${x.detail}`),
    '',
    s.ok ? 'RESULT: PASS' : 'RESULT: FAIL',
    '',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const options = readOptions(
    argv,
    'npm run soak --',
    'Runs regions A and B (node processes, each region on its own embedded database, or on a new database in\n' +
      'DATABASE_URL when set) with the DR tasks A->B and B->A under continuous churn, then checks that every node\n' +
      'of a region holds the same content, that each region holds its own live instances plus exactly the other\n' +
      "region's, that every task ledger matches its target, and that no node logged an unexpected error.\n" +
      'Exits 1 on any divergence.',
    OPTIONS,
  );
  if (typeof options === 'number') return options;
  const seed = (options.seed as number) || Math.floor(Math.random() * 2 ** 31);
  const random = seededRandom(seed);
  const minutes = options.minutes as number;
  const databaseUrl = process.env.DATABASE_URL || undefined;
  const logDir = mkdtempSync(join(tmpdir(), 'distro-sync-soak-'));
  const say = (line: string): void => void process.stderr.write(`${line}\n`);
  const t0 = Date.now();

  const regions: Region[] = [];
  const churns: RegionChurn[] = [];
  const reader = new RegistryReader();
  let nodeRestarts = 0;
  let holdersKilled = 0;
  const cleanup = async (): Promise<void> => {
    for (const churn of churns) await churn.stop();
    for (const churn of churns) churn.close();
    await Promise.all(regions.map((r) => r.close().catch(() => undefined)));
    reader.close();
  };
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      say(`${signal}: stopping both regions`);
      void cleanup().then(() => process.exit(130));
    });
  }

  try {
    const size = options.nodes as number;
    const a = await Region.create({ name: 'a', size, databaseUrl, logDir, env: SOAK_ENV });
    regions.push(a);
    const b = await Region.create({ name: 'b', size, databaseUrl, logDir, env: SOAK_ENV });
    regions.push(b);
    say(
      `[${elapsed(t0)}] starting 2 x ${size} nodes (${a.database.describe}, ${b.database.describe}), seed ${seed}, logs in ${logDir}`,
    );
    await Promise.all([a.start(), b.start()]);
    const tasks = await createDrTasks(a, b);
    for (const [i, r] of [a, b].entries()) {
      churns.push(
        new RegionChurn(r, i + 1, options.services as number, options.instances as number, random, BEAT_INTERVAL_MS),
      );
    }
    for (const churn of churns) churn.start(STEP_MS);
    say(`[${elapsed(t0)}] churn running for ${minutes} min`);

    // Process churn: one region at a time loses one node, by a clean restart or a crash of a task holder.
    const churnEnds = Date.now() + minutes * 60_000;
    const restartEvery = (options['restart-every'] as number) * 1000;
    for (let round = 0; Date.now() + restartEvery < churnEnds && !interrupted; round++) {
      await new Promise((resolve) => setTimeout(resolve, restartEvery));
      const region = regions[round % 2];
      const crashHolder = Math.floor(round / 2) % 2 === 1;
      let victim: RegionNode | undefined;
      if (crashHolder) {
        const taskId = region === a ? tasks.bToA : tasks.aToB;
        victim = region.nodeOfWorker((await region.admin.task(taskId).catch(() => undefined))?.owner ?? null);
      }
      victim ??= region.nodes[Math.floor(random() * region.nodes.length)];
      say(
        `[${elapsed(t0)}] ${crashHolder ? `killing task holder ${victim.name} (SIGKILL)` : `restarting ${victim.name} (SIGTERM)`}`,
      );
      await region.restart(victim, crashHolder ? 'SIGKILL' : 'SIGTERM');
      if (crashHolder) holdersKilled++;
      else nodeRestarts++;
      say(
        `[${elapsed(t0)}] ${victim.name} is back; live instances: A ${churns[0].expected().length}, B ${churns[1].expected().length}`,
      );
    }
    const left = churnEnds - Date.now();
    if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
    for (const churn of churns) await churn.stop();
    say(`[${elapsed(t0)}] churn stopped; waiting for convergence (up to ${options.converge as number} s)`);

    const pair: [CheckedRegion, CheckedRegion] = [
      { region: a, expectedNatives: churns[0].expectedLines(), taskInto: tasks.bToA, taskLabel: 'B->A' },
      { region: b, expectedNatives: churns[1].expectedLines(), taskInto: tasks.aToB, taskLabel: 'A->B' },
    ];
    const stopped = Date.now();
    const deadline = stopped + (options.converge as number) * 1000;
    let checks: CheckResult[] = [];
    let convergedAfterMs: number | null = null;
    for (;;) {
      checks = await stateChecks(pair, reader).catch((err: unknown) => [
        { name: 'read every node and task', ok: false, detail: (err as Error).message },
      ]);
      if (checks.every((c) => c.ok)) {
        convergedAfterMs = Date.now() - stopped;
        break;
      }
      if (Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    for (const churn of churns) churn.close();
    await Promise.all(regions.map((r) => r.stop()));
    const logs = logCheck(regions.flatMap((r) => r.nodes.map((n) => n.logFile)));
    const failures = churns.flatMap((c) => c.failures);
    checks.push(logs, {
      name: 'apps: every write found a node',
      ok: failures.length === 0,
      detail:
        failures.length === 0 ? 'no write failed for 30 s' : `${failures.length} writes failed; first: ${failures[0]}`,
    });
    const counts = churns.map((c) => c.counts);
    const summary: Summary = {
      ok: checks.every((c) => c.ok),
      seed,
      minutes,
      database: databaseUrl ? 'a new database per region on DATABASE_URL' : 'an embedded PGlite per region',
      churn: {
        ...(Object.fromEntries(
          Object.keys(counts[0]).map((k) => [k, counts[0][k as keyof ChurnCounts] + counts[1][k as keyof ChurnCounts]]),
        ) as unknown as ChurnCounts),
        nodeRestarts,
        holdersKilled,
        failedBeats: churns[0].failedBeats + churns[1].failedBeats,
      },
      convergedAfterMs,
      checks,
      unexpectedErrors: logs.unexpected.slice(0, 50),
      operationFailures: failures.slice(0, 50),
      pids: [...startedPids],
      logDir: options['keep-logs'] || !checks.every((c) => c.ok) ? logDir : null,
    };
    await cleanup();
    if (summary.logDir === null) rmSync(logDir, { recursive: true, force: true });
    if (options.json) {
      process.stderr.write(table(summary));
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    } else {
      process.stdout.write(table(summary));
      if (summary.logDir) process.stdout.write(`node logs kept in ${summary.logDir}\n`);
    }
    return summary.ok ? 0 : 1;
  } catch (err) {
    say(`soak failed: ${(err as Error).stack ?? String(err)}`);
    await cleanup();
    say(`node logs kept in ${logDir}`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
