/**
 * `npm run demo`: two regions of three node processes each on this machine, the DR tasks A->B and
 * B->A, sample services registered with the real Nacos clients, a live view of both regions and a
 * narrated failure scenario. `npm run demo -- --help` lists the options.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readOptions } from './cli-args';
import type { OptionSpec } from './cli-args';
import { converged, syncProgress } from './convergence';
import type { Expected } from './convergence';
import { LiveView } from './live-view';
import { collectStatus } from './region-status';
import type { RegionStatus } from './region-status';
import { Region, createDrTasks } from './regions';
import { RegistryReader } from './registry-view';
import { startSampleApps } from './sample-clients';
import type { SampleApps } from './sample-clients';
import { runScenario } from './demo-scenario';
import { runZooKeeperDemo } from './zookeeper-demo';

const OPTIONS: OptionSpec[] = [
  { name: 'nodes', kind: 'number', default: 3, min: 1, max: 5, help: 'node processes per region' },
  { name: 'services', kind: 'number', default: 8, min: 1, max: 200, help: 'sample services per region' },
  { name: 'instances', kind: 'number', default: 5, min: 1, max: 50, help: 'instances per sample service' },
  {
    name: 'duration',
    kind: 'number',
    default: 0,
    min: 0,
    max: 86_400,
    help: 'stop by itself after this many seconds; 0 = run until Ctrl-C',
  },
  {
    name: 'scenario',
    kind: 'flag',
    default: true,
    help: 'skip the failure scenario: only start, sync and show the live view',
  },
  { name: 'keep-logs', kind: 'flag', default: false, help: "keep the nodes' JSON logs (their folder is printed)" },
  {
    name: 'zookeeper',
    kind: 'flag',
    default: false,
    help: 'another story: a Dubbo migration off ZooKeeper onto a region (--zookeeper --help)',
  },
];

/** Node settings of the demo: a quick first-node rule and quick lease takeover, so the story fits in minutes. */
const DEMO_ENV = {
  LOG_LEVEL: 'info',
  DISTRO_BOOTSTRAP_WAIT_MS: '3000',
  SYNC_LEASE_RENEW_MS: '1000',
  SYNC_LEASE_TTL_MS: '4000',
  SYNC_FULL_RECONCILE_MS: '10000',
};

export interface DemoContext {
  a: Region;
  view: LiveView;
  expected: Expected;
  /** The latest status, refreshed every second. */
  latest(): RegionStatus[];
  /** Resolves once `check` holds for the latest status; false after `timeoutMs`. */
  until(check: (status: RegionStatus[]) => boolean, timeoutMs: number): Promise<boolean>;
  stopped(): boolean;
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--zookeeper')) return runZooKeeperDemo(argv);
  const options = readOptions(
    argv,
    'npm run demo --',
    'Starts regions A and B (node processes on this machine, each region on its own embedded database, or on a\n' +
      'new database in DATABASE_URL when set), creates the DR tasks A->B and B->A, registers sample services with\n' +
      'the real Nacos clients and shows both regions live. Then it kills and restarts a node of A, loses all of A\n' +
      'at once and brings it back, narrating each step. Ctrl-C stops everything.',
    OPTIONS,
  );
  if (typeof options === 'number') return options;
  const nodes = options.nodes as number;
  const sizes = { services: options.services as number, instances: options.instances as number };
  const databaseUrl = process.env.DATABASE_URL || undefined;
  const logDir = mkdtempSync(join(tmpdir(), 'distro-sync-demo-'));
  const dbLabel = databaseUrl ? 'a new database per region on DATABASE_URL' : 'an embedded PGlite per region';
  const view = new LiveView(process.stdout, [
    `distro-sync demo: 2 regions x ${nodes} nodes, ${dbLabel}`,
    `logs: ${logDir}   Ctrl-C stops everything`,
  ]);

