import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';

const CLI = join(__dirname, '..', '..', 'dist', 'src', 'user-cli.js');
const PASSWORD = 'Cli-Password-Marker-5d2e';

/** `npm run user`: the one-shot command that adds a user or resets a password, reading it from stdin. */
describe('npm run user', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db?.drop();
  });

  const run = (args: string[], stdin: string): Promise<{ code: number; output: string }> =>
    new Promise((resolve) => {
      const child = execFile(
        process.execPath,
        [CLI, ...args],
        { env: { PATH: process.env.PATH, DATABASE_URL: db.url, LOG_LEVEL: 'warn' }, timeout: 60_000 },
        (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? -1) : 0, output: stdout + stderr }),
      );
      child.stdin?.end(stdin);
    });

  const users = async (): Promise<Array<{ username: string; role: string; password_hash: string }>> => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      return (await client.query('SELECT username, role, password_hash FROM app_user ORDER BY username')).rows;
    } finally {
      await client.end();
    }
  };

  it('should add a user with the password piped in, hashed with argon2id and never printed', async () => {
    const added = await run(['add', 'alice', '--role', 'operator'], `${PASSWORD}\n`);
    expect(added).toEqual({ code: 0, output: 'created operator alice\n' });
    const [alice] = await users();
    expect(alice).toMatchObject({ username: 'alice', role: 'operator' });
    expect(alice?.password_hash).toMatch(/^\$argon2id\$v=19\$m=65536,p=4,t=3\$/);
    expect(alice?.password_hash).not.toContain(PASSWORD);
  });

  it('should refuse a taken name in any case, a short password and a password in the arguments', async () => {
    const taken = await run(['add', 'ALICE'], `${PASSWORD}\n`);
    expect(taken.code).toBe(1);
    expect(taken.output).toMatch(/a user ALICE exists/);
    const short = await run(['add', 'bob'], 'short\n');
    expect(short).toEqual({ code: 1, output: 'the password must be 12 to 256 characters long\n' });
    const argv = await run(['add', 'bob', '--password', PASSWORD], '');
    expect(argv.code).toBe(1);
    expect(argv.output).toMatch(/unexpected argument "--password"/);
    expect((await users()).map((u) => u.username)).toEqual(['alice']);
  });

  it("should reset a user's password", async () => {
    const before = (await users())[0]?.password_hash;
    const reset = await run(['password', 'Alice'], 'another-password-123');
    expect(reset).toEqual({ code: 0, output: 'set the password of alice; their sessions ended\n' });
    expect((await users())[0]?.password_hash).not.toBe(before);
    expect((await run(['password', 'nobody'], 'another-password-123')).output).toMatch(/no user nobody/);
  });
});
