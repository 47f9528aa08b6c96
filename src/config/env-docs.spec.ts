import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ENV_VARIABLES } from './app-config';

const ROOT = join(__dirname, '..', '..');
const PAGES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

interface DocRow {
  page: string;
  name: string;
  default: string;
}

const cells = (line: string): string[] =>
  line
    .split('|')
    .slice(1, -1)
    .map((c) => c.trim());
const unquoted = (text: string): string => text.replace(/`/g, '').trim();

/**
 * Every row of every `| variable | default | ... |` table of the README and docs/; a row may list
 * two variables as `A` / `B` with their defaults as `1` / `2`.
 */
function documentedRows(): DocRow[] {
  const rows: DocRow[] = [];
  for (const page of PAGES) {
    const lines = readFileSync(join(ROOT, page), 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (!/^\| variable \| default \|/.test(line)) return;
      for (let j = i + 2; j < lines.length && lines[j].startsWith('|'); j++) {
        const [names, defaults] = cells(lines[j]);
        const nameList = names.split(' / ').map(unquoted);
        const defaultList = nameList.length > 1 ? defaults.split(' / ') : [defaults];
        nameList.forEach((name, k) => rows.push({ page, name, default: unquoted(defaultList[k] ?? '') }));
      }
    });
  }
  return rows;
}

/** The default as the docs should begin to state it. */
function expectedDefault(variable: (typeof ENV_VARIABLES)[number]): string {
  if (variable.defaultText !== undefined) return unquoted(variable.defaultText);
  return variable.default === undefined ? 'unset' : JSON.stringify(variable.default).replace(/^"(.*)"$/, '$1');
}

describe('the configuration tables of the README and docs/', () => {
  const rows = documentedRows();
  const names = new Set(ENV_VARIABLES.map((v) => v.name));

  it('should list every variable the sections declare', () => {
    const documented = new Set(rows.map((r) => r.name));
    expect(ENV_VARIABLES.map((v) => v.name).filter((name) => !documented.has(name))).toEqual([]);
  });

  it('should list no variable that no section declares', () => {
    expect(rows.filter((r) => !names.has(r.name))).toEqual([]);
  });

  it("should state each variable's default as its section has it", () => {
    const wrong = rows.flatMap((row) => {
      const variable = ENV_VARIABLES.find((v) => v.name === row.name);
      if (!variable) return [];
      const expected = expectedDefault(variable);
      const agrees = row.default === expected || row.default.startsWith(`${expected} `);
      return agrees ? [] : [{ ...row, expected }];
    });
    expect(wrong).toEqual([]);
  });
});
