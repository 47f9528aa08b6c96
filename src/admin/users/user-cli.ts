/**
 * `npm run user -- add <name> --role <admin|operator|viewer>` and `npm run user -- password <name>`:
 * a one-shot command beside the running nodes (on the same DATABASE_URL; with the embedded database,
 * stop the node first — one process holds it). The password is read from stdin (piped, or typed at a
 * prompt that does not echo it), never from the command line, where `ps` and shell history see it.
 */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Readable } from 'node:stream';
import { AppConfig } from '@/config';
import { printableViolation } from '@/common/text-rule';
import { Database } from '@/database/database';
import type { Entities } from '@/database/data-source';
import { PasswordHasher } from '../auth/password-hasher';
import { isRole, ROLES } from '../roles';
import { AuthStore } from '../store/auth-store';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, USERNAME_PATTERN, USERNAME_RULE } from './credentials';

const USAGE = `usage: npm run user -- add <name> --role <${ROLES.join('|')}>
       npm run user -- password <name>
the password is read from stdin (printf '%s' "$PASSWORD" | npm run user -- ...)`;

export interface CliIo {
  input: Readable & { isTTY?: boolean };
  output: Writable;
}

/** Parses the arguments; throws a message naming what is wrong. */
export function parseUserArgs(args: readonly string[]): {
  command: 'add' | 'password';
  username: string;
  role: string;
} {
  const [command, username, ...rest] = args;
  if ((command !== 'add' && command !== 'password') || username === undefined) throw new Error(USAGE);
  if (!USERNAME_PATTERN.test(username)) throw new Error(`the username must be ${USERNAME_RULE}`);
  let role = 'admin';
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--role' && command === 'add' && rest[i + 1] !== undefined) role = rest[++i];
    else throw new Error(`unexpected argument "${rest[i]}"\n${USAGE}`);
  }
  if (!isRole(role)) throw new Error(`--role must be one of ${ROLES.join(', ')}`);
  return { command, username, role };
}

/** Why a password is refused, or undefined. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH)
    return `the password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long`;
  return printableViolation(password) === undefined ? undefined : 'the password must be printable text';
}

/** Reads one line: at a terminal after a prompt, echoing nothing of what is typed. */
export async function readPassword(io: CliIo): Promise<string> {
  const tty = io.input.isTTY === true;
  // readline echoes what is typed to its output: a sink keeps the password off the screen.
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: io.input, output: sink, terminal: tty });
  // Ctrl-C at the prompt (raw mode: no signal) ends the input, so the command stops, refusing it.
  rl.on('SIGINT', () => rl.close());
  if (tty) io.output.write('password: ');
  try {
    for await (const line of rl) return line;
    return '';
  } finally {
    rl.close();
    if (tty) io.output.write('\n');
  }
}

export async function runUserCli(args: readonly string[], entities: Entities, io: CliIo): Promise<string> {
  const { command, username, role } = parseUserArgs(args);
  const password = await readPassword(io);
  const problem = passwordProblem(password);
  if (problem) throw new Error(problem);
  const config = AppConfig.fromEnv();
  const db = await Database.open(
    {
      url: config.database.url,
      dataDir: config.database.dataDir,
      poolSize: 1,
      startupTimeoutMs: config.database.startupTimeoutMs,
      entities,
    },
    { log: () => undefined, warn: (m) => io.output.write(`${m}\n`) },
  );
  try {
    const store = new AuthStore(db.dataSource);
    const passwordHash = await new PasswordHasher().hash(password);
    if (command === 'add') {
      if (await store.users.findByName(username))
        throw new Error(`a user ${username} exists (names match regardless of case)`);
      await store.users.insert({ username, role: role as (typeof ROLES)[number], passwordHash });
      return `created ${role} ${username}`;
    }
    const user = await store.users.findByName(username);
    if (!user) throw new Error(`no user ${username}`);
    if (!(await store.users.update(user.id, { passwordHash }))) throw new Error(`no user ${username}`);
    await store.sessions.deleteOfUser(user.id);
    return `set the password of ${user.username}; their sessions ended`;
  } finally {
    await db.close();
  }
}
