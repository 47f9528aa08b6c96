import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { call } from './support';

const SECRET = 'a-test-signing-secret-of-32-chars-or-more';
const PASSWORD = 'v3-p4ssw0rd-for-tests';

/** Every Nacos 3 call, with params that make it succeed once the caller is let in. */
const CALLS: Array<[string, string, Record<string, string>]> = [
  ['POST', '/nacos/v3/client/ns/instance', { serviceName: 'guarded', ip: '10.8.0.1', port: '80' }],
  ['GET', '/nacos/v3/client/ns/instance/list', { serviceName: 'guarded' }],
  ['DELETE', '/nacos/v3/client/ns/instance', { serviceName: 'gone', ip: '10.8.0.1', port: '80' }],
  ['POST', '/nacos/v3/admin/ns/instance', { serviceName: 'guarded', ip: '10.8.0.2', port: '80' }],
  ['PUT', '/nacos/v3/admin/ns/instance', { serviceName: 'guarded', ip: '10.8.0.2', port: '80' }],
  ['GET', '/nacos/v3/admin/ns/instance', { serviceName: 'guarded', ip: '10.8.0.2', port: '80' }],
  ['PUT', '/nacos/v3/admin/ns/instance/partial', { serviceName: 'guarded', ip: '10.8.0.2', port: '80', weight: '2' }],
  ['GET', '/nacos/v3/admin/ns/instance/list', { serviceName: 'guarded' }],
  ['PUT', '/nacos/v3/admin/ns/instance/metadata/batch', { serviceName: 'guarded', metadata: '{"a":"1"}' }],
  ['DELETE', '/nacos/v3/admin/ns/instance/metadata/batch', { serviceName: 'guarded', metadata: '{"a":""}' }],
  ['DELETE', '/nacos/v3/admin/ns/instance', { serviceName: 'gone', ip: '10.8.0.9', port: '80' }],
  ['POST', '/nacos/v3/admin/ns/service', { serviceName: 'stored' }],
  ['PUT', '/nacos/v3/admin/ns/service', { serviceName: 'stored' }],
  ['GET', '/nacos/v3/admin/ns/service', { serviceName: 'stored' }],
  ['GET', '/nacos/v3/admin/ns/service/list', {}],
  ['GET', '/nacos/v3/admin/ns/service/subscribers', { serviceName: 'guarded' }],
  ['GET', '/nacos/v3/admin/ns/service/selector/types', {}],
  ['DELETE', '/nacos/v3/admin/ns/service', { serviceName: 'stored' }],
  ['GET', '/nacos/v3/admin/ns/health/checkers', {}],
  ['GET', '/nacos/v3/admin/ns/ops/switches', {}],
  ['PUT', '/nacos/v3/admin/ns/ops/switches', { entry: 'lightBeatEnabled', value: 'true' }],
  ['GET', '/nacos/v3/admin/ns/ops/metrics', {}],
  ['PUT', '/nacos/v3/admin/ns/ops/log', { logName: 'naming-push', logLevel: 'debug' }],
  ['GET', '/nacos/v3/admin/ns/client/list', {}],
  ['GET', '/nacos/v3/admin/ns/client', { clientId: '10.8.0.1:80#true' }],
  ['GET', '/nacos/v3/admin/ns/client/publish/list', { clientId: '10.8.0.1:80#true' }],
  ['GET', '/nacos/v3/admin/ns/client/subscribe/list', { clientId: '10.8.0.1:80#true' }],
  ['GET', '/nacos/v3/admin/ns/client/service/publisher/list', { serviceName: 'guarded' }],
  ['GET', '/nacos/v3/admin/ns/client/service/subscriber/list', { serviceName: 'guarded' }],
  ['GET', '/nacos/v3/admin/ns/client/distro', { ip: '10.8.0.1', port: '80' }],
  ['GET', '/nacos/v3/admin/core/namespace/list', {}],
  ['POST', '/nacos/v3/admin/core/namespace', { namespaceId: 'auth-ns', namespaceName: 'n' }],
  ['GET', '/nacos/v3/admin/core/namespace', { namespaceId: 'auth-ns' }],
  ['PUT', '/nacos/v3/admin/core/namespace', { namespaceId: 'auth-ns', namespaceName: 'n2' }],
  ['GET', '/nacos/v3/admin/core/namespace/check', { namespaceId: 'auth-ns' }],
  ['DELETE', '/nacos/v3/admin/core/namespace', { namespaceId: 'auth-ns' }],
  ['GET', '/nacos/v3/admin/core/cluster/node/list', {}],
  ['GET', '/nacos/v3/admin/core/cluster/node/self', {}],
];

