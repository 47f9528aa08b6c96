/**
 * `npm run bench -- <name> [--quick]`: runs one benchmark (or all with no name) and prints its
 * table. Each benchmark lives in bench/<name>.ts and exports `run(options): Promise<BenchResult>`;
 * every figure sits beside a raw baseline measured in the same run, as a ratio, because absolute
 * times drift on a shared machine.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

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
}

const ALL = ['registry', 'distro', 'grpc', 'sync'];

function fmt(n: number): string {
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(n >= 10 ? 1 : 3).replace(/\.?0+$/, '') || '0';
}

export function toMarkdown(result: BenchResult): string {
  const lines = [
    `### ${result.name}`,
    '',
    '| metric | value | baseline (same run) | ratio | target |',
    '|---|---|---|---|---|',
  ];
  for (const r of result.rows) {
    const base = r.baseline ? `${r.baseline.name}: ${fmt(r.baseline.value)} ${r.unit}` : '';
    lines.push(
      `| ${r.metric} | ${fmt(r.value)} ${r.unit} | ${base} | ${r.ratio !== undefined ? r.ratio.toFixed(2) : ''} | ${r.target ?? ''} |`,
    );
  }
  for (const n of result.notes ?? []) lines.push('', n);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const names = args.filter((a) => !a.startsWith('--'));
  const selected = names.length > 0 ? names : ALL;
  const results: BenchResult[] = [];
  for (const name of selected) {
    const file = join(__dirname, `${name}.js`);
    if (!existsSync(file)) {
      console.error(
        `no benchmark named "${name}" (have: ${ALL.filter((n) => existsSync(join(__dirname, `${n}.js`))).join(', ')})`,
      );
      process.exitCode = 2;
      continue;
    }
    const mod = (await import(file)) as { run: (o: BenchOptions) => Promise<BenchResult> };
    const result = await mod.run({ quick });
    results.push(result);
    console.log(`\n${toMarkdown(result)}\n`);
  }
  const machine = {
    cores: cpus().length,
    cpu: cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
  const dir = join(__dirname, '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${Date.now()}.json`), JSON.stringify({ machine, quick, results }, null, 2));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
