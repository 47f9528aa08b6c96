import type { ServiceKey } from '../../src/registry';
import type { CopyRecord } from '../../src/sync/reconcile/copy-plan';
import type { CopyOwner } from '../../src/sync/adapters/target-registry';
import { ZooKeeperAdapter } from '../../src/sync/adapters/zookeeper-adapter';
import { CreateMode, ZooKeeperConnection } from '../../src/sync/adapters/zookeeper-client';
import { javaUrlEncode } from '../../src/sync/adapters/zookeeper-layouts';
import { eventually } from '../../tools/support/eventually';
import { startZooKeeperEnsemble } from '../../tools/support/zookeeper-server';
import type { ZooKeeperEnsemble } from '../../tools/support/zookeeper-server';
import { copyRecord } from '../support/copy-record';

const SERVICE = 'providers:com.acme.Quorum:1.0.0:';
const KEY: ServiceKey = { namespace: 'public', group: 'DEFAULT_GROUP', name: SERVICE };
const DIR = '/dubbo/com.acme.Quorum/providers';
const OWNER: CopyOwner = { taskId: 't-quorum', generation: '1', ttlMs: 6000 };

function copyAt(ip: string): CopyRecord {
  return copyRecord(SERVICE, ip, 20880, { syncTaskId: OWNER.taskId, sourceClusterId: 'src' });
}

/**
 * An ensemble of three ZooKeeper servers, and the member a task's session is connected to stopped:
 * the session moves to another member within its timeout, its ephemeral copies stay, writes and the
 * watch go on with the two left (a quorum).
 */
describe('the zookeeper adapter on an ensemble of three with one member stopped', () => {
  let ensemble: ZooKeeperEnsemble;
  let app: ZooKeeperConnection;
  let sut: ZooKeeperAdapter;

  beforeAll(async () => {
    ensemble = await startZooKeeperEnsemble(3);
    app = new ZooKeeperConnection({ addresses: ensemble.addresses, sessionTimeoutMs: 10_000 });
    await app.ready();
  });

  afterAll(async () => {
    await sut?.close();
    await app?.close();
    await ensemble?.stop();
  });

  it('should keep the copies, write and watch through the loss of its member', async () => {
    sut = new ZooKeeperAdapter({
      addresses: ensemble.addresses,
      layout: 'dubbo',
      namespace: 'public',
      sessionTimeoutMs: 6000,
      requestTimeoutMs: 2000,
    });
    const seen = new Map<string, string[]>();
    const feed = sut.watch(
      { namespace: 'public', groupName: '*', serviceName: '*', exclude: [] },
      (s) => seen.set(s.key.name, s.instances.map((i) => i.ip).sort()),
      () => undefined,
    );
    await sut.renewCopies(OWNER);
    await sut.applyCopies(OWNER, [{ key: KEY, copies: [copyAt('10.8.0.1')], removed: [] }]);
    const [node] = await app.getChildren(DIR);
    const session = (await app.exists(`${DIR}/${node}`))!.ephemeralOwner.toString('hex');
    const connected = await eventually(
      async () => {
        for (const m of ensemble.members) if ((await m.sessions()).includes(session)) return m;
        return false;
      },
      { what: "the member holding the task's session" },
    );

    await connected.kill();
    // The session moves to a member left; writes and the watch go on.
    await eventually(
      () => sut.applyCopies(OWNER, [{ key: KEY, copies: [copyAt('10.8.0.1'), copyAt('10.8.0.2')], removed: [] }]),
      { timeoutMs: 15_000, intervalMs: 250, what: 'a write with one member down' },
    );
    expect(await sut.renewCopies(OWNER)).toEqual({ present: true });
    const nodes = await app.getChildren(DIR);
    expect(nodes).toHaveLength(2);
    for (const n of nodes) expect((await app.exists(`${DIR}/${n}`))!.ephemeralOwner.toString('hex')).toBe(session);
    const native = `dubbo://10.8.1.1:20880/com.acme.Quorum?interface=com.acme.Quorum&side=provider&version=1.0.0`;
    await app.create(`${DIR}/${javaUrlEncode(native)}`, Buffer.alloc(0), CreateMode.EPHEMERAL);
    await eventually(() => expect(seen.get(SERVICE)).toEqual(['10.8.0.1', '10.8.0.2', '10.8.1.1']), {
      timeoutMs: 15_000,
    });
    feed.close();
    await sut.withdrawCopies(OWNER);
  });
});
