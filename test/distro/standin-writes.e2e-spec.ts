import { distroIndex } from '../../src/distro/distro-mapper';
import { eventually } from '../../tools/support/eventually';
import { ProcessCluster } from '../support/process-cluster';
import type { ProcessDistroStatus } from '../support/process-cluster';
import { NacosClients } from '../nacos-http/support';

/** Generous: a behaviour check (no wait for a dead peer), not a benchmark. */
const WRITE_BOUND_MS = 2000;
const SERVICE = 'standin';
/**
 * The default probe interval: a dead node stays UP for up to 2 s and DOWN only after ~6 s, the
 * window in which forwarded writes used to fail.
 */
const STANDIN_ENV = { DISTRO_PROBE_INTERVAL_MS: '2000', DISTRO_CLIENT_EXPIRE_MS: '10000' };

/**
 * Three real processes. A node that forwards a v1 write to a dead or paused responsible node does
 * not answer 5xx and does not wait for probes: it marks the peer SUSPICIOUS and takes the write
 * itself as a stand-in until the peer answers probes again.
 */
describe('Distro stand-in writes when the responsible node dies', () => {
  let cluster: ProcessCluster;
  let clients: NacosClients;
  const status = (i: number): Promise<ProcessDistroStatus> => cluster.status(i);
  const allUp = (timeoutMs: number): Promise<void> => cluster.allUp(timeoutMs);

  async function hosts(i: number): Promise<string[]> {
    return (await cluster.hosts(i, SERVICE)).map((h) => `${h.ip}:${h.port}`).sort();
  }

  /** Addresses `ip:port` the member `owner` is responsible for while every member is UP. */
  async function addressesOf(owner: number, count: number, prefix: string): Promise<string[]> {
    const sorted = (await status(0)).responsibleMembers;
    expect(sorted).toEqual([...cluster.members].sort());
    const out: string[] = [];
    for (let i = 1; out.length < count && i < 250; i++) {
      const tag = `${prefix}.${i}:8080`;
      if (sorted[distroIndex(tag, sorted.length)] === cluster.members[owner]) out.push(tag);
    }
    expect(out).toHaveLength(count);
    return out;
  }

  /** One v1 HTTP write through node `via`, timed. */
  async function write(
    via: number,
    method: string,
    path: string,
    params: Record<string, string>,
  ): Promise<{ status: number; text: string; ms: number }> {
    const started = Date.now();
    const response = await fetch(`${cluster.bases[via]}${path}?${new URLSearchParams(params).toString()}`, {
      method,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    return { status: response.status, text, ms: Date.now() - started };
  }

  function standInWarnings(i: number, peer: string): string[] {
    return cluster.procs[i]!.output.filter((line) => line.includes('as a stand-in') && line.includes(peer));
  }

  async function standInCount(i: number, peer: string): Promise<number> {
    const text = await (await fetch(`${cluster.bases[i]}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`distro_standin_writes_total{peer="${peer}"}`));
    return line === undefined ? 0 : Number(line.split(' ').pop());
  }

  /** Nacos API answers of node `i` with a 5xx status, from its request metrics. */
  async function serverErrors(i: number): Promise<string[]> {
    const text = await (await fetch(`${cluster.bases[i]}/metrics`)).text();
    return text
      .split('\n')
      .filter((l) => /^http_request_duration_seconds_count\{[^}]*route="\/nacos\/[^}]*status="5\d\d"/.test(l));
  }

  beforeAll(async () => {
    clients = NacosClients.start();
    cluster = await ProcessCluster.start(3, STANDIN_ENV);
    // One server address only: the client has nowhere else to retry a failed write.
    await clients.create('app', cluster.bases[0]);
  });

  afterAll(async () => {
    clients?.stop();
    await cluster?.stop();
  });

  it('should stand in for a paused node without waiting for probes, and forward to it again once it answers', async () => {
    const [paused, resumed] = await addressesOf(1, 2, '10.61.0');
    const [pausedIp, pausedPort] = paused.split(':');
    const [resumedIp, resumedPort] = resumed.split(':');

    cluster.procs[1]!.kill('SIGSTOP');
    try {
      // The first write waits out the short forward deadline, the next ones are not even tried there.
      const answers = [];
      for (let i = 0; i < 3; i++)
        answers.push(
          await write(0, 'POST', '/nacos/v1/ns/instance', { serviceName: SERVICE, ip: pausedIp, port: pausedPort }),
        );
      for (const answer of answers) expect(answer).toMatchObject({ status: 200, text: 'ok' });
      for (const answer of answers) expect(answer.ms).toBeLessThan(WRITE_BOUND_MS);
      expect(await hosts(0)).toContain(paused);
      expect((await status(0)).members.find((m) => m.id === cluster.members[1])?.state).not.toBe('UP');
    } finally {
      cluster.procs[1]!.kill('SIGCONT');
    }

    await eventually(async () => (await status(0)).members.every((m) => m.state === 'UP'), {
      timeoutMs: 20000,
      intervalMs: 100,
    });
    await eventually(() => standInWarnings(0, cluster.members[1]).length > 0, { timeoutMs: 10000 });
    expect(standInWarnings(0, cluster.members[1])).toHaveLength(1);
    // The info line is written when A sees B UP, but reaches this process through A's stdout a moment later.
    await eventually(() => cluster.procs[0]!.output.some((l) => l.includes(`${cluster.members[1]} answers again`)), {
      timeoutMs: 10000,
      intervalMs: 50,
    });
    // Forwarding resumed: a write through A for an address B is responsible for lands on B.
    const before = (await status(1)).ownedClients;
    const answer = await write(0, 'POST', '/nacos/v1/ns/instance', {
      serviceName: SERVICE,
      ip: resumedIp,
      port: resumedPort,
    });
    expect(answer).toMatchObject({ status: 200, text: 'ok' });
    expect((await status(1)).ownedClients).toBe(before + 1);
    expect(await serverErrors(0)).toEqual([]);
  });

  let viaHttp: string;
  let viaClient: string;

  it('should take v1 writes for a SIGKILLed node at once, through plain HTTP and the nacos client with one server', async () => {
    await allUp(20000);
    [viaHttp, viaClient] = await addressesOf(2, 2, '10.62.0');
    const [ip, port] = viaHttp.split(':');
    const [clientIp, clientPort] = viaClient.split(':');
    const peer = cluster.members[2];
    const countBefore = await standInCount(0, peer);

    cluster.procs[2]!.kill('SIGKILL');
    await cluster.procs[2]!.exited;

    const answers = [
      await write(0, 'POST', '/nacos/v1/ns/instance', { serviceName: SERVICE, ip, port, metadata: '{"v":"1"}' }),
      await write(0, 'PUT', '/nacos/v1/ns/instance', { serviceName: SERVICE, ip, port, metadata: '{"v":"2"}' }),
      await write(0, 'PUT', '/nacos/v1/ns/instance/beat', {
        serviceName: `DEFAULT_GROUP@@${SERVICE}`,
        beat: JSON.stringify({ ip, port: Number(port), cluster: 'DEFAULT', serviceName: `DEFAULT_GROUP@@${SERVICE}` }),
      }),
      await write(0, 'POST', '/nacos/v2/ns/instance', { serviceName: SERVICE, ip, port }),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.ms).toBeLessThan(WRITE_BOUND_MS);
    }
    expect(answers[0].text).toBe('ok');
    expect(answers[1].text).toBe('ok');
    expect(await hosts(0)).toContain(viaHttp);

    const started = Date.now();
    await clients.registerInstance('app', SERVICE, { ip: clientIp, port: Number(clientPort) });
    expect(Date.now() - started).toBeLessThan(WRITE_BOUND_MS);
    expect(await hosts(0)).toEqual(expect.arrayContaining([viaHttp, viaClient]));

    await eventually(() => standInWarnings(0, peer).length > 0, { timeoutMs: 10000 });
    expect(standInWarnings(0, peer)).toHaveLength(1);
    expect(await standInCount(0, peer)).toBeGreaterThanOrEqual(countBefore + answers.length + 1);
    expect((await status(0)).members.find((m) => m.id === peer)?.state).not.toBe('UP');
    // No Nacos API request on A answered 5xx, from the first write of this file on.
    expect(await serverErrors(0)).toEqual([]);
  });

  it('should list the stand-in writes on the restarted node and on the third node', async () => {
    expect(viaHttp).toBeDefined();
    await cluster.startMember(2);
    // The stand-in's write is versioned like any other: Distro merges it on every node, and the
    // restarted node's older copy from its snapshot cannot replace it.
    await eventually(
      async () => {
        const [b, c] = [await hosts(1), await hosts(2)];
        const missing = [`B lacks ${[viaHttp, viaClient].filter((a) => !b.includes(a)).join(' ')}`];
        missing.push(`C lacks ${[viaHttp, viaClient].filter((a) => !c.includes(a)).join(' ')}`);
        if (missing.some((m) => !m.endsWith('lacks '))) throw new Error(missing.join('; '));
      },
      { timeoutMs: 20000, intervalMs: 100 },
    );
  });
});
