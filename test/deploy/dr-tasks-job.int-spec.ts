import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { REPO } from './deploy-tree';

const SCRIPT = join(REPO, 'deploy', 'k8s', 'components', 'dr-tasks', 'create-dr-tasks.js');
const TOKEN = 'admin-token-0123456789';

type Row = { id: string; name: string; [key: string]: unknown };

/**
 * The admin API as issue 6 specifies it, reduced to what the Job touches: paged lists with a name
 * filter, creation with 201, 409 on a duplicate name, and bearer-token checks.
 */
class FakeAdminApi {
  readonly rows: Record<'clusters' | 'tasks', Row[]> = { clusters: [], tasks: [] };
  readonly requests: string[] = [];
  /** Readiness probes still to answer 503, as a node that is starting does. */
  notReadyFor = 0;
  private server: Server | undefined;
  private nextId = 1;

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server?.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url!, 'http://x');
    this.requests.push(`${req.method} ${url.pathname}`);
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (url.pathname === '/health/ready') return send(this.notReadyFor-- > 0 ? 503 : 200, {});
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { message: 'Unauthorized' });
    const collection = /^\/api\/v1\/(clusters|tasks)$/.exec(url.pathname)?.[1] as 'clusters' | 'tasks' | undefined;
    if (!collection) return send(404, {});
    const rows = this.rows[collection];
    if (req.method === 'GET') {
      const name = url.searchParams.get('name');
      // A substring filter, as list filters often are: the Job must pick the exact name itself.
      const items = rows.filter((r) => !name || r.name.includes(name));
      return send(200, { items, total: items.length, page: 1 });
    }
    let text = '';
    for await (const chunk of req) text += String(chunk);
    const body = JSON.parse(text) as Row;
    if (rows.some((r) => r.name === body.name)) return send(409, { message: 'name taken' });
    if (collection === 'tasks') {
      const ids = this.rows.clusters.map((c) => c.id);
      if (!ids.includes(body.sourceClusterId as string) || !ids.includes(body.targetClusterId as string)) {
        return send(400, { message: 'unknown cluster' });
      }
    }
    const row = { ...body, id: String(this.nextId++) };
    rows.push(row);
    return send(201, row);
  }
}

function runJob(env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SCRIPT], { env, timeout: 30000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, output: stdout + stderr });
    });
  });
}

describe('create-dr-tasks.js (the DR-task Job)', () => {
  let sut: FakeAdminApi;
  let env: Record<string, string>;

  beforeEach(async () => {
    sut = new FakeAdminApi();
    const base = await sut.start();
    env = {
      ADMIN_URL: base,
      ADMIN_TOKEN: TOKEN,
      LOCAL_CLUSTER_NAME: 'region-a',
      PEER_CLUSTER_NAME: 'region-b',
      PEER_CLUSTER_KIND: 'distro',
      PEER_ADDRESSES: 'b1.example:8848, b2.example:8848',
      PEER_TOKEN: 'peer-token-0123456789',
      WAIT_READY_SECONDS: '20',
    };
  });

  afterEach(() => sut.stop());

  it('should create both clusters and the task peer → local for everything', async () => {
    const { code, output } = await runJob(env);

    expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining('DR task in place') });
    const [local, peer] = sut.rows.clusters;
    expect(local).toEqual({ id: '1', name: 'region-a', kind: 'local' });
    expect(peer).toEqual({
      id: '2',
      name: 'region-b',
      kind: 'distro',
      addresses: ['b1.example:8848', 'b2.example:8848'],
      token: 'peer-token-0123456789',
    });
    expect(sut.rows.tasks).toEqual([
      {
        id: '3',
        name: 'region-b-to-region-a',
        sourceClusterId: '2',
        targetClusterId: '1',
        namespace: '*',
        groupName: '*',
        serviceName: '*',
      },
    ]);
  });

  it('should change nothing when run again', async () => {
    await runJob(env);
    const before = JSON.stringify(sut.rows);
    sut.requests.length = 0;

    const { code } = await runJob(env);

    expect(code).toBe(0);
    expect(JSON.stringify(sut.rows)).toBe(before);
    expect(sut.requests.filter((r) => r.startsWith('POST'))).toEqual([]);
  });

  it('should create only what is missing, matching names exactly', async () => {
    sut.rows.clusters.push(
      { id: 'x', name: 'region-a', kind: 'local' },
      { id: 'y', name: 'region-a-old', kind: 'local' },
    );

    const { code } = await runJob(env);

    expect(code).toBe(0);
    expect(sut.rows.clusters.map((c) => c.name)).toEqual(['region-a', 'region-a-old', 'region-b']);
    expect(sut.rows.tasks[0]).toEqual(expect.objectContaining({ targetClusterId: 'x' }));
  });

  it('should wait for the admin API to become ready', async () => {
    sut.notReadyFor = 1;

    const { code } = await runJob(env);

    expect(code).toBe(0);
    expect(sut.requests.filter((r) => r === 'GET /health/ready')).toHaveLength(2);
  });

  it('should fail, without printing tokens, when the admin token is refused', async () => {
    const { code, output } = await runJob({ ...env, ADMIN_TOKEN: 'wrong-token-0123456789' });

    expect(code).toBe(1);
    expect(output).toContain('HTTP 401');
    expect(output).not.toContain('wrong-token');
    expect(output).not.toContain('peer-token');
    expect(sut.rows.clusters).toEqual([]);
  });

  it('should refuse to start without its settings', async () => {
    const { code, output } = await runJob({ ADMIN_URL: env.ADMIN_URL });

    expect(code).toBe(1);
    expect(output).toContain('LOCAL_CLUSTER_NAME is required');
  });
});
