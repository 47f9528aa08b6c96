import type { TestNode } from '../support/app';
import { startTestNode } from '../support/app';
import { eventually } from '../../tools/support/eventually';
import { freePorts } from '../../tools/support/free-ports';
import { distroEnv } from '../support/distro-cluster';
import { DistroTestDns } from '../support/distro-dns';

interface Status {
  self: string;
  members: Array<{ id: string; state: string }>;
}

describe('Distro DNS membership', () => {
  let dns: DistroTestDns;
  const nodes: TestNode[] = [];

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    await dns?.stop();
  });

  it('should add and remove members as the DNS answer changes', async () => {
    const [port] = await freePorts(1);
    dns = await DistroTestDns.start('distro.region-a.svc');
    dns.set(['127.0.0.1']);
    // Two nodes on the same Distro port, told apart by their loopback address, as pods behind a headless Service.
    const env = (host: string) =>
      distroEnv(port, [], {
        HOST: host,
        DISTRO_MEMBERS: '',
        DISTRO_MEMBERS_DNS: `distro.region-a.svc:${port}`,
        DISTRO_DNS_SERVER: `127.0.0.1:${dns.port}`,
        DISTRO_DNS_REFRESH_MS: '200',
      });
    const first = await startTestNode(env('127.0.0.1'));
    nodes.push(first);
    const status = async (): Promise<Status> => (await (await fetch(`${first.base}/api/v1/distro`)).json()) as Status;
    expect((await status()).self).toBe(`127.0.0.1:${port}`);
    expect((await status()).members).toEqual([]);

    const second = await startTestNode(env('127.0.0.2'));
    nodes.push(second);
    dns.set(['127.0.0.1', '127.0.0.2']);

    await eventually(async () => {
      const members = (await status()).members;
      return members.length === 1 && members[0].id === `127.0.0.2:${port}` && members[0].state === 'UP';
    });

    // Nacos's addressing mode of a DNS-listed region is its address server; the other is set at start.
    const lookup = async (type: string) => {
      const res = await fetch(`${first.base}/nacos/v2/core/cluster/lookup?type=${type}`, { method: 'PUT' });
      return [res.status, await res.json()] as const;
    };
    expect(await lookup('address-server')).toEqual([200, { code: 0, message: 'success', data: true }]);
    expect(await lookup('file')).toEqual([
      400,
      {
        code: 20002,
        message: 'parameter validate error',
        data: 'the addressing mode is address-server (DISTRO_MEMBERS_DNS), set at start; file is chosen with DISTRO_MEMBERS and a restart',
      },
    ]);

    dns.set(['127.0.0.1']);

    await eventually(async () => (await status()).members.length === 0);
  });
});
