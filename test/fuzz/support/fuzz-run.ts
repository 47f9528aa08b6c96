import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';

/**
 * The fuzz suite's seed. Every run of `npm test` generates the same cases; a failure prints the
 * seed and the path of the shrunk counterexample (fast-check's own report) to replay it with
 * `FUZZ_SEED=<seed> FUZZ_PATH=<path> npm test -- --selectProjects fuzz -t '<test name>'`.
 */
export const FUZZ_SEED = 20261207;

/** Overrides, read here (tests may read the environment; src never does). */
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : FUZZ_SEED;
const path = process.env.FUZZ_PATH || undefined;
/** Multiplies every property's number of runs (`FUZZ_SCALE=10` for a long local run). */
const scale = process.env.FUZZ_SCALE ? Number(process.env.FUZZ_SCALE) : 1;
/**
 * `FUZZ_FINDINGS=<dir>`: record every violation (smallest case per edge + endpoint + kind) into
 * `<dir>/<edge>.json` instead of stopping at the first; the file's last test still fails.
 */
const findingsDir = process.env.FUZZ_FINDINGS || undefined;

/** One broken property on one case. */
export interface Violation {
  /** `admin`, `nacos-http`, `nacos-grpc`, `registry-api`, `distro`. */
  edge: string;
  /** Route or RPC, e.g. `POST /api/v1/clusters`. */
  endpoint: string;
  /** `5xx`, `grpc-internal`, `hang`, `crash`, `state-changed-by-refusal`, `secret-in-response`, ... */
  kind: string;
  detail: string;
}

export class FuzzFailure extends Error {
  constructor(readonly violations: Violation[]) {
    super(violations.map((v) => `[${v.edge}] ${v.endpoint}: ${v.kind}: ${v.detail}`).join('\n'));
    this.name = 'FuzzFailure';
  }
}

interface Finding extends Violation {
  count: number;
  example: unknown;
}

/** The violations one spec file found, by edge + endpoint + kind. */
export class Findings {
  private readonly byKey = new Map<string, Finding>();
  /** Cases run and cases the node accepted, per edge and node (an edge that accepts nothing is not fuzzed deep). */
  readonly cases = new Map<string, { run: number; accepted: number }>();

  constructor(private readonly file: string) {}

  /** Counts a case of `edge` (for the report). */
  counted(edge: string, accepted: boolean): void {
    const count = this.cases.get(edge) ?? { run: 0, accepted: 0 };
    count.run++;
    if (accepted) count.accepted++;
    this.cases.set(edge, count);
  }

  /** Records the violations of one case; throws them unless collecting (FUZZ_FINDINGS). */
  report(violations: Violation[], example: unknown): void {
    if (violations.length === 0) return;
    for (const v of violations) {
      const key = `${v.edge} ${v.endpoint} ${v.kind}`;
      const known = this.byKey.get(key);
      const size = JSON.stringify(example)?.length ?? 0;
      if (known === undefined || (JSON.stringify(known.example)?.length ?? 0) > size) {
        this.byKey.set(key, { ...v, count: (known?.count ?? 0) + 1, example });
      } else known.count++;
    }
    if (findingsDir === undefined) throw new FuzzFailure(violations);
  }

  get all(): Finding[] {
    return [...this.byKey.values()];
  }

  /** Writes the findings (collect mode) and fails when there are any. */
  finish(): void {
    if (findingsDir !== undefined) {
      mkdirSync(findingsDir, { recursive: true });
      writeFileSync(
        join(findingsDir, `${this.file}.json`),
        JSON.stringify({ seed, cases: Object.fromEntries(this.cases), findings: this.all }, replacer, 2),
      );
    }
    if (this.byKey.size > 0) {
      const counts = [...this.cases].map(([edge, c]) => `${edge}: ${c.run} cases, ${c.accepted} accepted`);
      throw new Error(
        `${this.byKey.size} distinct violations (seed ${seed}; ${counts.join('; ')}):\n` +
          this.all.map((f) => `- [${f.edge}] ${f.endpoint}: ${f.kind} (${f.count}x): ${f.detail}`).join('\n'),
      );
    }
  }
}

/** Long strings shortened in the findings file, so a 200 kB case stays readable. */
function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'string' && value.length > 300) return `${value.slice(0, 120)}…<${value.length} chars>`;
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `<${value.length} bytes>`;
  return value;
}

/**
 * Runs an async property `runs` times (times FUZZ_SCALE) from the suite's seed, after `examples`
 * (the measured failures, so the suite keeps catching them whatever the seed draws).
 */
export async function fuzz<T>(
  arbitrary: fc.Arbitrary<T>,
  runs: number,
  check: (value: T) => Promise<void>,
  examples: T[] = [],
): Promise<void> {
  await fc.assert(fc.asyncProperty(arbitrary, check), {
    seed,
    path,
    examples: examples.map((example) => [example] as [T]),
    numRuns: Math.max(1, Math.round(runs * scale)),
    // Shrinking replays cases against a live node: a time limit keeps a red run short.
    interruptAfterTimeLimit: 120_000,
    markInterruptAsFailure: false,
  });
}
