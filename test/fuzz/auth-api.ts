import { DataSource } from 'typeorm';
import fc from 'fast-check';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';
import type { FuzzContext } from './support/fuzz-context';
import { FuzzNode } from './support/fuzz-node';
import { fuzz } from './support/fuzz-run';
import type { Violation } from './support/fuzz-run';
import { hostileBody, hostileString, mutated, plainName, wrongValue } from './support/hostile';
import { encodeComponent, httpCall } from './support/http-probe';
import type { HttpAnswer, HttpRequest } from './support/http-probe';
import { MARK, SECRETS, markerIn } from './support/secrets';

const EDGE = 'auth';
const ROLES = ['admin', 'operator', 'viewer'] as const;
type Role = (typeof ROLES)[number];
/** The harness's own users, one per role: never the target of a users route (their sessions drive the fuzz). */
const HARNESS: Record<Role, string> = { admin: 'fuzz-root', operator: 'fuzz-operator', viewer: 'fuzz-viewer' };
/** Every password the fuzz sets holds the marker, so one quoted anywhere is found like any secret. */
const secretPassword = (n: number | string): string => `${MARK}-password-${n}`;

/** Who makes a call: nobody, the bearer token (right or wrong), a role's session, or a session without its CSRF token. */
type Caller = 'none' | 'token' | 'wrong-token' | Role | 'admin-without-csrf';

type Body =
  | { kind: 'json'; value: Record<string, unknown> }
  | { kind: 'raw'; body: string | Buffer; contentType?: string }
  | { kind: 'none' };

interface AuthCase {
  route: string;
  /** The `:username` of a users route: a user the fuzz created (by index), or any text. */
  target: { pool: number } | { raw: string };
  body: Body;
  caller: Caller;
}

/** A password a caller may send: a known one (by index into what the harness knows), or anything. */
const KNOWN = '$known';
const passwordValue = fc.oneof(
  { weight: 2, arbitrary: fc.constant(KNOWN) },
  { weight: 2, arbitrary: fc.nat(1_000_000).map(secretPassword) },
  { weight: 2, arbitrary: hostileString },
  { weight: 1, arbitrary: wrongValue },
);
const roleValue = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...ROLES) },
  { weight: 1, arbitrary: hostileString },
);
const usernameValue = fc.oneof({ weight: 3, arbitrary: plainName }, { weight: 2, arbitrary: hostileString });

