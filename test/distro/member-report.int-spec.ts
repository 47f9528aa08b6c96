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
 * at the next interval (ten minutes here, and no verify round meanwhile), so an answer brings it UP
 * at once; a report of a member that does not answer is never counted against it.
 */
describe('a report of members up (PUT /nacos/v2/core/cluster/node/list)', () => {
  let node: TestNode;
  let peerNode: TestNode | undefined;
  let own: number;
  let dead: number;
  const slow = { DISTRO_PROBE_INTERVAL_MS: '600000', DISTRO_VERIFY_INTERVAL_MS: '600000' };

  beforeAll(async () => {
    [own, dead] = await freePorts(2);
    node = await startTestNode(
      distroEnv(own, [`127.0.0.1:${own}`, `127.0.0.1:${dead}`], {
        ...slow,
        DISTRO_BOOTSTRAP_WAIT_MS: '0',
        DISTRO_ALLOW_FIRST_NODE: 'true',
      }),
    );
  });

  afterAll(async () => {
    await peerNode?.close();
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

  it('should never count a failed probe made on a report: reports of a dead peer leave it SUSPICIOUS', async () => {
    // The probe at start has failed once; the next would come in ten minutes.
    await eventually(async () => expect(await peer()).toMatchObject({ state: 'SUSPICIOUS', failAccessCnt: 1 }));
    for (let i = 0; i < 4; i++) {
      expect(await report([{ ip: '127.0.0.1', port: dead, state: 'UP' }])).toEqual([
        200,
        { code: 0, message: 'success', data: true },
      ]);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect(await peer()).toMatchObject({ state: 'SUSPICIOUS', failAccessCnt: 1 });
  });

  it('should bring a reported peer UP as soon as it answers, long before the next probe', async () => {
    peerNode = await startTestNode(distroEnv(dead, [`127.0.0.1:${own}`, `127.0.0.1:${dead}`], slow));
    // Nothing else of this node calls the peer: no probe for ten minutes, no verify round, no write to send.
    expect(await peer()).toMatchObject({ state: 'SUSPICIOUS' });
    await eventually(async () => {
      await report([{ address: `127.0.0.1:${dead}` }, { ip: '10.9.9.9', port: 7848 }]);
      expect(await peer()).toMatchObject({ state: 'UP', failAccessCnt: 0 });
    });
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
