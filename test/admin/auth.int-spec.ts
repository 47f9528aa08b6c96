import { Client } from 'pg';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';

const TOKEN = 'auth-admin-token-0123456789';
const ADMIN_PASSWORD = 'First-Admin-Pass-7c1e';
/** Every password below contains it: it must never come back in an answer or reach a log. */
const MARKER = 'Pw-Marker-93b1';
const pw = (who: string): string => `${MARKER}-${who}-long-enough`;

interface Answer {
  status: number;
  text: string;
  json: any;
  headers: Headers;
}

/** A caller: the bearer token, a session (cookie + CSRF token), or nothing. */
interface Caller {
  token?: string;
  cookie?: string;
  csrf?: string;
}

/** Issue 20: users, roles and sessions guarding the admin API. */
describe('admin API auth', () => {
  let db: TestDatabase;
  let sut: TestNode;
  const answers: string[] = [];

  const call = async (caller: Caller, method: string, path: string, body?: unknown, headers = {}): Promise<Answer> => {
    const res = await fetch(`${sut.base}${path}`, {
      method,
      headers: {
        ...(caller.token ? { authorization: `Bearer ${caller.token}` } : {}),
        ...(caller.cookie ? { cookie: caller.cookie } : {}),
        ...(caller.csrf ? { 'x-csrf-token': caller.csrf } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    answers.push(text);
    return { status: res.status, text, json: text ? JSON.parse(text) : undefined, headers: res.headers };
  };
  const admin: Caller = { token: TOKEN };

  const login = async (username: string, password: string, headers = {}): Promise<Answer & { caller: Caller }> => {
    const res = await call({}, 'POST', '/api/v1/auth/login', { username, password }, headers);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
    return { ...res, caller: { cookie, csrf: res.json?.csrfToken } };
  };

  const session = async (username: string, password: string): Promise<Caller> => {
    const res = await login(username, password);
    expect(res.status).toBe(200);
    return res.caller;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    sut = await startTestNode({
      DATABASE_URL: db.url,
      ADMIN_TOKEN: TOKEN,
      ADMIN_USERNAME: 'root',
      ADMIN_PASSWORD,
      SECRET_KEY: 'auth-secret-key-0123456789abcdef0123',
      LOGIN_FAILURES_FREE: '2',
      LOGIN_IP_FAILURES_FREE: '1000',
      LOGIN_BACKOFF_MS: '60000',
      LOG_LEVEL: 'debug',
      // Dozens of hashes and checks below: 1 MiB each instead of 64 (what is checked is who may do what).
      PASSWORD_HASH_MEMORY_KIB: '1024',
    });
    for (const [username, role] of [
      ['Vera', 'viewer'],
      ['otto', 'operator'],
      ['ada', 'admin'],
    ]) {
      expect((await call(admin, 'POST', '/api/v1/users', { username, role, password: pw(username) })).status).toBe(201);
    }
  });

  afterAll(async () => {
    await sut?.close();
    await db?.drop();
  });

  describe('login', () => {
    it('should sign in the first admin from ADMIN_USERNAME with an HTTP-only SameSite=Strict cookie', async () => {
      const res = await login('ROOT', ADMIN_PASSWORD);
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ username: 'root', role: 'admin', via: 'session', csrfToken: expect.any(String) });
      const cookie = res.headers.get('set-cookie') ?? '';
      expect(cookie).toMatch(
        /^distro_sync_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/,
      );
    });

    it('should mark the cookie Secure when a proxy says the request came over https', async () => {
      const res = await login('root', ADMIN_PASSWORD, { 'x-forwarded-proto': 'https' });
      expect(res.headers.get('set-cookie')).toMatch(/; Secure$/);
    });

    it('should answer a wrong password and an unknown user alike', async () => {
      const wrong = await login('vera', 'not-the-password-at-all');
      const unknown = await login('nobody-here', 'not-the-password-at-all');
      expect([wrong.status, unknown.status]).toEqual([401, 401]);
      expect(wrong.json.message).toBe(unknown.json.message);
      expect(wrong.headers.get('set-cookie')).toBeNull();
    });

    it('should refuse a malformed body with 400 naming the field', async () => {
      const res = await call({}, 'POST', '/api/v1/auth/login', { username: 'root' });
      expect(res.status).toBe(400);
      expect(res.text).toContain('password');
    });

    it('should make a username wait after the free failures, with Retry-After, even with the right password', async () => {
      await call(admin, 'POST', '/api/v1/users', { username: 'tess', role: 'viewer', password: pw('tess') });
      expect((await login('tess', 'wrong-password-1')).status).toBe(401);
      expect((await login('tess', 'wrong-password-2')).status).toBe(401);
      const throttled = await login('TESS', pw('tess'));
      expect(throttled.status).toBe(429);
      expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
      expect(throttled.json.message).toMatch(/too many failed sign-ins/);
      expect((await login('vera', pw('Vera'))).status).toBe(200);
    });
  });

  describe('sessions', () => {
    it('should say who is signed in, with the CSRF token again', async () => {
      const vera = await session('vera', pw('Vera'));
      const me = await call(vera, 'GET', '/api/v1/auth/me');
      expect(me.json).toEqual({ username: 'Vera', role: 'viewer', via: 'session', csrfToken: vera.csrf });
      expect((await call(admin, 'GET', '/api/v1/auth/me')).json).toEqual({
        username: null,
        role: 'admin',
        via: 'token',
      });
    });

    it('should refuse a change made with the cookie alone, and accept it with the CSRF header', async () => {
      const ada = await session('ada', pw('ada'));
      const body = { name: 'csrf-nacos', kind: 'nacos', addresses: ['10.0.0.9:8848'] };
      const without = await call({ cookie: ada.cookie }, 'POST', '/api/v1/clusters', body);
      expect(without.status).toBe(403);
      expect(without.json.message).toMatch(/X-CSRF-Token/);
      const wrong = await call({ cookie: ada.cookie, csrf: 'x'.repeat(43) }, 'POST', '/api/v1/clusters', body);
      expect(wrong.status).toBe(403);
      expect((await call(ada, 'POST', '/api/v1/clusters', body)).status).toBe(201);
    });

    it('should end the session at logout', async () => {
      const otto = await session('otto', pw('otto'));
      const out = await call(otto, 'POST', '/api/v1/auth/logout');
      expect(out.status).toBe(204);
      expect(out.headers.get('set-cookie')).toMatch(/^distro_sync_session=; Path=\/; Max-Age=0; HttpOnly/);
      const after = await call(otto, 'GET', '/api/v1/tasks');
      expect(after.status).toBe(401);
      expect(after.json.message).toMatch(/session has expired or ended/);
    });

    it('should stop the sessions of a disabled user at once, and of a deleted one', async () => {
      await call(admin, 'POST', '/api/v1/users', { username: 'dora', role: 'viewer', password: pw('dora') });
      const dora = await session('dora', pw('dora'));
      expect((await call(dora, 'GET', '/api/v1/clusters')).status).toBe(200);
      expect((await call(admin, 'PATCH', '/api/v1/users/dora', { disabled: true })).json.disabled).toBe(true);
      expect((await call(dora, 'GET', '/api/v1/clusters')).status).toBe(401);
      expect((await login('dora', pw('dora'))).status).toBe(401);

      await call(admin, 'POST', '/api/v1/users', { username: 'dan', role: 'viewer', password: pw('dan') });
      const dan = await session('dan', pw('dan'));
      expect((await call(admin, 'DELETE', '/api/v1/users/DAN')).status).toBe(204);
      expect((await call(dan, 'GET', '/api/v1/clusters')).status).toBe(401);
    });

    it('should end a session past its idle time, by the database clock', async () => {
      await call(admin, 'POST', '/api/v1/users', { username: 'ida', role: 'viewer', password: pw('ida') });
      const ida = await session('ida', pw('ida'));
      const client = new Client({ connectionString: db.url });
      await client.connect();
      try {
        await client.query(
          `UPDATE user_session SET last_seen_at = now() - interval '31 minutes'
            WHERE user_id = (SELECT id FROM app_user WHERE username = 'ida')`,
        );
      } finally {
        await client.end();
      }
      expect((await call(ida, 'GET', '/api/v1/clusters')).status).toBe(401);
    });
  });

  describe('roles', () => {
    let taskId: string;
    let viewer: Caller;
    let operator: Caller;
    let adminUser: Caller;

    beforeAll(async () => {
      const local = await call(admin, 'POST', '/api/v1/clusters', { name: 'roles-local', kind: 'local' });
      const remote = await call(admin, 'POST', '/api/v1/clusters', {
        name: 'roles-remote',
        kind: 'distro',
        addresses: ['127.0.0.1:1'],
        token: 'remote-token-0123456789',
      });
      const task = await call(admin, 'POST', '/api/v1/tasks', {
        sourceClusterId: remote.json.id,
        targetClusterId: local.json.id,
        serviceName: 'roles-*',
      });
      expect(task.status).toBe(201);
      taskId = task.json.id;
      viewer = await session('vera', pw('Vera'));
      operator = await session('otto', pw('otto'));
      adminUser = await session('ada', pw('ada'));
    });

    it('should let every role read', async () => {
      for (const who of [viewer, operator, adminUser, admin]) {
        expect((await call(who, 'GET', `/api/v1/tasks/${taskId}`)).status).toBe(200);
        expect((await call(who, 'GET', '/api/v1/workers')).status).toBe(200);
      }
    });

    it('should keep a viewer from changing anything, naming the role needed', async () => {
      const pause = await call(viewer, 'POST', `/api/v1/tasks/${taskId}/pause`);
      expect(pause.status).toBe(403);
      expect(pause.json.message).toBe('this call needs the operator role; Vera has the viewer role');
      expect((await call(viewer, 'POST', '/api/v1/clusters', { name: 'v', kind: 'nacos' })).status).toBe(403);
      expect((await call(viewer, 'DELETE', `/api/v1/tasks/${taskId}`)).status).toBe(403);
      expect((await call(viewer, 'GET', '/api/v1/users')).status).toBe(403);
    });

    it('should let an operator pause and resume but not create, delete or manage users', async () => {
      expect((await call(operator, 'POST', `/api/v1/tasks/${taskId}/pause`)).json.status).toBe('paused');
      expect((await call(operator, 'POST', `/api/v1/tasks/${taskId}/resume`)).json.status).toBe('running');
      expect((await call(operator, 'POST', `/api/v1/tasks/${taskId}/resync`)).status).toBe(200);
      const remove = await call(operator, 'DELETE', `/api/v1/tasks/${taskId}`);
      expect(remove.status).toBe(403);
      expect(remove.json.message).toMatch(/needs the admin role/);
      const create = await call(operator, 'POST', '/api/v1/users', { username: 'x', role: 'admin', password: pw('x') });
      expect(create.status).toBe(403);
    });

    it('should record who acted in the audit trail: the username, or admin-token for the bearer token', async () => {
      await call(adminUser, 'POST', `/api/v1/tasks/${taskId}/pause`);
      await call(admin, 'POST', `/api/v1/tasks/${taskId}/resume`);
      const events = (await call(admin, 'GET', `/api/v1/tasks/${taskId}/events`)).json.items as Array<{
        kind: string;
        actor: string;
      }>;
      // The worker's own events (lease, reconcile, reachability) may land among these: only the calls made here count.
      const calls = new Set(['created', 'paused', 'resumed', 'resync-requested']);
      const actors = events.filter((e) => calls.has(e.kind)).map((e) => `${e.kind}:${e.actor}`);
      expect(actors.slice(0, 5)).toEqual([
        'resumed:admin-token',
        'paused:ada',
        'resync-requested:otto',
        'resumed:otto',
        'paused:otto',
      ]);
      expect(actors).toContain('created:admin-token');
    });

    it('should answer 401 without credentials and with a wrong token', async () => {
      expect((await call({}, 'GET', '/api/v1/tasks')).status).toBe(401);
      expect((await call({ token: 'wrong-token-0123456789' }, 'GET', '/api/v1/tasks')).status).toBe(401);
    });
  });

  describe('user management', () => {
    it('should list users without any password or hash', async () => {
      const res = await call(admin, 'GET', '/api/v1/users');
      expect(res.status).toBe(200);
      expect(res.json.map((u: { username: string }) => u.username)).toEqual(
        expect.arrayContaining(['ada', 'otto', 'root', 'Vera']),
      );
      expect(Object.keys(res.json[0]).sort()).toEqual(['createdAt', 'disabled', 'id', 'role', 'updatedAt', 'username']);
    });

    it('should refuse bad input with 400 naming the field, and a taken name in any case with 409', async () => {
      const short = await call(admin, 'POST', '/api/v1/users', { username: 'sam', role: 'viewer', password: 'short' });
      expect(short.status).toBe(400);
      expect(short.json.message).toEqual(['password must be 12 to 256 characters long']);
      const role = await call(admin, 'POST', '/api/v1/users', { username: 'sam', role: 'boss', password: pw('s') });
      expect(role.status).toBe(400);
      expect(role.text).toContain('role');
      const name = await call(admin, 'POST', '/api/v1/users', { username: '-x y', role: 'viewer', password: pw('s') });
      expect(name.status).toBe(400);
      expect(name.text).toContain('username');
      const taken = await call(admin, 'POST', '/api/v1/users', { username: 'ADA', role: 'viewer', password: pw('s') });
      expect(taken.status).toBe(409);
      expect(taken.json.message).toMatch(/username exists/);
      expect((await call(admin, 'PATCH', '/api/v1/users/nobody', { role: 'viewer' })).status).toBe(404);
      for (const [body, field] of [
        [{ role: null }, 'role'],
        [{ disabled: 'yes' }, 'disabled'],
      ] as const) {
        const res = await call(admin, 'PATCH', '/api/v1/users/ada', body);
        expect({ status: res.status, names: res.text.includes(field) }).toEqual({ status: 400, names: true });
      }
      const path = await call(admin, 'PATCH', '/api/v1/users/bad%00name', { role: 'viewer' });
      expect(path.status).toBe(400);
      expect(path.text).toContain('username');
      const nul = await call({}, 'POST', '/api/v1/auth/login', { username: 'ro\u0000ot', password: 'whatever-it-is' });
      expect(nul.status).toBe(400);
      expect(nul.text).toContain('username');
    });

    it('should change a role, which applies to live sessions', async () => {
      await call(admin, 'POST', '/api/v1/users', { username: 'rita', role: 'viewer', password: pw('rita') });
      const rita = await session('rita', pw('rita'));
      expect((await call(rita, 'GET', '/api/v1/users')).status).toBe(403);
      expect((await call(admin, 'PATCH', '/api/v1/users/rita', { role: 'admin' })).json.role).toBe('admin');
      expect((await call(rita, 'GET', '/api/v1/users')).status).toBe(200);
    });

    it('should reset a password, ending the sessions made with the old one', async () => {
      await call(admin, 'POST', '/api/v1/users', { username: 'paul', role: 'viewer', password: pw('paul') });
      const paul = await session('paul', pw('paul'));
      expect((await call(admin, 'PUT', '/api/v1/users/paul/password', { password: pw('paul2') })).status).toBe(204);
      expect((await call(paul, 'GET', '/api/v1/tasks')).status).toBe(401);
      expect((await login('paul', pw('paul'))).status).toBe(401);
      expect((await login('paul', pw('paul2'))).status).toBe(200);
    });

    it('should let a user change their own password with the old one', async () => {
      await call(admin, 'POST', '/api/v1/users', { username: 'olga', role: 'viewer', password: pw('olga') });
      const olga = await session('olga', pw('olga'));
      const other = await session('olga', pw('olga'));
      const wrong = await call(olga, 'POST', '/api/v1/auth/password', {
        currentPassword: 'not-my-password',
        newPassword: pw('olga2'),
      });
      expect(wrong.status).toBe(400);
      expect(wrong.text).toContain('currentPassword');
      const ok = await call(olga, 'POST', '/api/v1/auth/password', {
        currentPassword: pw('olga'),
        newPassword: pw('olga2'),
      });
      expect(ok.status).toBe(204);
      expect((await call(olga, 'GET', '/api/v1/tasks')).status).toBe(200);
      expect((await call(other, 'GET', '/api/v1/tasks')).status).toBe(401);
      expect((await login('olga', pw('olga2'))).status).toBe(200);
      const token = await call(admin, 'POST', '/api/v1/auth/password', { currentPassword: 'a', newPassword: pw('t') });
      expect(token.status).toBe(401);
    });

    it('should never leave the region without an enabled admin', async () => {
      const admins = (await call(admin, 'GET', '/api/v1/users')).json.filter(
        (u: { role: string; disabled: boolean }) => u.role === 'admin' && !u.disabled,
      ) as Array<{ username: string }>;
      for (const u of admins.slice(1)) await call(admin, 'PATCH', `/api/v1/users/${u.username}`, { role: 'viewer' });
      const last = admins[0]?.username;
      for (const [method, path, body] of [
        ['PATCH', `/api/v1/users/${last}`, { role: 'operator' }],
        ['PATCH', `/api/v1/users/${last}`, { disabled: true }],
        ['DELETE', `/api/v1/users/${last}`, undefined],
      ] as const) {
        const res = await call(admin, method, path, body);
        expect(res.status).toBe(409);
        expect(res.json.message).toMatch(/last enabled admin/);
      }
      for (const u of admins.slice(1)) await call(admin, 'PATCH', `/api/v1/users/${u.username}`, { role: 'admin' });
    });
  });

  it('should document the session cookie and the CSRF header on every admin route of the OpenAPI document', async () => {
    const doc = (await call({}, 'GET', '/api/docs/json')).json;
    expect(doc.components.securitySchemes).toMatchObject({
      cookie: { type: 'apiKey', in: 'cookie', name: 'distro_sync_session' },
      csrf: { type: 'apiKey', in: 'header', name: 'X-CSRF-Token' },
    });
    expect(doc.paths['/api/v1/users'].post.security).toEqual(
      expect.arrayContaining([{ bearer: [] }, { cookie: [] }, { csrf: [] }]),
    );
    expect(doc.paths['/api/v1/auth/login'].post.security).toBeUndefined();
  });

  describe('secrets', () => {
    it('should never answer or log a password, a session id or a CSRF token', async () => {
      const res = await login('root', ADMIN_PASSWORD);
      const sessionId = (res.caller.cookie as string).split('=')[1];
      await call(res.caller, 'GET', '/api/v1/auth/me');
      await call(res.caller, 'POST', '/api/v1/clusters', { name: 'log-check', kind: 'nacos', addresses: ['x:1'] });
      const logs = JSON.stringify(sut.logs);
      for (const secret of [MARKER, ADMIN_PASSWORD, sessionId, res.caller.csrf as string]) {
        expect(logs).not.toContain(secret);
      }
      expect(answers.join('\n')).not.toContain(MARKER);
      expect(answers.join('\n')).not.toContain(ADMIN_PASSWORD);
      expect(answers.join('\n')).not.toMatch(/\$argon2id\$/);
      expect(logs).toMatch(/created the first admin from ADMIN_USERNAME/);
      // The lowered hash cost of this spec's node is never silent.
      expect(logs).toMatch(/password hashes use less memory than the default/);
    });
  });
});

describe('admin API open mode', () => {
  let db: TestDatabase;
  let sut: TestNode;

  beforeAll(async () => {
    db = await createTestDatabase();
    sut = await startTestNode({ DATABASE_URL: db.url, LOG_LEVEL: 'warn' });
  });

  afterAll(async () => {
    await sut?.close();
    await db?.drop();
  });

  it('should be open only while neither ADMIN_TOKEN is set nor any user exists', async () => {
    const me = await fetch(`${sut.base}/api/v1/auth/me`);
    expect(await me.json()).toEqual({ username: null, role: 'admin', via: 'open' });
    const viewerFirst = await fetch(`${sut.base}/api/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'first', role: 'viewer', password: 'first-admin-password' }),
    });
    expect(viewerFirst.status).toBe(400);
    expect(await viewerFirst.text()).toMatch(/role of the first user must be admin/);
    const created = await fetch(`${sut.base}/api/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'first', role: 'admin', password: 'first-admin-password' }),
    });
    expect(created.status).toBe(201);
    expect((await fetch(`${sut.base}/api/v1/tasks`)).status).toBe(401);
    const login = await fetch(`${sut.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'first', password: 'first-admin-password' }),
    });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    expect((await fetch(`${sut.base}/api/v1/tasks`, { headers: { cookie } })).status).toBe(200);
  });
});