const json = (value: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Body> =>
  value.map((v) => ({ kind: 'json' as const, value: v }));

const BODIES: Record<string, fc.Arbitrary<Body>> = {
  'POST /api/v1/auth/login': json(
    mutated(fc.record({ username: fc.constantFrom(...Object.values(HARNESS), 'pool'), password: passwordValue }), {
      username: usernameValue,
      password: passwordValue,
    }),
  ),
  'POST /api/v1/auth/logout': fc.constant({ kind: 'none' }),
  'GET /api/v1/auth/me': fc.constant({ kind: 'none' }),
  'POST /api/v1/auth/password': json(
    mutated(fc.record({ currentPassword: fc.constant(KNOWN), newPassword: fc.nat(1_000_000).map(secretPassword) }), {
      currentPassword: passwordValue,
      newPassword: passwordValue,
    }),
  ),
  'GET /api/v1/users': fc.constant({ kind: 'none' }),
  'POST /api/v1/users': json(
    mutated(
      fc.record({
        username: plainName,
        role: fc.constantFrom(...ROLES),
        password: fc.nat(1_000_000).map(secretPassword),
      }),
      { username: usernameValue, role: roleValue, password: passwordValue },
    ),
  ),
  'PATCH /api/v1/users/:username': json(
    mutated(fc.record({ role: fc.constantFrom(...ROLES), disabled: fc.boolean() }), { role: roleValue }),
  ),
  'PUT /api/v1/users/:username/password': json(
    mutated(fc.record({ password: fc.nat(1_000_000).map(secretPassword) }), { password: passwordValue }),
  ),
  'DELETE /api/v1/users/:username': fc.constant({ kind: 'none' }),
};

const authCase: fc.Arbitrary<AuthCase> = fc.constantFrom(...Object.keys(BODIES)).chain((route) =>
  fc.record({
    route: fc.constant(route),
    target: fc.oneof(
      { weight: 3, arbitrary: fc.nat(20).map((pool) => ({ pool })) },
      { weight: 1, arbitrary: hostileString.map((raw) => ({ raw })) },
    ),
    body: fc.oneof(
      { weight: 6, arbitrary: BODIES[route] },
      { weight: 1, arbitrary: hostileBody.map((b) => ({ kind: 'raw' as const, ...b })) },
    ),
    caller: fc.constantFrom<Caller>(
      'none',
      'token',
      'wrong-token',
      'admin',
      'operator',
      'viewer',
      'admin-without-csrf',
    ),
  }),
);

interface Session {
  cookie: string;
  csrf: string;
}

/**
 * The harness: a node with the first admin from ADMIN_USERNAME, a user per role, their sessions,
 * and the users the fuzz created with their passwords.
 */
class AuthHarness {
  readonly passwords = new Map<string, string>([[HARNESS.admin, SECRETS.ADMIN_PASSWORD]]);
  readonly pool: string[] = [];
  private readonly sessions = new Map<Role, Session>();
  /** Every session id handed out: a secret like a password, never to be quoted in a log line. */
  readonly sessionIds = new Set<string>();

  constructor(readonly node: FuzzNode) {}

  async seed(): Promise<void> {
    for (const role of ['operator', 'viewer'] as const) {
      const password = secretPassword(`harness-${role}`);
      const answer = await this.call(
        'token',
        { method: 'POST', path: '/api/v1/users' },
        {
          username: HARNESS[role],
          role,
          password,
        },
      );
      if (answer.status !== 201) throw new Error(`seeding ${role} answered ${answer.status}: ${answer.text}`);
      this.passwords.set(HARNESS[role], password);
    }
  }

  /** Signs a role in (again) and keeps its session. */
  async session(role: Role): Promise<Session> {
    const known = this.sessions.get(role);
    if (known !== undefined) return known;
    const username = HARNESS[role];
    const answer = await this.call(
      'none',
      { method: 'POST', path: '/api/v1/auth/login' },
      {
        username,
        password: this.passwords.get(username),
      },
    );
    if (answer.status !== 200)
      throw new Error(`harness login of ${username} answered ${answer.status}: ${answer.text}`);
    const session = this.noteLogin(answer);
    if (session === undefined) throw new Error(`harness login of ${username} set no session cookie`);
    this.sessions.set(role, session);
    return session;
  }

  /** A role's session ended (signed out, or its password changed): the next call signs in again. */
  forget(role: Role): void {
    this.sessions.delete(role);
  }

  /** The session a successful login set, remembered as a secret. */
  noteLogin(answer: HttpAnswer): Session | undefined {
    const cookie = /distro_sync_session=([A-Za-z0-9_-]+)/.exec(answer.headerText)?.[1];
    if (cookie === undefined) return undefined;
    this.sessionIds.add(cookie);
    const csrf = (JSON.parse(answer.text) as { csrfToken: string }).csrfToken;
    return { cookie: `distro_sync_session=${cookie}`, csrf };
  }

  async headers(caller: Caller): Promise<Record<string, string>> {
    if (caller === 'none') return {};
    if (caller === 'token') return { authorization: `Bearer ${SECRETS.ADMIN_TOKEN}` };
    if (caller === 'wrong-token') return { authorization: 'Bearer wrong-token-0123456789' };
    const session = await this.session(caller === 'admin-without-csrf' ? 'admin' : caller);
    return caller === 'admin-without-csrf'
      ? { cookie: session.cookie }
      : { cookie: session.cookie, 'x-csrf-token': session.csrf };
  }

  async call(caller: Caller, request: HttpRequest, body?: Record<string, unknown>): Promise<HttpAnswer> {
    const headers = { ...(await this.headers(caller)), ...request.headers };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return httpCall(this.node.base, {
      ...request,
      headers,
      body: body === undefined ? request.body : JSON.stringify(body),
    });
  }

  /** Users and sessions as stored: what a refused call must leave as it was. */
  async digest(): Promise<string> {
    const db = this.node.node.app.get(DataSource);
    const users = await db.query(`SELECT username, role, disabled, password_hash FROM app_user ORDER BY username`);
    const sessions = await db.query(`SELECT token_hash, user_id FROM user_session ORDER BY token_hash`);
    return JSON.stringify([users, sessions]);
  }

  /** Log lines since the last call quoting a marker or a session id. */
  leakedLogLines(): string[] {
    return this.node
      .newLeakedLogLinesMatching((text) => markerIn(text) ?? [...this.sessionIds].find((id) => text.includes(id)))
      .slice(0, 1);
  }
}

/** The request of a case, with `$known` passwords and pool targets resolved. */
function toRequest(c: AuthCase, harness: AuthHarness): { request: HttpRequest; username?: string } {
  const [method, template] = c.route.split(' ') as [string, string];
  const target =
    'raw' in c.target ? c.target.raw : (harness.pool[c.target.pool % Math.max(1, harness.pool.length)] ?? 'nobody');
  const path = template.replace(':username', encodeComponent(target));
  // fetch sends no body with a GET.
  if (c.body.kind === 'none' || method === 'GET') return { request: { method, path } };
  if (c.body.kind === 'raw') {
    const headers = c.body.contentType === undefined ? undefined : { 'content-type': c.body.contentType };
    return { request: { method, path, headers, body: c.body.body } };
  }
  const value = { ...c.body.value };
  if (value.username === 'pool') value.username = harness.pool[0] ?? HARNESS.viewer;
  const self = typeof value.username === 'string' ? value.username : callerName(c.caller);
  for (const field of ['password', 'currentPassword'])
    if (value[field] === KNOWN) value[field] = harness.passwords.get(self) ?? secretPassword('unknown');
  return {
    request: { method, path, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) },
    username: typeof value.username === 'string' ? value.username : undefined,
  };
}

