import type { TestNode } from '../support/app';
import { startTestNode } from '../support/app';
import { eventually } from '../../tools/support/eventually';
import { freePorts } from '../../tools/support/free-ports';
import { distroEnv } from '../support/distro-cluster';

interface Member {
  address: string;
  state: string;
  failAccessCnt: number;
}

/**
 * Nacos's `PUT /cluster/node/list` on a clustered node: a reported member is probed at once instead of
 * at the next interval (ten minutes here), so its state follows what it answers, never the report itself.
 */
describe('a report of members up (PUT /nacos/v2/core/cluster/node/list)', () => {
  let node: TestNode;
  let dead: number;

  beforeAll(async () => {
    const [own, absent] = await freePorts(2);
    dead = absent;
    node = await startTestNode(
      distroEnv(own, [`127.0.0.1:${own}`, `127.0.0.1:${dead}`], {
        DISTRO_PROBE_INTERVAL_MS: '600000',
        DISTRO_BOOTSTRAP_WAIT_MS: '0',
        DISTRO_ALLOW_FIRST_NODE: 'true',
      }),
    );
  });

  afterAll(async () => {
    await node?.close();
  });

  const peer = async (): Promise<Member | undefined> => {
    const res = await fetch(`${node.base}/nacos/v2/core/cluster/node/list?address=127.0.0.1:${dead}`);
    if (res.status !== 200) return undefined;
    return ((await res.json()) as { data: Member[] }).data[0];
  };
  const report = async (members: unknown[]) => {
    const res = await fetch(`${node.base}/nacos/v3/admin/core/cluster/node/list`, {
      method: 'PUT',
      body: JSON.stringify(members),
      headers: { 'content-type': 'application/json' },
    });
    return [res.status, await res.json()] as const;
  };

  it('should probe a reported peer now: a peer that does not answer goes SUSPICIOUS, then DOWN, though reported UP', async () => {
    // The probe at start has failed once; the next would come in ten minutes.
    await eventually(async () => expect(await peer()).toMatchObject({ state: 'SUSPICIOUS', failAccessCnt: 1 }));

    expect(await report([{ ip: '127.0.0.1', port: dead, state: 'UP' }])).toEqual([
      200,
      { code: 0, message: 'success', data: true },
    ]);
    await eventually(async () => expect(await peer()).toMatchObject({ failAccessCnt: 2 }));
    await report([{ address: `127.0.0.1:${dead}` }, { ip: '10.9.9.9', port: 7848 }]);
    await eventually(async () => expect(await peer()).toMatchObject({ state: 'DOWN', failAccessCnt: 3 }));
  });

  it('should answer the lookup switch for its fixed list (file) and refuse address-server', async () => {
    const lookup = async (type: string) => {
      const res = await fetch(`${node.base}/nacos/v3/admin/core/cluster/lookup?type=${type}`, { method: 'PUT' });
      return [res.status, await res.json()] as const;
    };
    expect(await lookup('file')).toEqual([200, { code: 0, message: 'success', data: true }]);
    expect(await lookup('address-server')).toMatchObject([400, { code: 20002 }]);
  });
});
