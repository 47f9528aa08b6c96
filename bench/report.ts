/**
 * The one place benchmark figures are kept: `docs/benchmarks.json` holds the newest full-size run
 * of each benchmark (with its machine and date), and `docs/benchmarks.md` is rendered from it, with
 * the published figures of Nacos and Nacos-Sync beside ours. Quick runs never land here: their sizes
 * are smaller, so their figures would not compare.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { BenchResult, BenchRow } from './run';

export interface Machine {
  cores: number;
  cpu?: string;
  memoryGiB: number;
  node: string;
  /**
   * Milliseconds a fixed single-threaded workload took just before and just after the benchmark
   * (lower is faster): how busy the shared machine was while the figures were taken.
   */
  probeMs?: { before: number; after: number };
}

export interface RecordedResult extends BenchResult {
  measuredAt: string;
  seconds: number;
  machine: Machine;
}

export interface BenchmarkFile {
  results: RecordedResult[];
}

interface Anchor {
  what: string;
  anchor: string;
  bench: string;
  /** Finds our row for the comparison; metric names carry sizes, so match on their stable part. */
  metric: RegExp;
  unit?: string;
}

const ANCHORS: Anchor[] = [
  {
    what: 'registrations per second, Nacos 2.x gRPC protocol',
    anchor: 'Nacos 2.0: 26,785 register TPS on 3 × 8C16G',
    bench: 'grpc',
    metric: /^registrations\/s, InstanceRequest/,
  },
  {
    what: 'registrations per second, batched 100 per call',
    anchor: 'Nacos 2.0: 26,785 register TPS on 3 × 8C16G (single registrations)',
    bench: 'grpc',
    metric: /^registrations\/s, BatchInstanceRequest of 100$/,
  },
  {
    what: 'replication delay inside a region (p99)',
    anchor: 'Nacos Distro: 1,000 ms merge delay before a change is even sent',
    bench: 'distro',
    metric: /^\(b\).*p99/,
  },
  {
    what: 'verify traffic per round per peer',
    anchor: 'Nacos Distro: one verify RPC per client (10,000 clients = 10,000 RPCs)',
    bench: 'distro',
    metric: /^\(c\) verify/,
  },
  {
    what: 'cross-region sync delay (p99)',
    anchor: 'Nacos-Sync: ≤ 3 s sync delay',
    bench: 'sync',
    metric: /^lag write in A → visible in B, p99/,
  },
  {
    what: 'tasks one worker keeps converged',
    anchor: 'Nacos-Sync: 6,000 tasks per 8C16G',
    bench: 'sync',
    metric: /^tasks on one worker/,
  },
];

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(n >= 10 ? 1 : 3).replace(/\.?0+$/, '') || '0';
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

export function toMarkdown(result: BenchResult, heading = '###'): string {
  const lines = [
    `${heading} ${result.name}`,
    '',
    '| metric | value | baseline (same run) | ratio | target |',
    '|---|---|---|---|---|',
  ];
  for (const r of result.rows) {
    const base = r.baseline ? `${r.baseline.name}: ${fmt(r.baseline.value)} ${r.unit}` : '';
    const ratio = r.ratio !== undefined ? r.ratio.toFixed(2) : '';
    lines.push(
      `| ${cell(r.metric)} | ${fmt(r.value)} ${r.unit} | ${cell(base)} | ${ratio} | ${cell(r.target ?? '')} |`,
    );
  }
  for (const n of result.notes ?? []) lines.push('', n);
  return lines.join('\n');
}

export function readBenchmarkFile(path: string): BenchmarkFile {
  if (!existsSync(path)) return { results: [] };
  return JSON.parse(readFileSync(path, 'utf8')) as BenchmarkFile;
}

/** Replaces each benchmark's entry with its newer run, keeping the order of `order`. */
export function mergeResults(file: BenchmarkFile, fresh: RecordedResult[], order: string[]): BenchmarkFile {
  const byName = new Map(file.results.map((r) => [r.name, r]));
  for (const r of fresh) byName.set(r.name, r);
  const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);
  return { results: [...byName.values()].sort((x, y) => rank(x.name) - rank(y.name)) };
}

function findRow(file: BenchmarkFile, bench: string, metric: RegExp): BenchRow | undefined {
  return file.results.find((r) => r.name === bench)?.rows.find((row) => metric.test(row.metric));
}

function machineLine(m: Machine): string {
  const probe =
    m.probeMs === undefined
      ? ''
      : ` (speed probe ${Math.round(m.probeMs.before)} ms before, ${Math.round(m.probeMs.after)} ms after; see bench/run.ts)`;
  return `${m.cores} cores (${m.cpu ?? 'unknown CPU'}), ${m.memoryGiB} GiB, Node ${m.node}${probe}`;
}

export function renderBenchmarks(file: BenchmarkFile): string {
  const lines = [
    '# Benchmarks',
    '',
    'Rendered by `npm run bench` from [`benchmarks.json`](benchmarks.json), which keeps the newest full-size run of',
    'each benchmark. Every figure sits beside a raw baseline measured in the same run on the same machine (bare',
    '`@grpc/grpc-js`, bare Fastify, bare Postgres), as a ratio where higher is better, because this machine is shared',
    'and absolute times drift by tens of percent between runs. `npm run bench -- --quick` runs everything at smaller',
    'sizes in under two minutes and prints the same tables without touching this file.',
    '',
    '## Against the anchors',
    '',
    'The anchors are published figures on bigger machines; ours are from the runs below, on the machine named there.',
    '',
    '| what | anchor (published) | distro-sync (this machine) |',
    '|---|---|---|',
  ];
  for (const a of ANCHORS) {
    const row = findRow(file, a.bench, a.metric);
    const ours = row
      ? `${row.metric}: ${fmt(row.value)} ${row.unit}${row.baseline ? ` (same-run baseline, ${row.baseline.name}: ${fmt(row.baseline.value)} ${row.unit})` : ''}`
      : 'not measured yet';
    lines.push(`| ${cell(a.what)} | ${cell(a.anchor)} | ${cell(ours)} |`);
  }
  lines.push('');
  for (const r of file.results) {
    lines.push(
      toMarkdown(r, '##'),
      '',
      `Measured ${r.measuredAt} in ${Math.round(r.seconds)} s on ${machineLine(r.machine)}; \`npm run bench -- ${r.name}\`.`,
      '',
    );
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

export function writeBenchmarks(jsonPath: string, mdPath: string, file: BenchmarkFile): void {
  writeFileSync(jsonPath, `${JSON.stringify(file, null, 2)}\n`);
  writeFileSync(mdPath, renderBenchmarks(file));
}
