import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { distroEnv } from '../support/distro-cluster';
import { freePorts } from '../../tools/support/free-ports';
import { eventually } from '../../tools/support/eventually';
import { call } from './support';

const V1 = '/nacos/v1/ns';

/** The issue-19 calls in a 2-node Distro region: servers with states, a PATCH replicated, who holds a client. */
describe('Nacos operator and instance calls in a Distro region', () => {
  const nodes: TestNode[] = [];
  let members: string[] = [];

  beforeAll(async () => {
    const ports = await freePorts(2);
    members = ports.map((port) => `127.0.0.1:${port}`);
    for (const port of ports) nodes.push(await startTestNode(distroEnv(port, members, { LOG_LEVEL: 'warn' })));
    await eventually(
      async () =>
        (await Promise.all(nodes.map((node) => fetch(`${node.base}/health/ready`).then((r) => r.ok)))).every(Boolean),
      { timeoutMs: 30_000 },
    );
  });

  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.close()));
  });

  const servers = async (node: TestNode, params: Record<string, string> = {}) =>
    (
      (await call(node.base, 'GET', `${V1}/operator/servers`, params)).json() as {
        servers: Array<{ address: string; state: string; port: number; failAccessCnt: number }>;
      }
    ).servers;

  it('should list both members, self first, by their Distro ids', async () => {
    const [a, b] = nodes as [TestNode, TestNode];
    await eventually(async () =>
      expect((await servers(a)).map(({ address, state }) => `${address} ${state}`)).toEqual([
        `${members[0]} UP`,
        `${members[1]} UP`,
      ]),
    );
    expect((await servers(b)).map((s) => s.address)).toEqual([members[1], members[0]]);
    expect((await servers(a))[1]?.port).toBe(Number(members[1]?.split(':')[1]));
  });

  it('should replicate a PATCH made on either node, and name the member holding the client', async () => {
    const [a, b] = nodes as [TestNode, TestNode];
    const instance = { serviceName: 'patched-region', ip: '10.80.0.1', port: '80' };
    expect((await call(b.base, 'POST', `${V1}/instance`, instance, { form: true })).text).toBe('ok');
    const patched = await call(a.base, 'PATCH', `${V1}/instance`, { ...instance, weight: '7' }, { form: true });
    expect([patched.status, patched.text]).toEqual([200, 'ok']);
    for (const node of nodes) {
      await eventually(async () =>
        expect((await call(node.base, 'GET', `${V1}/instance`, instance)).json()).toMatchObject({ weight: 7 }),
      );
    }
    const holders = await Promise.all(
      nodes.map(
        async (node) =>
          (
            (await call(node.base, 'GET', '/nacos/v2/ns/client', { clientId: '10.80.0.1:80#true' })).json() as {
              data: { responsibleServer: string };
            }
          ).data.responsibleServer,
      ),
    );
    // Both nodes name the same member, one of the two.
    expect(new Set(holders).size).toBe(1);
    expect(members).toContain(holders[0]);
  });

  it('should show a member that stopped answering as no longer UP, and leave it out with healthy=true', async () => {
    const [a, b] = nodes as [TestNode, TestNode];
    await b.close();
    nodes.pop();
    await eventually(async () => expect((await servers(a))[1]?.state).not.toBe('UP'), { timeoutMs: 10_000 });
    expect((await servers(a, { healthy: 'true' })).map((s) => s.address)).toEqual([members[0]]);
  });
});
