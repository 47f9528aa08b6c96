import { execFile, execFileSync, spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

/**
 * The network rig of the fault suite: one network namespace per node, like pods.
 *
 * Each node's namespace has two links:
 * - `cluster0`, its address on the shared cluster bridge (10.X.Y.<i+1>/24): all peer (Distro)
 *   traffic, and the only link faults act on;
 * - `client0`, a point-to-point veth to the root namespace (10.X.Y+1.<4i+2>/30): the test's own
 *   HTTP traffic, never faulted, so the test can write to and read from a node that is cut off.
 * The root namespace has 10.X.Y.254 on the bridge (the rig's own checks) and 10.X.Y+1.<4i+1> on each
 * client link.
 *
 * Faults are tc filters on `cluster0` inside the node's namespace. This kernel has neither netem nor
 * the gact action (`action drop`), so drops are classic-BPF filters in direct-action mode returning
 * TC_ACT_SHOT, random loss uses BPF's random ancillary load, and latency needs a cable in user space
 * (`wire.py`): a node named in `wired` gets a pair of TAP devices bridged by that process instead of
 * a veth pair.
 *
 * Every name starts with `dsf<pid><tag>` (tag a, b, … per rig of the process); what a crashed run left
 * behind (its pid no longer a node process) is removed when a rig is created.
 */

const pexec = promisify(execFile);

export const CLUSTER_IF = 'cluster0';
export const CLIENT_IF = 'client0';
const WIRE = resolve(__dirname, 'wire.py');
const NAME = /^dsf(\d+)([a-z]+)/;

/** tc's action codes a direct-action BPF filter returns. */
const TC_ACT_OK = 0;
const TC_ACT_SHOT = 2;
/** Classic BPF: `ret #k`, `ldh [k]`, `ld [k]`, `jeq #k`, `jgt #k`; `ld rand` is the ancillary load SKF_AD_OFF + SKF_AD_RANDOM. */
const BPF = { ret: 0x06, ldh: 0x28, ld: 0x20, jeq: 0x15, jgt: 0x25, rand: 0x100000000 - 0x1000 + 56 };
/** Filter preferences on cluster0: one per kind of fault, so each is removed without touching the others. */
const PREF = { partition: 1, asymmetric: 10, loss: 40 };

export interface RigNode {
  index: number;
  /** n1, n2, … */
  name: string;
  ns: string;
  /** Its address on the cluster bridge: peers (Distro) use it. */
  clusterIp: string;
  /** Its address on its own link to the root namespace: the test talks to it there. */
  clientIp: string;
  /** Its cluster link is a user-space cable that can add latency. */
  wired: boolean;
}

export interface NetemOptions {
  /** Added to every frame the node sends on its cluster link (needs a wired node). */
  delayMs?: number;
  /** Uniform ± around delayMs. */
  jitterMs?: number;
  /** Percentage of packets the node sends on its cluster link that are dropped. */
  lossPct?: number;
}

export interface RigOptions {
  nodes: number;
  /** Indexes of nodes whose cluster link must be able to take latency (see wire.py). */
  wired?: number[];
}

interface Wire {
  proc: ChildProcess;
  lines: string[];
  waiters: Array<() => void>;
}

/** Why this machine cannot run the rig, or undefined when it can. Checked before anything is created. */
export function rigPrerequisiteProblem(needsWire: boolean): string | undefined {
  const problems: string[] = [];
  if (process.platform !== 'linux') problems.push(`platform is ${process.platform}, not linux`);
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    problems.push(`not root (uid ${process.getuid()}): network namespaces, veths and tc need root`);
  for (const [cmd, args] of [
    ['ip', ['netns', 'list']],
    ['tc', ['-V']],
  ] as const) {
    try {
      execFileSync(cmd, [...args], { stdio: 'pipe' });
    } catch (error) {
      problems.push(`\`${cmd} ${args.join(' ')}\` failed: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  if (needsWire) {
    if (!existsSync('/dev/net/tun')) problems.push('no /dev/net/tun (a wired node needs TAP devices)');
    try {
      execFileSync('python3', ['-c', 'import fcntl, select, heapq'], { stdio: 'pipe' });
    } catch {
      problems.push('no python3 (a wired node needs it to run test/faults/wire.py)');
    }
  }
  if (problems.length === 0) return undefined;
  return (
    'The Distro fault suite cannot run on this machine — it needs root, Linux network namespaces and iproute2 ' +
    `(ip netns, veth, bridge, tc clsact + bpf). It fails instead of skipping:\n  - ${problems.join('\n  - ')}`
  );
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

function overlaps(a: string, aLen: number, b: string, bLen: number): boolean {
  const block = 2 ** (32 - Math.min(aLen, bLen));
  return Math.floor(ipToInt(a) / block) === Math.floor(ipToInt(b) / block);
}

/** `ret #action` for every frame. */
function bpfAll(action: number): string {
  return `1,${BPF.ret} 0 0 ${action}`;
}

/** Drops IPv4 packets to `ip`, passes everything else (ARP too, so the other direction keeps working). */
function bpfDropIpv4To(ip: string): string {
  // 0: ldh [12] (ethertype)  1: jeq 0x0800 ? 2 : 5  2: ld [30] (IPv4 destination)  3: jeq ip ? 4 : 5  4: drop  5: pass
  return [
    6,
    `${BPF.ldh} 0 0 12`,
    `${BPF.jeq} 0 3 ${0x0800}`,
    `${BPF.ld} 0 0 30`,
    `${BPF.jeq} 0 1 ${ipToInt(ip)}`,
    `${BPF.ret} 0 0 ${TC_ACT_SHOT}`,
    `${BPF.ret} 0 0 ${TC_ACT_OK}`,
  ].join(',');
}

/** Drops a random `pct` % of frames. */
function bpfLoss(pct: number): string {
  const threshold = Math.min(2 ** 32 - 1, Math.floor((1 - pct / 100) * 2 ** 32));
  return [
    4,
    `${BPF.ld} 0 0 ${BPF.rand}`,
    `${BPF.jgt} 0 1 ${threshold}`,
    `${BPF.ret} 0 0 ${TC_ACT_SHOT}`,
    `${BPF.ret} 0 0 ${TC_ACT_OK}`,
  ].join(',');
}

function processIsNode(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('node');
  } catch {
    return false;
  }
}

function quietSync(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 10000 }).toString();
  } catch {
    return '';
  }
}

function killNamespaceProcesses(ns: string): void {
  for (const pid of quietSync('ip', ['netns', 'pids', ns]).split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Waits (blocking: it also runs from an exit handler) until a process has exited (gone or a zombie). */
function waitGoneSync(pid: number, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (Date.now() < deadline) {
    let state: string | undefined;
    try {
      state = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '')[0];
    } catch {
      return;
    }
    if (state === 'Z' || state === 'X') return;
    Atomics.wait(pause, 0, 0, 10);
  }
}

let rigCounter = 0;

export class NetRig {
  readonly prefix: string;
  readonly nodes: RigNode[] = [];
  /** 10.X.Y.254 on the bridge. */
  readonly bridgeIp: string;
  private readonly bridge: string;
  private readonly rootLinks: string[] = [];
  private readonly children = new Set<ChildProcess>();
  private readonly wires = new Map<number, Wire>();
  private readonly partitioned = new Set<number>();
  private readonly asymmetricPairs: Array<[number, number]> = [];
  private readonly lossy = new Set<number>();
  private destroyed = false;
  private readonly onExit = (): void => this.destroy();
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    this.destroy();
    process.kill(process.pid, signal);
  };

  private constructor(
    readonly options: RigOptions,
    private readonly net: { a: number; b: number },
  ) {
    let n = rigCounter++;
    let tag = '';
    do {
      tag = String.fromCharCode(97 + (n % 26)) + tag;
      n = Math.floor(n / 26) - 1;
    } while (n >= 0);
    this.prefix = `dsf${process.pid}${tag}`;
    this.bridge = `${this.prefix}br`;
    this.bridgeIp = `10.${net.a}.${net.b}.254`;
    for (let i = 0; i < options.nodes; i++) {
      this.nodes.push({
        index: i,
        name: `n${i + 1}`,
        ns: `${this.prefix}n${i + 1}`,
        clusterIp: `10.${net.a}.${net.b}.${i + 1}`,
        clientIp: `10.${net.a}.${net.b + 1}.${4 * i + 2}`,
        wired: (options.wired ?? []).includes(i),
      });
    }
  }

  /** Creates the namespaces, links and bridge; throws a clear error when the machine cannot. */
  static async create(options: RigOptions): Promise<NetRig> {
    if (options.nodes < 1 || options.nodes > 60) throw new Error('the rig takes 1 to 60 nodes');
    const problem = rigPrerequisiteProblem((options.wired ?? []).length > 0);
    if (problem) throw new Error(problem);
    NetRig.removeStale();
    const rig = new NetRig(options, NetRig.pickSubnet());
    process.once('exit', rig.onExit);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, rig.onSignal);
    try {
      await rig.build();
    } catch (error) {
      rig.destroy();
      throw new Error(
        `fault rig: building the network failed (the rig, not the registry, is broken): ${(error as Error).message}`,
        { cause: error },
      );
    }
    return rig;
  }

  /** Removes namespaces, links and their processes left by an earlier run whose process is gone. */
  static removeStale(): string[] {
    const removed: string[] = [];
    const stale = (name: string): boolean => {
      const m = NAME.exec(name);
      return m !== null && Number(m[1]) !== process.pid && !processIsNode(Number(m[1]));
    };
    for (const line of quietSync('ip', ['netns', 'list']).split('\n')) {
      const ns = line.split(' ')[0];
      if (!ns || !stale(ns)) continue;
      killNamespaceProcesses(ns);
      quietSync('ip', ['netns', 'del', ns]);
      removed.push(ns);
    }
    for (const line of quietSync('ip', ['-o', 'link', 'show']).split('\n')) {
      const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
      if (!name || !stale(name)) continue;
      quietSync('ip', ['link', 'del', name]);
      removed.push(name);
    }
    return removed;
  }

  /** 10.a.b.0/24 and 10.a.b+1.0/24 that no address or route of the root namespace overlaps. */
  private static pickSubnet(): { a: number; b: number } {
    const used: Array<[string, number]> = [];
    const text =
      quietSync('ip', ['-4', '-o', 'addr', 'show']) + quietSync('ip', ['-4', 'route', 'show', 'table', 'all']);
    for (const m of text.matchAll(/(\d+\.\d+\.\d+\.\d+)(?:\/(\d+))?/g)) used.push([m[1], Number(m[2] ?? 32)]);
    const slots = 50 * 127;
    for (let k = 0; k < slots; k++) {
      const slot = (process.pid * 7 + rigCounter * 131 + k) % slots;
      const a = 200 + Math.floor(slot / 127);
      const b = (slot % 127) * 2;
      if (!used.some(([ip, len]) => len > 0 && overlaps(ip, len, `10.${a}.${b}.0`, 23))) return { a, b };
    }
    throw new Error('fault rig: no free 10.200-249.x.0/23 subnet');
  }

  private async ip(...args: string[]): Promise<void> {
    await pexec('ip', args, { timeout: 10000 });
  }

  private async tc(node: RigNode, ...args: string[]): Promise<void> {
    try {
      await pexec('tc', ['-n', node.ns, ...args], { timeout: 10000 });
    } catch (error) {
      throw new Error(`fault rig: tc ${args.join(' ')} in ${node.ns} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  private async build(): Promise<void> {
    await this.ip('link', 'add', this.bridge, 'type', 'bridge');
    this.rootLinks.push(this.bridge);
    await this.ip('addr', 'add', `${this.bridgeIp}/24`, 'dev', this.bridge);
    await this.ip('link', 'set', this.bridge, 'up');
    for (const node of this.nodes) {
      await this.ip('netns', 'add', node.ns);
      await this.ip('-n', node.ns, 'link', 'set', 'lo', 'up');
      // client link: a point-to-point veth to the root namespace
      const clientRoot = `${this.prefix}${node.index + 1}h`;
      await this.ip('link', 'add', clientRoot, 'type', 'veth', 'peer', 'name', CLIENT_IF, 'netns', node.ns);
      this.rootLinks.push(clientRoot);
      await this.ip('addr', 'add', `10.${this.net.a}.${this.net.b + 1}.${4 * node.index + 1}/30`, 'dev', clientRoot);
      await this.ip('link', 'set', clientRoot, 'up');
      await this.ip('-n', node.ns, 'addr', 'add', `${node.clientIp}/30`, 'dev', CLIENT_IF);
      await this.ip('-n', node.ns, 'link', 'set', CLIENT_IF, 'up');
      // cluster link: a veth (or a user-space wire of two TAPs) onto the bridge
      const clusterRoot = `${this.prefix}${node.index + 1}c`;
      if (node.wired) {
        const nodeTap = `${this.prefix}${node.index + 1}t`;
        await this.startWire(node.index, nodeTap, clusterRoot);
        await this.ip('link', 'set', nodeTap, 'netns', node.ns);
        await this.ip('-n', node.ns, 'link', 'set', nodeTap, 'name', CLUSTER_IF);
      } else {
        await this.ip('link', 'add', clusterRoot, 'type', 'veth', 'peer', 'name', CLUSTER_IF, 'netns', node.ns);
        this.rootLinks.push(clusterRoot);
      }
      await this.ip('link', 'set', clusterRoot, 'master', this.bridge);
      await this.ip('link', 'set', clusterRoot, 'up');
      await this.ip('-n', node.ns, 'addr', 'add', `${node.clusterIp}/24`, 'dev', CLUSTER_IF);
      await this.ip('-n', node.ns, 'link', 'set', CLUSTER_IF, 'up');
      await this.tc(node, 'qdisc', 'add', 'dev', CLUSTER_IF, 'clsact');
    }
  }

  private async startWire(index: number, nodeTap: string, bridgeTap: string): Promise<void> {
    const proc = spawn('python3', [WIRE, nodeTap, bridgeTap], { stdio: ['pipe', 'pipe', 'pipe'] });
    const wire: Wire = { proc, lines: [], waiters: [] };
    this.wires.set(index, wire);
    let stderr = '';
    proc.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.stdout?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        wire.lines.push(line);
        wire.waiters.shift()?.();
      }
    });
    await new Promise<void>((resolveReady, rejectReady) => {
      const timer = setTimeout(() => rejectReady(new Error(`wire.py not ready in 5 s: ${stderr}`)), 5000);
      wire.waiters.push(() => {
        clearTimeout(timer);
        resolveReady();
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        rejectReady(new Error(`wire.py exited (${code}): ${stderr}`));
      });
    });
  }

  private async tellWire(index: number, command: Record<string, number>): Promise<void> {
    const wire = this.wires.get(index);
    if (!wire)
      throw new Error(`fault rig: ${this.nodes[index].name} has no wire (create the rig with wired: [${index}])`);
    await new Promise<void>((resolveOk, rejectOk) => {
      const timer = setTimeout(() => rejectOk(new Error('wire.py did not answer in 2 s')), 2000);
      wire.waiters.push(() => {
        clearTimeout(timer);
        resolveOk();
      });
      wire.proc.stdin?.write(`${JSON.stringify(command)}\n`);
    });
  }

  node(index: number): RigNode {
    const node = this.nodes[index];
    if (!node) throw new Error(`fault rig: no node ${index}`);
    return node;
  }

  /** Runs `command args` inside the node's namespace (`ip netns exec` execs it: the child's pid is the command's). */
  spawn(index: number, command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.node(index).ns, command, ...args], options);
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Cuts the node's cluster link both ways: every frame it sends or receives there is dropped. */
  async partition(index: number): Promise<void> {
    const node = this.node(index);
    if (this.partitioned.has(index)) return;
    for (const dir of ['egress', 'ingress'])
      await this.tc(
        node,
        'filter',
        'add',
        'dev',
        CLUSTER_IF,
        dir,
        'pref',
        String(PREF.partition),
        'bpf',
        'da',
        'bytecode',
        bpfAll(TC_ACT_SHOT),
      );
    this.partitioned.add(index);
  }

  /** Packets from `b` to `a` are dropped (on b's cluster egress); packets from `a` to `b` are delivered. */
  async asymmetric(a: number, b: number): Promise<void> {
    const target = this.node(a);
    const from = this.node(b);
    if (this.asymmetricPairs.some(([x, y]) => x === a && y === b)) return;
    await this.tc(
      from,
      'filter',
      'add',
      'dev',
      CLUSTER_IF,
      'egress',
      'pref',
      String(PREF.asymmetric + a),
      'bpf',
      'da',
      'bytecode',
      bpfDropIpv4To(target.clusterIp),
    );
    this.asymmetricPairs.push([a, b]);
  }

  /** Ends every partition and asymmetric cut (not netem). */
  async heal(): Promise<void> {
    for (const index of [...this.partitioned]) {
      for (const dir of ['egress', 'ingress'])
        await this.tc(this.node(index), 'filter', 'del', 'dev', CLUSTER_IF, dir, 'pref', String(PREF.partition));
      this.partitioned.delete(index);
    }
    while (this.asymmetricPairs.length > 0) {
      const [a, b] = this.asymmetricPairs.pop()!;
      await this.tc(this.node(b), 'filter', 'del', 'dev', CLUSTER_IF, 'egress', 'pref', String(PREF.asymmetric + a));
    }
  }

  /** Latency (wired nodes) and loss on what the node sends on its cluster link, as netem on its interface would. */
  async netem(index: number, options: NetemOptions): Promise<void> {
    const node = this.node(index);
    if ((options.delayMs ?? 0) > 0 || (options.jitterMs ?? 0) > 0 || this.wires.has(index))
      await this.tellWire(index, { delayMs: options.delayMs ?? 0, jitterMs: options.jitterMs ?? 0 });
    if (this.lossy.has(index)) {
      await this.tc(node, 'filter', 'del', 'dev', CLUSTER_IF, 'egress', 'pref', String(PREF.loss));
      this.lossy.delete(index);
    }
    const loss = options.lossPct ?? 0;
    if (loss > 0) {
      await this.tc(
        node,
        'filter',
        'add',
        'dev',
        CLUSTER_IF,
        'egress',
        'pref',
        String(PREF.loss),
        'bpf',
        'da',
        'bytecode',
        bpfLoss(loss),
      );
      this.lossy.add(index);
    }
  }

  async clearNetem(index: number): Promise<void> {
    await this.netem(index, {});
  }

  /** The filters on each node's cluster link, for reports. */
  async describeFaults(): Promise<string> {
    const lines: string[] = [];
    for (const node of this.nodes) {
      for (const dir of ['egress', 'ingress']) {
        const { stdout } = await pexec('tc', ['-n', node.ns, 'filter', 'show', 'dev', CLUSTER_IF, dir]);
        const prefs = [...stdout.matchAll(/pref (\d+) bpf/g)].map((m) => m[1]);
        if (prefs.length > 0) lines.push(`${node.name} ${dir}: bpf filters pref ${[...new Set(prefs)].join(',')}`);
      }
    }
    return lines.join('\n') || 'no faults';
  }

  /** Kills what runs in the namespaces and removes namespaces, links and the bridge. Safe to call twice. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    process.removeListener('exit', this.onExit);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeListener(signal, this.onSignal);
    for (const child of this.children) child.kill('SIGKILL');
    // a wire's TAPs go when its process does; wait for that before the namespaces go
    for (const wire of this.wires.values()) wire.proc.kill('SIGKILL');
    for (const wire of this.wires.values()) if (wire.proc.pid) waitGoneSync(wire.proc.pid, 3000);
    for (const node of this.nodes) {
      killNamespaceProcesses(node.ns);
      quietSync('ip', ['netns', 'del', node.ns]);
    }
    for (const link of this.rootLinks.reverse()) quietSync('ip', ['link', 'del', link]);
    // anything else of this rig (a TAP whose wire died, a half-built node)
    for (const line of quietSync('ip', ['-o', 'link', 'show']).split('\n')) {
      const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
      if (name?.startsWith(this.prefix)) quietSync('ip', ['link', 'del', name]);
    }
  }

  /** Names of this rig's namespaces and root links that still exist (empty after destroy). */
  leftovers(): string[] {
    const names = [
      ...quietSync('ip', ['netns', 'list'])
        .split('\n')
        .map((l) => l.split(' ')[0] ?? ''),
      ...quietSync('ip', ['-o', 'link', 'show'])
        .split('\n')
        .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? ''),
    ];
    return names.filter((n) => n.startsWith(this.prefix));
  }
}
