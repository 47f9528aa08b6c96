import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';
import { REPO } from './deploy-tree';

const SCRIPT = join(REPO, 'deploy', 'k8s', 'components', 'dr-tasks', 'create-dr-tasks.js');
const ADMIN_TOKEN = 'admin-token-0123456789';

function runJob(env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SCRIPT], { env, timeout: 45000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, output: stdout + stderr });
    });
  });
}

/** The DR-task Job against the app's real admin API (issue 6), not a stand-in. */
describe('create-dr-tasks.js against the admin API', () => {
  let db: TestDatabase;
  let sut: TestNode;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    sut = await startTestNode({
      DATABASE_URL: db.url,
      DATABASE_POOL_SIZE: '2',
      LOG_LEVEL: 'warn',
      ADMIN_TOKEN,
      SECRET_KEY: 'secret-key-0123456789abcdef0123456789abcdef',
    });
    env = {
      ADMIN_URL: sut.base,
      ADMIN_TOKEN,
      LOCAL_CLUSTER_NAME: 'region-a',
      PEER_CLUSTER_NAME: 'region-b',
      PEER_CLUSTER_KIND: 'distro',
      PEER_ADDRESSES: '127.0.0.1:1',
      PEER_TOKEN: 'peer-token-0123456789',
      WAIT_READY_SECONDS: '30',
    };
  });

  afterAll(async () => {
    await sut?.close();
    await db?.drop();
  });

  const list = async (collection: string): Promise<Array<Record<string, unknown>>> => {
    const res = await fetch(`${sut.base}/api/v1/${collection}?pageSize=500`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: Array<Record<string, unknown>> }).items;
  };

  it('should create the clusters and the task once, however often it runs', async () => {
    const first = await runJob(env);
    const second = await runJob(env);

    expect({ code: first.code, output: first.output }).toEqual({
      code: 0,
      output: expect.stringContaining('DR task in place'),
    });
    expect(second.code).toBe(0);
    const clusters = await list('clusters');
    expect(clusters.map((c) => [c.name, c.kind]).sort()).toEqual([
      ['region-a', 'local'],
      ['region-b', 'distro'],
    ]);
    expect(JSON.stringify(clusters)).not.toContain('peer-token');
    const tasks = await list('tasks');
    const local = clusters.find((c) => c.name === 'region-a')!;
    const peer = clusters.find((c) => c.name === 'region-b')!;
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toEqual(
      expect.objectContaining({
        name: 'region-b-to-region-a',
        sourceClusterId: peer.id,
        targetClusterId: local.id,
        namespace: '*',
        groupName: '*',
        serviceName: '*',
      }),
    );
  });
});