function callerName(caller: Caller): string {
  if (caller === 'admin-without-csrf') return HARNESS.admin;
  return caller in HARNESS ? HARNESS[caller as Role] : '';
}

/** The properties every sign-in and users call keeps. */
function judge(c: AuthCase, answer: HttpAnswer, stateChanged: boolean, logLeaks: string[]): Violation[] {
  const v = (kind: string, detail: string): Violation => ({ edge: EDGE, endpoint: c.route, kind, detail });
  const out: Violation[] = [];
  if (answer.failure) return [v(answer.failure, answer.error ?? '')];
  if (answer.status >= 500) out.push(v('5xx', `${answer.status} ${answer.text.slice(0, 200)}`));
  const inBody = markerIn(answer.text) ?? markerIn(answer.headerText);
  if (inBody) out.push(v('secret-in-response', inBody));
  if (answer.text.includes('$argon2')) out.push(v('hash-in-response', answer.text.slice(0, 120)));
  if (logLeaks.length > 0) out.push(v('secret-in-log', logLeaks[0]));
  if (answer.status >= 400 && stateChanged) out.push(v('state-changed-by-refusal', `${answer.status}`));
  const ok = answer.status >= 200 && answer.status < 300;
  const publicRoute = c.route === 'POST /api/v1/auth/login';
  if (ok && !publicRoute && (c.caller === 'none' || c.caller === 'wrong-token'))
    out.push(v('accepted-without-credentials', `${answer.status}`));
  const change = !c.route.startsWith('GET ');
  if (ok && !publicRoute && change && c.caller === 'admin-without-csrf')
    out.push(v('change-without-csrf-token', `${answer.status}`));
  const usersRoute = c.route.includes('/api/v1/users');
  if (ok && usersRoute && (c.caller === 'operator' || c.caller === 'viewer'))
    out.push(v(`users-route-allowed-to-${c.caller}`, `${answer.status}`));
  if (answer.status === 400 && !/"message"/.test(answer.text))
    out.push(v('400-without-message', answer.text.slice(0, 120)));
  return out;
}

