import { cpus, freemem, loadavg, totalmem } from 'node:os';
import type { CpuInfo } from 'node:os';
import { Injectable } from '@nestjs/common';

/** What `os` tells about the machine, behind a class so the metrics can be tested with fixed values. */
export interface HostProbe {
  cpus(): Array<Pick<CpuInfo, 'times'>>;
  loadavg(): number[];
  freemem(): number;
  totalmem(): number;
}

const OS_PROBE: HostProbe = { cpus, loadavg, freemem, totalmem };

/**
 * The machine figures of Nacos's metrics (EnvUtil): `cpu` the share of CPU time the whole machine
 * was busy since the previous reading (the first reading: since boot), 0–1; `load` the one-minute
 * load average; `mem` the share of physical memory in use, 0–1.
 */
@Injectable()
export class HostLoad {
  private last: { busy: number; total: number } | undefined;
  private probe: HostProbe = OS_PROBE;

  /** A HostLoad reading `probe` instead of the machine (for tests). */
  static of(probe: HostProbe): HostLoad {
    const load = new HostLoad();
    load.probe = probe;
    return load;
  }

  cpu(): number {
    let busy = 0;
    let total = 0;
    for (const { times } of this.probe.cpus()) {
      const sum = times.user + times.nice + times.sys + times.idle + times.irq;
      total += sum;
      busy += sum - times.idle;
    }
    const previous = this.last ?? { busy: 0, total: 0 };
    this.last = { busy, total };
    const elapsed = total - previous.total;
    return elapsed > 0 ? round((busy - previous.busy) / elapsed) : 0;
  }

  load(): number {
    return round(this.probe.loadavg()[0] ?? 0);
  }

  mem(): number {
    const total = this.probe.totalmem();
    return total > 0 ? round(1 - this.probe.freemem() / total) : 0;
  }
}

/** Four decimals, as much as a Java float carries usefully. */
function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
