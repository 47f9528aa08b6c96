/**
 * `npm run bench -- <name> [--quick]`: runs one benchmark (or all with no name) and prints its
 * table. Each benchmark lives in bench/<name>.ts and exports `run(options): Promise<BenchResult>`;
 * every figure sits beside a raw baseline measured in the same run, as a ratio, because absolute
 * times drift on a shared machine.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { mergeResults, readBenchmarkFile, toMarkdown, writeBenchmarks } from './report';
import type { Machine, RecordedResult } from './report';

export interface BenchRow {
  metric: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  /** value / baseline (or baseline / value for latencies: always "higher is better"). */
  ratio?: number;
  target?: string;
}

export interface BenchResult {
  name: string;
  rows: BenchRow[];
  notes?: string[];
}

export interface BenchOptions {
  quick: boolean;
  /** `--only <part>`: run one part of a benchmark (distro: replication, faults, memory); all when unset. */
  only?: string;
}

const ALL = ['registry', 'distro', 'grpc', 'sync'];
const DOCS = join(__dirname, '..', '..', 'docs');

function machine(probeMs?: Machine['probeMs']): Machine {
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    probeMs,
  };
}

/**
 * A fixed single-threaded workload of the kind the benchmarks stress (map inserts, JSON), best of
 * three, in ms. Taken before and after each benchmark and recorded with it, so a reader can tell a
 * run on a busy shared machine (where every figure, ours and raw, is slower) from one on an idle one.
 */
export function speedProbe(): number {
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const started = performance.now();
    let map = new Map<string, number>();
    for (let i = 0; i < 300_000; i++) {
      map.set(`k${i}`, i);
      if (map.size >= 50_000) map = new Map();
    }
    const json = JSON.stringify(Array.from({ length: 30_000 }, (_, i) => ({ id: i, name: `n${i}`, ok: true })));
    if ((JSON.parse(json) as unknown[]).length !== 30_000) throw new Error('speed probe failed');
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

const HELP = `usage: npm run bench -- [registry|distro|grpc|sync ...] [--quick] [--only <part>]

Runs the named benchmarks (all four when none is named) and prints one table each.
Full-size runs also update docs/benchmarks.json and docs/benchmarks.md (the newest run of each
benchmark is kept); --quick uses smaller sizes, finishes in under two minutes, and only prints.
--only <part> runs one part of a benchmark and only prints (distro: replication for (a)-(c),
faults for (d)-(e), memory for (f); sync: ledger for the ledger write against a raw upsert,
zookeeper or etcd for that registry's rows both ways).
Every run is also kept in bench/results/<time>.json. Set DATABASE_URL to run the sync benchmark
on Postgres (scratch databases are created and dropped); embedded PGlite otherwise.`;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help')) {
    console.log(HELP);
    return;
  }
  const onlyAt = args.indexOf('--only');
  const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;
  const rest = onlyAt >= 0 ? args.filter((_, i) => i !== onlyAt && i !== onlyAt + 1) : args;
  const unknown = rest.filter((a) => a.startsWith('--') && a !== '--quick');
  const names = rest.filter((a) => !a.startsWith('--'));
  const missing = names.filter((n) => !ALL.includes(n));
  if (unknown.length > 0 || missing.length > 0 || (onlyAt >= 0 && only === undefined)) {
    console.error(`unknown ${[...unknown, ...missing].join(' ')}\n\n${HELP}`);
    process.exitCode = 2;
    return;
  }
  const quick = args.includes('--quick');
  const selected = names.length > 0 ? names : ALL;
  const started = performance.now();
  const results: RecordedResult[] = [];
  for (const name of selected) {
    const before = speedProbe();
    const t0 = performance.now();
    const mod = (await import(join(__dirname, `${name}.js`))) as { run: (o: BenchOptions) => Promise<BenchResult> };
    const result = await mod.run({ quick, only });
    const seconds = (performance.now() - t0) / 1000;
    const recorded: RecordedResult = {
      ...result,
      measuredAt: new Date().toISOString(),
      seconds,
      machine: machine({ before, after: speedProbe() }),
    };
    results.push(recorded);
    console.log(`\n${toMarkdown(result)}\n\n(${Math.round(recorded.seconds)} s)\n`);
  }
  const dir = join(__dirname, '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, `${Date.now()}${quick ? '-quick' : ''}${only ? `-${only}` : ''}.json`),
    JSON.stringify({ quick, only, results }, null, 2),
  );
  const total = Math.round((performance.now() - started) / 1000);
  if (quick || only !== undefined) {
    console.log(`partial run: ${total} s in all; docs/benchmarks.md is only updated by full-size runs of every part`);
    return;
  }
  const jsonPath = join(DOCS, 'benchmarks.json');
  writeBenchmarks(jsonPath, join(DOCS, 'benchmarks.md'), mergeResults(readBenchmarkFile(jsonPath), results, ALL));
  console.log(`${total} s in all; updated docs/benchmarks.json and docs/benchmarks.md`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