/**
 * Sign-in, sessions and users (issue 20), on a node of their own: the fuzz creates, disables and
 * deletes users and signs sessions in and out, which must not disturb the other edges' nodes. The
 * login throttle is set out of reach (its backoff has its own spec): a throttled harness could no
 * longer sign its roles in, and every later case would only test the 429.
 */
export function describeAuthApiFuzz(ctx: FuzzContext): void {
  let db: TestDatabase | undefined;
  let harness: AuthHarness;

  async function runCase(c: AuthCase): Promise<void> {
    const { request, username } = toRequest(c, harness);
    const headers = await harness.headers(c.caller);
    harness.leakedLogLines();
    const before = await harness.digest();
    const answer = await httpCall(harness.node.base, { ...request, headers: { ...headers, ...request.headers } });
    const changed = answer.status >= 400 && (await harness.digest()) !== before;
    ctx.findings.report(judge(c, answer, changed, harness.leakedLogLines()), c);
    ctx.findings.counted(`${EDGE} (${c.caller})`, answer.status >= 200 && answer.status < 300);
    track(c, answer, request, username);
  }

  /** Keeps the harness's picture true after a call that succeeded: new users, passwords, sessions ended. */
  function track(c: AuthCase, answer: HttpAnswer, request: HttpRequest, username?: string): void {
    const body = () => JSON.parse(String(request.body)) as Record<string, string>;
    if (c.route === 'POST /api/v1/auth/login' && answer.status === 200) harness.noteLogin(answer);
    if (answer.status < 200 || answer.status >= 300) return;
    const role = c.caller === 'admin-without-csrf' ? 'admin' : c.caller;
    if (c.route === 'POST /api/v1/users' && username !== undefined) {
      harness.pool.push(username);
      harness.passwords.set(username, body().password);
    }
    if (c.route === 'PUT /api/v1/users/:username/password') {
      const target = decodeURIComponent(request.path.split('/')[4] ?? '');
      harness.passwords.set(target, body().password);
    }
    if ((ROLES as readonly string[]).includes(role)) {
      if (c.route === 'POST /api/v1/auth/logout') harness.forget(role as Role);
      if (c.route === 'POST /api/v1/auth/password') {
        harness.passwords.set(callerName(c.caller), body().newPassword);
        harness.forget(role as Role);
      }
    }
  }

  describe('admin sign-in and users', () => {
    beforeAll(async () => {
      db = await createTestDatabase();
      const node = await FuzzNode.start('auth', {
        DATABASE_URL: db.url,
        ADMIN_TOKEN: SECRETS.ADMIN_TOKEN,
        SECRET_KEY: SECRETS.SECRET_KEY,
        ADMIN_USERNAME: HARNESS.admin,
        ADMIN_PASSWORD: SECRETS.ADMIN_PASSWORD,
        LOGIN_FAILURES_FREE: '1000',
        LOGIN_IP_FAILURES_FREE: '10000',
      });
      harness = new AuthHarness(node);
      await harness.seed();
    });

    afterAll(async () => {
      await harness?.node.close();
      await db?.drop();
    });

    it('should keep every property on hostile sign-in, session and users calls', async () => {
      await fuzz(authCase, 150, runCase);
      ctx.findings.report(await harness.node.aliveViolations(EDGE), 'after the fuzz');
    });

    it('should never print a password, a hash or a session id in a log line (whole run)', () => {
      const leaks = harness.node.node.logs
        .map((line) => JSON.stringify(line))
        .filter(
          (text) =>
            markerIn(text) || text.includes('$argon2') || [...harness.sessionIds].some((id) => text.includes(id)),
        );
      const detail = `${leaks.length} lines, e.g. ${leaks[0]}`;
      if (leaks.length > 0) ctx.findings.report([{ edge: EDGE, endpoint: 'log', kind: 'secret-in-log', detail }], {});
    });
  });
}
