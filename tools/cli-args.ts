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

/** Parses argv against the specs; unknown options and out-of-range values are usage errors. */
export function parseArgs(argv: string[], specs: OptionSpec[]): Record<string, number | boolean> {
  const values: Record<string, number | boolean> = Object.fromEntries(specs.map((s) => [s.name, s.default]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.split('=', 2);
    const negated = flag.startsWith('--no-');
    const name = flag.replace(/^--(no-)?/, '');
    const spec = specs.find((s) => s.name === name);
    if (!flag.startsWith('--') || !spec) throw new UsageError(`unknown option ${arg}`);
    if (spec.kind === 'flag') {
      if (inline !== undefined) throw new UsageError(`${flag} takes no value`);
      values[name] = !negated;
      continue;
    }
    if (negated) throw new UsageError(`unknown option ${arg}`);
    const raw = inline ?? argv[++i];
    const value = Number(raw);
    if (raw === undefined || raw === '' || !Number.isFinite(value)) throw new UsageError(`${flag} needs a number`);
    if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) {
      throw new UsageError(`${flag} must be between ${spec.min ?? '-∞'} and ${spec.max ?? '∞'}`);
    }
    values[name] = value;
  }
  return values;
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
