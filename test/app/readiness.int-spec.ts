import { eventually } from '../../tools/support/eventually';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { TcpProxy } from '../support/tcp-proxy';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';

async function waitForStatus(url: string, status: number, timeoutMs = 15000): Promise<void> {
  await eventually(async () => (await fetch(url)).status === status, {
    timeoutMs,
    intervalMs: 200,
    what: `${url} to answer ${status}`,
  });
}

describe('/health/ready and the database', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let sut: TestNode;

  beforeAll(async () => {
    db = await createTestDatabase();
    const target = new URL(db.url);
    proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
    target.host = `127.0.0.1:${proxy.port}`;
    sut = await startTestNode({ DATABASE_URL: target.toString(), DATABASE_POOL_SIZE: '2' });
  });

  afterAll(async () => {
    await sut?.close();
    await proxy?.stop();
    await db?.drop();
  });

  it('should report 503 naming the database while it is unreachable, and 200 once it returns', async () => {
    await waitForStatus(`${sut.base}/health/ready`, 200);
    proxy.cut();
    await waitForStatus(`${sut.base}/health/ready`, 503);
    const body = await (await fetch(`${sut.base}/health/ready`)).json();
    expect(body).toMatchObject({ status: 'error', error: { database: { status: 'down' } } });
    // Liveness does not depend on the database: restarting the pod would not help.
    expect((await fetch(`${sut.base}/health/live`)).status).toBe(200);
    proxy.restore();
    await waitForStatus(`${sut.base}/health/ready`, 200);
  });
});