  const regions: Region[] = [];
  const apps: SampleApps[] = [];
  const reader = new RegistryReader();
  let ticker: NodeJS.Timeout | undefined;
  let stopping: Promise<number> | undefined;
  let status: RegionStatus[] = [];
  const stop = (code: number, why: string): Promise<number> => {
    stopping ??= (async () => {
      clearInterval(ticker);
      view.narrate(why, true);
      for (const app of apps) await app.close().catch(() => undefined);
      await Promise.all(regions.map((r) => r.close().catch(() => undefined)));
      reader.close();
      // A failed run keeps its logs: they say why.
      if (options['keep-logs'] || code !== 0) process.stdout.write(`node logs kept in ${logDir}\n`);
      else rmSync(logDir, { recursive: true, force: true });
      process.stdout.write('demo stopped: every node process has exited\n');
      return code;
    })();
    return stopping;
  };
  const finished = new Promise<number>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => void stop(0, `${signal}: stopping both regions`).then(resolve));
    }
    const duration = options.duration as number;
    if (duration > 0) {
      setTimeout(
        () => void stop(0, `--duration ${duration} s reached: stopping both regions`).then(resolve),
        duration * 1000,
      );
    }
  });

  const run = async (): Promise<number> => {
    const a = await Region.create({ name: 'a', size: nodes, databaseUrl, logDir, env: DEMO_ENV });
    regions.push(a);
    const b = await Region.create({ name: 'b', size: nodes, databaseUrl, logDir, env: DEMO_ENV });
    regions.push(b);
    view.narrate(
      `starting regions A and B (${nodes} node processes each, ${a.database.describe} / ${b.database.describe})`,
    );
    await Promise.all([a.start(), b.start()]);
    for (const r of [a, b]) {
      view.narrate(
        `region ${r.name.toUpperCase()} ready: ${r.nodes.map((n) => `${n.name} pid ${n.pid} (${n.base})`).join(', ')}`,
      );
    }
    const tasks = await createDrTasks(a, b);
    view.narrate('created the DR tasks through the admin API: A->B runs in region B, B->A in region A');
    for (const [i, r] of [a, b].entries()) {
      const app = await startSampleApps(r, i + 1, sizes);
      apps.push(app);
      view.narrate(`region ${r.name.toUpperCase()}: ${app.registered} instances registered with ${app.clients}`);
    }
    const expected: Expected = { natives: { a: apps[0].registered, b: apps[1].registered } };
    const pairs = [
      { region: a, taskId: tasks.bToA, taskLabel: 'B->A' },
      { region: b, taskId: tasks.aToB, taskLabel: 'A->B' },
    ];
    let syncing = true;
    let busy = false;
    const tick = async (): Promise<void> => {
      if (busy || stopping) return;
      busy = true;
      try {
        status = await collectStatus(pairs, reader);
        if (syncing && converged(status, expected)) syncing = false;
        if (!stopping) view.update(status, syncing ? syncProgress(status, expected) : undefined);
      } finally {
        busy = false;
      }
    };
    ticker = setInterval(() => void tick(), 1000);
    const ctx: DemoContext = {
      a,
      view,
      expected,
      latest: () => status,
      stopped: () => stopping !== undefined,
      until: async (check, timeoutMs) => {
        const deadline = Date.now() + timeoutMs;
        while (Date.now() < deadline && !stopping) {
          if (status.length > 0 && check(status)) return true;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
        return false;
      },
    };
    const t0 = Date.now();
    if (await ctx.until((s) => converged(s, expected), 120_000)) {
      view.narrate(
        `initial sync done in ${((Date.now() - t0) / 1000).toFixed(1)} s: each region holds its own services and a copy of the other's`,
      );
    } else if (!stopping) {
      view.narrate('initial sync has not converged within 120 s: see the task lines and the node logs');
    }
    if (options.scenario && !stopping) await runScenario(ctx);
    if (!stopping) view.narrate('the live view goes on; Ctrl-C stops everything');
    return finished;
  };
  return Promise.race([
    run().catch(async (err: unknown) => {
      process.stderr.write(`demo failed: ${(err as Error).stack ?? String(err)}\n`);
      return stop(1, 'the demo failed; stopping both regions');
    }),
    finished,
  ]);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
