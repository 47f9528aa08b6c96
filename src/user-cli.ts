/**
 * `npm run user -- add <name> --role <role>` | `password <name>`: the users CLI of src/admin, composed
 * with the entities of the modules that own them (as migration-cli.ts does).
 */
import { runUserCli } from '@/admin/users/user-cli';
import { ENTITIES as SYNC_ENTITIES } from '@/sync/entities';

runUserCli(process.argv.slice(2), SYNC_ENTITIES, { input: process.stdin, output: process.stdout }).then(
  (done) => {
    console.log(done);
  },
  (err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  },
);
