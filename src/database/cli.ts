/**
 * `npm run migration:run | migration:revert | migration:generate -- <Name>`, started by
 * src/migration-cli.ts, which passes the entities (the database module imports no feature module).
 * Uses DATABASE_URL, or the embedded database under DATA_DIR like the app does. `generate` diffs
 * the entities against a freshly migrated throwaway database unless DATABASE_URL is given, and
 * writes the new migration into migrations/ and lists it in src/database/migration-list.ts, for review.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AppConfig } from '@/config';
import type { Entities } from './data-source';
import { Database } from './database';
import { revertLastMigration } from './migrator';

const MIGRATIONS_DIR = resolve(__dirname, '..', '..', '..', 'migrations');
const MIGRATION_LIST = resolve(__dirname, '..', '..', '..', 'src', 'database', 'migration-list.ts');
const log = { log: (m: string) => console.log(m), warn: (m: string) => console.warn(m) };

/** Runs one migration command (`args`: run | revert | generate <Name>) over a DataSource mapping `entities`. */
export async function runMigrationCli(args: string[], entities: Entities): Promise<void> {
  const [command, name] = args;
  const config = AppConfig.fromEnv();
  const settings = {
    url: config.database.url,
    dataDir: command === 'generate' && !config.database.url ? 'memory' : config.database.dataDir,
    poolSize: 1,
    startupTimeoutMs: config.database.startupTimeoutMs,
    entities,
  };
  switch (command) {
    case 'run': {
      const db = await Database.open(settings, log);
      await db.close();
      return;
    }
    case 'revert': {
      const db = await Database.open(settings, log);
      await revertLastMigration(db.dataSource);
      console.log('reverted the last migration');
      await db.close();
      return;
    }
    case 'generate': {
      if (!name || !/^[A-Z][A-Za-z0-9]+$/.test(name)) throw new Error('usage: migration:generate -- <PascalCaseName>');
      const db = await Database.open(settings, log);
      try {
        const sql = await db.dataSource.driver.createSchemaBuilder().log();
        if (sql.upQueries.length === 0) {
          console.log('entities and migrations agree: nothing to generate');
          return;
        }
        const stamp = Date.now();
        const file = join(MIGRATIONS_DIR, `${stamp}-${name}.ts`);
        writeFileSync(file, renderMigration(`${name}${stamp}`, sql.upQueries, sql.downQueries.reverse()));
        writeMigrationList();
        console.log(`wrote ${file}; review it, then commit it`);
      } finally {
        await db.close();
      }
      return;
    }
    default:
      throw new Error('usage: migration-cli.js run | revert | generate <Name>');
  }
}

interface Query {
  query: string;
  parameters?: unknown[];
}

function renderMigration(className: string, up: Query[], down: Query[]): string {
  const lines = (qs: Query[]): string =>
    qs
      .map(
        (q) =>
          `    await q.query(${JSON.stringify(q.query)}${q.parameters?.length ? `, ${JSON.stringify(q.parameters)}` : ''});`,
      )
      .join('\n');
  return `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  name = '${className}';

  public async up(q: QueryRunner): Promise<void> {
${lines(up)}
  }

  public async down(q: QueryRunner): Promise<void> {
${lines(down)}
  }
}
`;
}

/** Rewrites src/database/migration-list.ts to list every migration file in timestamp order. */
function writeMigrationList(): void {
  const files = readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^\d+-[A-Za-z0-9]+\.ts$/.test(f))
    .sort();
  const entries = files.map((f) => {
    const [stamp, rest] = f.replace(/\.ts$/, '').split('-') as [string, string];
    return { module: `../../migrations/${stamp}-${rest}`, cls: `${rest}${stamp}` };
  });
  writeFileSync(
    MIGRATION_LIST,
    `// The migrations in the order they apply. \`npm run migration:generate\` appends to this list; it\n` +
      `// lives outside migrations/ so that folder only ever gains files and never sees one edited.\n` +
      entries.map((e) => `import { ${e.cls} } from '${e.module}';`).join('\n') +
      `\n\nexport const MIGRATIONS = [${entries.map((e) => e.cls).join(', ')}];\n`,
  );
}
