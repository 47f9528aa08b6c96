import type { NodeStatus, RegionStatus, TaskStatus } from './region-status';

const NARRATION_LINES = 16;

const ansi = {
  green: (s: string) => `\x1b[32m${s}\x1b[0m`,
  red: (s: string) => `\x1b[31m${s}\x1b[0m`,
  yellow: (s: string) => `\x1b[33m${s}\x1b[0m`,
  bold: (s: string) => `\x1b[1m${s}\x1b[0m`,
  dim: (s: string) => `\x1b[2m${s}\x1b[0m`,
};
const plain = { green: String, red: String, yellow: String, bold: String, dim: String };

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

function num(n: number | undefined): string {
  return n === undefined ? '-' : String(n);
}

/**
 * The demo's terminal view. On a TTY the whole frame is redrawn in place every second, with the
 * narration under it; otherwise (CI, pipes) each second prints one compact line and each narration
 * line is printed once as it happens.
 */
export class LiveView {
  private readonly started = Date.now();
  private readonly narration: string[] = [];
  private readonly c: typeof ansi;
  private framed = false;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly header: string[],
  ) {
    this.c = out.isTTY ? ansi : plain;
  }

  get tty(): boolean {
    return this.out.isTTY === true;
  }

  elapsed(): string {
    return clock(Date.now() - this.started);
  }

  /** Adds a narration line; `last` prints it under the frame too (no frame follows it). */
  narrate(text: string, last = false): void {
    const line = `${this.elapsed()}  ${text}`;
    this.narration.push(line);
    if (this.narration.length > NARRATION_LINES) this.narration.shift();
    // Before the first frame (regions still starting) a terminal shows narration as plain lines too.
    if (!this.tty) this.out.write(`>> ${line}\n`);
    else if (last || !this.framed) this.out.write(`${line}\n`);
  }

  /** Draws one frame; `progress` (0..1) shows the initial-sync bar while it is defined. */
  update(regions: RegionStatus[], progress: number | undefined): void {
    if (!this.tty) {
      this.out.write(`${this.compact(regions, progress)}\n`);
      return;
    }
    const lines = [...this.header.map((h) => this.c.bold(h)), ''];
    for (const r of regions) lines.push(...this.regionBlock(r), '');
    if (progress !== undefined) lines.push(this.progressBar(progress), '');
    lines.push(this.c.bold('what happens'), ...this.narration.map((n) => ` ${n}`));
    // First frame clears the screen; later ones go home and overwrite, clearing what is left below.
    this.out.write(`${this.framed ? '\x1b[H' : '\x1b[2J\x1b[H'}${lines.map((l) => `${l}\x1b[K`).join('\n')}\n\x1b[J`);
    this.framed = true;
  }

  private regionBlock(r: RegionStatus): string[] {
    const c = this.c;
    const rows = [
      c.bold(`REGION ${r.name.toUpperCase()}`),
      c.dim(' node  pid      process   distro        peers  natives  copies  restarts'),
      ...r.nodes.map((n) => this.nodeRow(n)),
      ` ${this.taskLine(r.task)}`,
      ` content: ${r.consistent ? c.green('same on every running node') : c.yellow('nodes differ (converging)')}`,
    ];
    return rows;
  }

  private nodeRow(n: NodeStatus): string {
    const c = this.c;
    const proc =
      n.process === 'up'
        ? c.green('up'.padEnd(9))
        : n.process === 'stopped'
          ? c.red('stopped'.padEnd(9))
          : c.yellow(n.process.padEnd(9));
    const distro = n.distro === undefined ? '-' : n.distro;
    const peers = n.membersTotal === undefined ? '-' : `${n.membersUp}/${n.membersTotal}`;
    return ` ${n.name.padEnd(5)} ${num(n.pid).padEnd(8)} ${proc} ${distro.padEnd(13)} ${peers.padEnd(6)} ${num(n.natives).padStart(7)} ${num(n.copies).padStart(7)}  ${String(n.restarts).padStart(8)}`;
  }

  private taskLine(t: TaskStatus): string {
    const c = this.c;
    if (!t.view) return `task ${t.label}: ${t.error ? c.red(t.error.slice(0, 80)) : c.red(t.owner)}`;
    const v = t.view;
    const reach = (ok: boolean | null, side: string): string =>
      ok === null ? `${side} ?` : ok ? c.green(`${side} reachable`) : c.red(`${side} unreachable`);
    const parts = [
      `task ${c.bold(t.label)}`,
      `owner ${t.owner}`,
      `applied ${v.applied}/${v.desired}`,
      `lag ${v.lagMs === null ? '-' : `${v.lagMs} ms`}`,
      reach(v.sourceReachable, 'source'),
      reach(v.targetReachable, 'target'),
    ];
    if (v.hold) parts.push(c.yellow(`holding ${v.hold.wouldDelete}/${v.hold.total} deletions`));
    return parts.join('  ');
  }

  private progressBar(progress: number): string {
    const width = 40;
    const done = Math.round(Math.max(0, Math.min(1, progress)) * width);
    return `initial sync  [${this.c.green('#'.repeat(done))}${'-'.repeat(width - done)}] ${Math.floor(progress * 100)}%`;
  }

  private compact(regions: RegionStatus[], progress: number | undefined): string {
    const region = (r: RegionStatus): string => {
      const nodes = r.nodes
        .map((n) =>
          n.process === 'up'
            ? `${n.name} ${n.distro ?? '?'} ${num(n.natives)}+${num(n.copies)}`
            : `${n.name} ${n.process}`,
        )
        .join(', ');
      const t = r.task.view;
      const task = t
        ? `${r.task.label} ${t.applied}/${t.desired} lag ${t.lagMs ?? '-'}ms owner ${r.task.owner} src ${t.sourceReachable === false ? 'DOWN' : 'ok'}${t.hold ? ` hold ${t.hold.wouldDelete}` : ''}`
        : `${r.task.label} ${r.task.owner}`;
      return `${r.name.toUpperCase()}[${nodes}] ${task}`;
    };
    const bar = progress === undefined ? '' : ` sync ${Math.floor(progress * 100)}%`;
    return `${this.elapsed()} ${regions.map(region).join(' | ')}${bar}`;
  }
}
