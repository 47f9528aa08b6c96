import { DistroRouting } from '../../src/distro/distro-routing';
import type { TestNode } from '../support/app';
import { clusterUp, startCluster } from '../support/distro-cluster';
import { call } from '../nacos-http/support';

const PASSWORD = 'forwarded-auth-password-1';

/**
 * A write a node forwards to the member responsible for its `ip:port` is checked there again by the naming
 * guard: the caller's identity must travel with it, whether sent as a param or as the `accessToken` header
 * (as Nacos 3's clients and the maintainer SDK send it).
 */
describe('forwarded Nacos writes keep the caller identity (2 in-process nodes, Nacos auth on)', () => {
  let nodes: TestNode[];
  let members: string[];
  let token: string;

  beforeAll(async () => {
    ({ nodes, members } = await startCluster(2, {
      NACOS_AUTH_ENABLED: 'true',
      NACOS_AUTH_USERS: `nacos:${PASSWORD}`,
      NACOS_AUTH_SECRET: 'forwarded-auth-secret-0123456789abcdef',
    }));
    await clusterUp(nodes);
    const login = await call(nodes[0].base, 'POST', '/nacos/v3/auth/user/login', {
      username: 'nacos',
      password: PASSWORD,
    });
    token = (login.json() as { accessToken: string }).accessToken;
  });

  afterAll(async () => {
    await Promise.all((nodes ?? []).map((n) => n.close()));
  });

  it('should apply on the responsible member a v3 register sent with the token as the accessToken header', async () => {
    const routing = nodes[0].app.get(DistroRouting);
    // Ports of which the other member is responsible: each register is forwarded.
    const ports = Array.from({ length: 40 }, (_, i) => 7100 + i)
      .filter((port) => routing.responsibleMember(`10.63.0.1:${port}`) === members[1])
      .slice(0, 3);
    expect(ports.length).toBeGreaterThan(0);
    for (const port of ports) {
      const res = await call(
        nodes[0].base,
        'POST',
        '/nacos/v3/client/ns/instance',
        { serviceName: 'fwd-auth', ip: '10.63.0.1', port: String(port) },
        { form: true, headers: { accessToken: token } },
      );
      expect({ port, status: res.status, body: res.text }).toEqual({
        port,
        status: 200,
        body: '{"code":0,"message":"success","data":"ok"}',
      });
    }
    const list = await call(
      nodes[1].base,
      'GET',
      '/nacos/v3/client/ns/instance/list',
      { serviceName: 'fwd-auth' },
      { headers: { accessToken: token } },
    );
    expect(list.status).toBe(200);
    expect((list.json() as { data: Array<{ port: number }> }).data.map((h) => h.port).sort()).toEqual(ports);
  });

  it('should still refuse a forwarded write that carries no identity', async () => {
    const routing = nodes[0].app.get(DistroRouting);
    const port = Array.from({ length: 40 }, (_, i) => 7200 + i).find(
      (p) => routing.responsibleMember(`10.63.0.2:${p}`) === members[1],
    );
    const res = await call(
      nodes[0].base,
      'POST',
      '/nacos/v3/client/ns/instance',
      { serviceName: 'fwd-auth', ip: '10.63.0.2', port: String(port) },
      { form: true },
    );
    expect(res.status).toBe(403);
  });
});
