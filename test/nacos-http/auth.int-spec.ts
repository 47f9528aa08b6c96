import { createHmac } from 'node:crypto';
import { AppConfig } from '@/config';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { NacosClients, call } from './support';

const SECRET = 'a-test-signing-secret-of-32-chars-or-more';
const PASSWORD = 'p4ssw0rd-for-tests';

function signedToken(payload: object, secret = SECRET): string {
  const unsigned = `${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

/** Optional Nacos auth: login issues a signed token; the naming API needs it or username/password. */
describe('Nacos auth', () => {
  let node: TestNode;
  const list = (params: Record<string, string> = {}, headers: Record<string, string> = {}) =>
    call(node.base, 'GET', '/nacos/v1/ns/instance/list', { serviceName: 'guarded', ...params }, { headers });

  beforeAll(async () => {
    node = await startTestNode({
      DATA_DIR: 'memory',
      NACOS_AUTH_ENABLED: 'true',
      NACOS_AUTH_USERS: `nacos:${PASSWORD},reader:other-password`,
      NACOS_AUTH_SECRET: SECRET,
    });
  });

  afterAll(async () => {
    await node?.close();
  });

  describe('start-up', () => {
    it('should refuse auth without a signing secret, naming the variables', () => {
      expect(() => AppConfig.fromEnv({ NACOS_AUTH_ENABLED: 'true', NACOS_AUTH_USERS: 'nacos:pw' })).toThrow(
        /NACOS_AUTH_SECRET is required when NACOS_AUTH_ENABLED=true/,
      );
      expect(() => AppConfig.fromEnv({ NACOS_AUTH_ENABLED: 'true', NACOS_AUTH_SECRET: SECRET })).toThrow(
        /NACOS_AUTH_USERS/,
      );
      expect(() => AppConfig.fromEnv({ NACOS_AUTH_SECRET: 'short' })).toThrow(/NACOS_AUTH_SECRET must be at least 32/);
    });
  });

  describe('POST /nacos/v1/auth/login', () => {
    it('should issue an access token for a known user', async () => {
      const res = await call(
        node.base,
        'POST',
        '/nacos/v1/auth/login',
        { username: 'nacos', password: PASSWORD },
        { form: true },
      );
      expect(res.status).toBe(200);
      expect(res.json()).toMatchObject({
        accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
        tokenTtl: 18000,
        username: 'nacos',
      });
    });

    it('should refuse a wrong password or an unknown user with 403', async () => {
      const attempts: Array<Record<string, string>> = [
        { username: 'nacos', password: 'wrong' },
        { username: 'ghost', password: PASSWORD },
        {},
      ];
      for (const params of attempts) {
        const res = await call(node.base, 'POST', '/nacos/v1/auth/login', params);
        expect(res.status).toBe(403);
        expect(res.text).toBe('unknown user!');
      }
    });
  });

  describe('the naming API', () => {
    it('should refuse a call without credentials, with Nacos message', async () => {
      const res = await list();
      expect(res.status).toBe(403);
      expect(res.text).toBe('user not found!');
    });

    it('should accept the accessToken param', async () => {
      const login = (
        await call(node.base, 'POST', '/nacos/v1/auth/login', { username: 'nacos', password: PASSWORD })
      ).json() as {
        accessToken: string;
      };
      expect((await list({ accessToken: login.accessToken })).status).toBe(200);
    });

    it('should accept username and password params, and refuse a wrong password', async () => {
      expect((await list({ username: 'reader', password: 'other-password' })).status).toBe(200);
      expect((await list({ username: 'reader', password: PASSWORD })).status).toBe(403);
    });

    it('should refuse a tampered, foreign or expired token', async () => {
      const future = Math.ceil(Date.now() / 1000) + 600;
      expect(
        (
          await list({
            accessToken: signedToken({ sub: 'nacos', exp: future }, 'another-secret-of-at-least-32-chars!'),
          })
        ).text,
      ).toBe('token invalid!');
      expect((await list({ accessToken: 'garbage' })).text).toBe('token invalid!');
      expect(
        (await list({ accessToken: signedToken({ sub: 'nacos', exp: Math.floor(Date.now() / 1000) - 1 }) })).text,
      ).toBe('token expired!');
      expect((await list({ accessToken: signedToken({ sub: 'ghost', exp: future }) })).text).toBe('user not found!');
    });

    it('should not be bypassed by headers', async () => {
      const login = (
        await call(node.base, 'POST', '/nacos/v1/auth/login', { username: 'nacos', password: PASSWORD })
      ).json() as {
        accessToken: string;
      };
      const attempts: Array<Record<string, string>> = [
        { authorization: `Bearer ${login.accessToken}` },
        { 'user-agent': 'Nacos-Server' },
        { 'x-distro-forwarded': '1' },
      ];
      for (const headers of attempts) {
        expect((await list({}, headers)).status).toBe(403);
      }
      expect(
        (await call(node.base, 'POST', '/nacos/v2/ns/instance', { serviceName: 's', ip: '10.0.0.1', port: '80' }))
          .status,
      ).toBe(403);
    });

    it('should work with the npm client configured with username and password', async () => {
      const clients = NacosClients.start();
      try {
        await clients.create('authed', node.base, { username: 'nacos', password: PASSWORD });
        await clients.registerInstance('authed', 'guarded', { ip: '10.0.0.7', port: 80 });
        expect((await clients.getAllInstances('authed', 'guarded')).map((host) => host.ip)).toEqual(['10.0.0.7']);
      } finally {
        clients.stop();
      }
    });

    it('should keep passwords and the secret out of the logs', () => {
      const text = JSON.stringify(node.logs);
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(SECRET);
    });
  });

  describe('the calls of issue 19 (operator, health, metadata, catalog, v2 instance and client views)', () => {
    let token = '';
    const instance = { serviceName: 'guarded-19', ip: '10.0.19.1', port: '80' };
    const durable = { serviceName: 'guarded-19p', ip: '10.0.19.2', port: '80' };

    beforeAll(async () => {
      const login = await call(node.base, 'POST', '/nacos/v1/auth/login', { username: 'nacos', password: PASSWORD });
      token = (login.json() as { accessToken: string }).accessToken;
      for (const params of [instance, { ...durable, ephemeral: 'false' }]) {
        const res = await call(
          node.base,
          'POST',
          '/nacos/v1/ns/instance',
          { ...params, accessToken: token },
          { form: true },
        );
        expect(res.status).toBe(200);
      }
      // Manual health needs a cluster without health checks (NONE), as in Nacos.
      const none = await call(
        node.base,
        'PUT',
        '/nacos/v1/ns/cluster',
        {
          serviceName: durable.serviceName,
          clusterName: 'DEFAULT',
          checkPort: '80',
          useInstancePort4Check: 'true',
          healthChecker: '{"type":"NONE"}',
          accessToken: token,
        },
        { form: true },
      );
      expect(none.status).toBe(200);
    });

    const CALLS: Array<[string, string, Record<string, string>]> = [
      ['PATCH', '/nacos/v1/ns/instance', { ...instance, weight: '2' }],
      ['PUT', '/nacos/v1/ns/instance/metadata/batch', { serviceName: 'guarded-19', metadata: 'k=v' }],
      ['DELETE', '/nacos/v1/ns/instance/metadata/batch', { serviceName: 'guarded-19', metadata: 'k=v' }],
      ['PUT', '/nacos/v1/ns/health/instance', { ...durable, healthy: 'false' }],
      ['PUT', '/nacos/v1/ns/health', { ...durable, healthy: 'true' }],
      [
        'PUT',
        '/nacos/v1/ns/cluster',
        {
          ...durable,
          clusterName: 'DEFAULT',
          checkPort: '80',
          useInstancePort4Check: 'true',
          healthChecker: '{"type":"NONE"}',
        },
      ],
      ['GET', '/nacos/v1/ns/health/checkers', {}],
      [
        'GET',
        '/nacos/v1/ns/catalog/instances',
        { serviceName: 'guarded-19', clusterName: 'DEFAULT', pageNo: '1', pageSize: '10' },
      ],
      ['GET', '/nacos/v1/ns/operator/switches', {}],
      ['PUT', '/nacos/v1/ns/operator/switches', { entry: 'lightBeatEnabled', value: 'true' }],
      ['GET', '/nacos/v1/ns/operator/servers', {}],
      ['GET', '/nacos/v1/ns/operator/metrics', { onlyStatus: 'false' }],
      ['GET', '/nacos/v1/ns/ops/switches', {}],
      ['PUT', '/nacos/v1/ns/operator/log', { logName: 'naming-push', logLevel: 'info' }],
      ['GET', '/nacos/v2/ns/instance', instance],
      ['PUT', '/nacos/v2/ns/instance/beat', instance],
      ['PATCH', '/nacos/v2/ns/instance', { ...instance, weight: '3', enabled: 'true', metadata: '' }],
      ['PUT', '/nacos/v2/ns/instance/metadata/batch', { serviceName: 'guarded-19', metadata: 'k=v' }],
      ['DELETE', '/nacos/v2/ns/instance/metadata/batch', { serviceName: 'guarded-19', metadata: 'k=v' }],
      ['PUT', '/nacos/v2/ns/health/instance', { ...durable, healthy: 'true' }],
      ['GET', '/nacos/v2/ns/operator/switches', {}],
      ['PUT', '/nacos/v2/ns/operator/switches', { entry: 'lightBeatEnabled', value: 'true' }],
      ['GET', '/nacos/v2/ns/operator/metrics', {}],
      ['GET', '/nacos/v2/ns/client/list', {}],
      ['GET', '/nacos/v2/ns/client', { clientId: '10.0.19.1:80#true' }],
      ['GET', '/nacos/v2/ns/client/publish/list', { clientId: '10.0.19.1:80#true' }],
      ['GET', '/nacos/v2/ns/client/service/publisher/list', { serviceName: 'guarded-19' }],
      ['GET', '/nacos/v2/ns/client/service/subscriber/list', { serviceName: 'guarded-19' }],
    ];

    it.each(CALLS)('%s %s: 403 without credentials, 200 with a token', async (method, path, params) => {
      const form = method !== 'GET';
      const refused = await call(node.base, method, path, params, { form });
      expect([refused.status, refused.text]).toEqual([403, 'user not found!']);
      const wrong = await call(node.base, method, path, { ...params, username: 'nacos', password: 'wrong' }, { form });
      expect(wrong.status).toBe(403);
      const accepted = await call(node.base, method, path, { ...params, accessToken: token }, { form });
      expect(accepted.status).toBe(200);
    });
  });
});
