/**
 * `npm run migration:run | migration:revert | migration:generate -- <Name>`: the migration CLI of
 * src/database, composed with the entities of the modules that own them (as app.module.ts does
 * for the running node), so `generate` diffs every entity against the migrated schema.
 */
import { runMigrationCli } from '@/database/cli';
import { ENTITIES as SYNC_ENTITIES } from '@/sync/entities';

runMigrationCli(process.argv.slice(2), SYNC_ENTITIES).catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
