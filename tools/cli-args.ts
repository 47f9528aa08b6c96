import { parseArgs as nodeParseArgs } from 'node:util';

/** One command-line option: `--name value` (numbers), `--name` / `--no-name` (flags). */
export interface OptionSpec {
  name: string;
  kind: 'number' | 'flag';
  default: number | boolean;
  min?: number;
  max?: number;
  help: string;
}

export class UsageError extends Error {}

/**
 * Parses argv against the specs with Node's own `util.parseArgs` (which rejects unknown options and
 * stray positionals), then checks numbers and their ranges, which it leaves to the caller.
 */
export function parseArgs(argv: string[], specs: OptionSpec[]): Record<string, number | boolean> {
  let parsed: ReturnType<typeof nodeParseArgs>['values'];
  try {
    parsed = nodeParseArgs({
      args: argv,
      options: Object.fromEntries(specs.map((s) => [s.name, { type: s.kind === 'flag' ? 'boolean' : 'string' }])),
      allowNegative: true,
      strict: true,
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const values: Record<string, number | boolean> = {};
  for (const spec of specs) {
    const raw = parsed[spec.name];
    if (raw === undefined) {
      values[spec.name] = spec.default;
    } else if (spec.kind === 'flag') {
      values[spec.name] = raw === true;
    } else {
      values[spec.name] = checkedNumber(spec, String(raw));
    }
  }
  return values;
}

function checkedNumber(spec: OptionSpec, raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--${spec.name} needs a number`);
  if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) {
    throw new UsageError(`--${spec.name} must be between ${spec.min ?? '-∞'} and ${spec.max ?? '∞'}`);
  }
  return value;
}

export function usage(command: string, summary: string, specs: OptionSpec[]): string {
  const rows = specs.map((s) => {
    const name = s.kind === 'flag' ? (s.default ? `--no-${s.name}` : `--${s.name}`) : `--${s.name} <n>`;
    const def = s.kind === 'number' ? ` (default ${String(s.default)})` : '';
    return `  ${name.padEnd(22)} ${s.help}${def}`;
  });
  return [
    `usage: ${command} [options]`,
    '',
    summary,
    '',
    'options:',
    ...rows,
    `  ${'--help'.padEnd(22)} this text`,
    '',
  ].join('\n');
}

/**
 * A tool's command line: the parsed options, or the exit code to end with (a number) after printing
 * the help (`--help`, 0) or what is wrong with the arguments (2).
 */
export function readOptions(
  argv: string[],
  command: string,
  summary: string,
  specs: OptionSpec[],
): Record<string, number | boolean> | number {
  if (argv.includes('--help')) {
    process.stdout.write(usage(command, summary, specs));
    return 0;
  }
  try {
    return parseArgs(argv, specs);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n(${command} --help lists the options)\n`);
    return 2;
  }
}
