import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { NetRig, rigPrerequisiteProblem } from './netns';

/**
 * The rig itself, without the registry: if these fail, the fault scenarios say nothing about Distro.
 * A probe agent (probe-agent.js) runs in each namespace: TCP on 7000, UDP counting on 7001.
 */

const AGENT = resolve(__dirname, 'probe-agent.js');

interface ProbeResult {
  ok?: boolean;
  ms?: number;
  error?: string;
  sent?: number;
  bySource?: Record<string, number>;
}

class Agent {
  private nextId = 1;
  private readonly waiting = new Map<number, (r: ProbeResult) => void>();
  readonly ready: Promise<void>;

  constructor(readonly child: ChildProcess) {
    let onReady: () => void = () => undefined;
    this.ready = new Promise((r) => (onReady = r));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const message = JSON.parse(line) as ProbeResult & { id?: number; ready?: boolean };
      if (message.ready) onReady();
      else if (message.id !== undefined) this.waiting.get(message.id)?.(message);
    });
  }

  request(command: Record<string, unknown>): Promise<ProbeResult> {
    const id = this.nextId++;
    return new Promise((r) => {
      this.waiting.set(id, r);
      this.child.stdin!.write(`${JSON.stringify({ id, ...command })}\n`);
    });
  }

  tcp(host: string, timeoutMs = 3000): Promise<ProbeResult> {
    return this.request({ op: 'tcp', host, port: 7000, timeoutMs });
  }

  async udpReceivedFrom(host: string): Promise<number> {
    return (await this.request({ op: 'udpReceived' })).bySource?.[host] ?? 0;
  }

  /** Datagrams from `host` since `before`, once the count has stopped growing (at least 300 ms, at most 3 s). */
  async udpSettled(host: string, before: number): Promise<number> {
    const deadline = Date.now() + 3000;
    let last = -1;
    for (;;) {
      await new Promise((r) => setTimeout(r, 150));
      const now = (await this.udpReceivedFrom(host)) - before;
      if ((now === last && now >= 0) || Date.now() > deadline) return now;
      last = now;
    }
  }
}

function tcpFromTest(host: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((r) => {
    const socket = connect({ host, port: 7000 });
    const timer = setTimeout(() => finish(false), timeoutMs);
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      r(ok);
    };
    socket.once('data', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

function processState(pid: number): string {
  // /proc/<pid>/stat: "pid (comm) S ..."
  return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '')[0];
}

/** Polls the process state (signals are delivered asynchronously) until `ok` holds or 2 s pass; returns the last state. */
async function stateBecomes(pid: number, ok: (state: string) => boolean): Promise<string> {
  const deadline = Date.now() + 2000;
  let state = processState(pid);
  while (!ok(state) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
    state = processState(pid);
  }
  return state;
}

async function medianConnectMs(agent: Agent, host: string, samples = 7): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const r = await agent.tcp(host, 2000);
    if (!r.ok) throw new Error(`connect to ${host} failed: ${r.error}`);
    times.push(r.ms!);
  }
  return times.sort((a, b) => a - b)[Math.floor(samples / 2)];
}

// the shared machine can be busy: give each check room
jest.setTimeout(30000);