/** Nacos 3's APIs with auth on: nothing without an identity; a token (param or header) or a password lets in. */
describe('Nacos HTTP v3 with auth', () => {
  let node: TestNode;
  let token: string;

  beforeAll(async () => {
    node = await startTestNode({
      DATA_DIR: 'memory',
      NACOS_AUTH_ENABLED: 'true',
      NACOS_AUTH_USERS: `nacos:${PASSWORD}`,
      NACOS_AUTH_SECRET: SECRET,
    });
    // As Nacos 3's clients log in: v3 first.
    const login = await call(
      node.base,
      'POST',
      '/nacos/v3/auth/user/login',
      { username: 'nacos', password: PASSWORD },
      { form: true },
    );
    token = (login.json() as { accessToken: string }).accessToken;
  });

  afterAll(async () => {
    await node?.close();
  });

  const send = (method: string, path: string, params: Record<string, string>, headers: Record<string, string> = {}) =>
    call(node.base, method, path, params, { form: method !== 'GET', headers });

  it('should log in on Nacos 3 login path, answering as v1 does', async () => {
    const login = (password: string) =>
      call(node.base, 'POST', '/nacos/v3/auth/user/login', { username: 'nacos', password }, { form: true });
    const res = await login(PASSWORD);
    expect({ status: res.status, body: res.json() }).toEqual({
      status: 200,
      body: {
        accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
        tokenTtl: 18000,
        globalAdmin: true,
        username: 'nacos',
      },
    });
    const wrong = await login('not-it');
    expect({ status: wrong.status, text: wrong.text }).toEqual({ status: 403, text: 'unknown user!' });
  });

  it.each(CALLS)(
    'should refuse %s %s without credentials, with a bad token or a wrong password',
    async (method, path, params) => {
      const none = await send(method, path, params);
      expect({ status: none.status, text: none.text }).toEqual({ status: 403, text: 'user not found!' });
      const forged = await send(method, path, { ...params, accessToken: 'a.b.c' });
      expect({ status: forged.status, text: forged.text }).toEqual({ status: 403, text: 'token invalid!' });
      const wrong = await send(method, path, { ...params, username: 'nacos', password: 'nope' });
      expect(wrong.status).toBe(403);
    },
  );

  it('should take a JSON report of members only from a caller with a token', async () => {
    const report = (headers: Record<string, string>) =>
      fetch(`${node.base}/nacos/v3/admin/core/cluster/node/list`, {
        method: 'PUT',
        body: JSON.stringify([{ ip: '127.0.0.1', port: 1 }]),
        headers: { 'content-type': 'application/json', ...headers },
      }).then(async (res) => [res.status, await res.text()]);
    expect(await report({})).toEqual([403, 'user not found!']);
    expect(await report({ accessToken: 'a.b.c' })).toEqual([403, 'token invalid!']);
    expect(await report({ accessToken: token })).toEqual([200, '{"code":0,"message":"success","data":true}']);
  });

  it('should answer every call to a user holding a token, as a param or as the accessToken header', async () => {
    for (const [method, path, params] of CALLS) {
      const byParam = await send(method, path, { ...params, accessToken: token });
      expect({
        call: `${method} ${path}`,
        status: byParam.status,
        code: (byParam.json() as { code: number }).code,
      }).toEqual({
        call: `${method} ${path}`,
        status: 200,
        code: 0,
      });
    }
    // The same reads with the token as a header: let in (the stored service and the namespace are deleted by now,
    // so those two answer their own not-found).
    const gone: Record<string, number> = { '/nacos/v3/admin/ns/service': 400, '/nacos/v3/admin/core/namespace': 404 };
    for (const [method, path, params] of CALLS.filter(([m]) => m === 'GET')) {
      const byHeader = await send(method, path, params, { accessToken: token });
      expect({ call: `${method} ${path}`, status: byHeader.status }).toEqual({
        call: `${method} ${path}`,
        status: gone[path] ?? 200,
      });
    }
    const byPassword = await send('GET', '/nacos/v3/admin/ns/ops/metrics', { username: 'nacos', password: PASSWORD });
    expect(byPassword.json()).toEqual({ code: 0, message: 'success', data: { status: 'UP' } });
  });
});