describe('fault rig (network namespaces, no registry)', () => {
  let rig: NetRig;
  const agents: Agent[] = [];
  const ip = (i: number): string => rig.node(i).clusterIp;

  beforeAll(async () => {
    rig = await NetRig.create({ nodes: 3, wired: [2] });
    for (const node of rig.nodes) {
      const child = rig.spawn(node.index, process.execPath, [AGENT], { stdio: ['pipe', 'pipe', 'inherit'] });
      agents.push(new Agent(child));
    }
    await Promise.all(agents.map((a) => a.ready));
  }, 30000);

  afterAll(() => {
    rig?.destroy();
  });

  it('should find what it needs on this machine (root, ip netns, tc, python3 for the wire)', () => {
    expect(rigPrerequisiteProblem(true)).toBeUndefined();
  });

  it('should give each node its own namespace with a cluster address and a client address', () => {
    const namespaces = execFileSync('ip', ['netns', 'list']).toString();
    for (const node of rig.nodes) {
      expect(namespaces).toContain(node.ns);
      const addrs = execFileSync('ip', ['-n', node.ns, '-4', '-o', 'addr', 'show']).toString();
      expect(addrs).toMatch(new RegExp(`cluster0\\s+inet ${node.clusterIp.replace(/\./g, '\\.')}/24`));
      expect(addrs).toMatch(new RegExp(`client0\\s+inet ${node.clientIp.replace(/\./g, '\\.')}/30`));
    }
  });

  it('should run a spawned command itself inside the namespace, so signals reach it', async () => {
    const agent = agents[0];
    const pid = agent.child.pid!;
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain('probe-agent.js');
    const nsInode = statSync(`/run/netns/${rig.node(0).ns}`).ino;
    expect(statSync(`/proc/${pid}/ns/net`).ino).toBe(nsInode);
    try {
      process.kill(pid, 'SIGSTOP');
      expect(await stateBecomes(pid, (st) => st === 'T')).toBe('T');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    expect(await stateBecomes(pid, (st) => st !== 'T')).not.toBe('T');
  });

  it('should let every node reach every other on its cluster address, and the test reach every node on its client address', async () => {
    for (const a of rig.nodes)
      for (const b of rig.nodes)
        if (a !== b)
          expect({ from: a.name, to: b.name, ...(await agents[a.index].tcp(b.clusterIp)) }).toMatchObject({
            ok: true,
          });
    for (const node of rig.nodes) expect(await tcpFromTest(node.clientIp)).toBe(true);
  });

  it('should cut a partitioned node off its peers both ways, keep the test reaching it, and restore it on heal', async () => {
    await rig.partition(0);
    try {
      expect((await agents[0].tcp(ip(1), 600)).ok).toBe(false);
      expect((await agents[1].tcp(ip(0), 600)).ok).toBe(false);
      expect((await agents[2].tcp(ip(0), 600)).ok).toBe(false);
      expect((await agents[1].tcp(ip(2))).ok).toBe(true);
      expect(await tcpFromTest(rig.node(0).clientIp)).toBe(true);
    } finally {
      await rig.heal();
    }
    expect((await agents[0].tcp(ip(1))).ok).toBe(true);
    expect((await agents[1].tcp(ip(0))).ok).toBe(true);
    expect(await rig.describeFaults()).toBe('no faults');
  });

  it('should drop what b sends to a and deliver what a sends to b in an asymmetric partition', async () => {
    await rig.asymmetric(0, 1);
    try {
      const before01 = await agents[1].udpReceivedFrom(ip(0));
      const before10 = await agents[0].udpReceivedFrom(ip(1));
      await agents[0].request({ op: 'udp', host: ip(1), port: 7001, count: 100 });
      await agents[1].request({ op: 'udp', host: ip(0), port: 7001, count: 100 });
      expect(await agents[1].udpSettled(ip(0), before01)).toBeGreaterThanOrEqual(98); // a -> b delivered
      expect(await agents[0].udpSettled(ip(1), before10)).toBe(0); // b -> a dropped
      expect((await agents[2].tcp(ip(0))).ok).toBe(true); // the third node is not involved
      expect((await agents[1].tcp(ip(2))).ok).toBe(true);
    } finally {
      await rig.heal();
    }
    const before = await agents[0].udpReceivedFrom(ip(1));
    await agents[1].request({ op: 'udp', host: ip(0), port: 7001, count: 50 });
    expect(await agents[0].udpSettled(ip(1), before)).toBeGreaterThanOrEqual(49);
  });

  it('should add latency with jitter on a wired node and remove it again', async () => {
    const plain = await medianConnectMs(agents[2], ip(0));
    await rig.netem(2, { delayMs: 100, jitterMs: 20 });
    let delayed: number;
    try {
      delayed = await medianConnectMs(agents[2], ip(0));
    } finally {
      await rig.clearNetem(2);
    }
    const after = await medianConnectMs(agents[2], ip(0));
    // relative to the plain connect time, which a busy machine stretches
    expect(delayed - plain).toBeGreaterThanOrEqual(70);
    expect(delayed - plain).toBeLessThan(250);
    expect(after).toBeLessThan(plain + 40);
  });

  it('should lose about the given share of the packets a node sends, and stop when cleared', async () => {
    await rig.netem(0, { lossPct: 30 });
    let received: number;
    try {
      const before = await agents[1].udpReceivedFrom(ip(0));
      await agents[0].request({ op: 'udp', host: ip(1), port: 7001, count: 400 });
      received = await agents[1].udpSettled(ip(0), before);
    } finally {
      await rig.clearNetem(0);
    }
    // 70 % of 400 = 280; binomial sd ≈ 9
    expect(received).toBeGreaterThan(230);
    expect(received).toBeLessThan(330);
    const before = await agents[1].udpReceivedFrom(ip(0));
    await agents[0].request({ op: 'udp', host: ip(1), port: 7001, count: 100 });
    expect(await agents[1].udpSettled(ip(0), before)).toBeGreaterThanOrEqual(98);
  });

  it('should refuse latency on a node without a wire, naming the option', async () => {
    await expect(rig.netem(0, { delayMs: 50 })).rejects.toThrow(/wired/);
  });

  it('should remove everything it created, and what a dead run left behind', async () => {
    let dead = 999999;
    while (dead > 2) {
      try {
        process.kill(dead, 0);
        dead--;
      } catch {
        break;
      }
    }
    const leftoverNs = `dsf${dead}zn1`;
    const leftoverLink = `dsf${dead}zbr`;
    execFileSync('ip', ['netns', 'add', leftoverNs]);
    execFileSync('ip', ['link', 'add', leftoverLink, 'type', 'bridge']);
    expect(NetRig.removeStale()).toEqual(expect.arrayContaining([leftoverNs, leftoverLink]));
    expect(execFileSync('ip', ['netns', 'list']).toString()).not.toContain(leftoverNs);

    const small = await NetRig.create({ nodes: 2, wired: [1] });
    expect(small.leftovers().length).toBeGreaterThan(0);
    small.destroy();
    expect(small.leftovers()).toEqual([]);
    // the rig under test is left alone by removeStale: it belongs to this (live) process
    expect(rig.leftovers().length).toBeGreaterThan(0);
  });
});
