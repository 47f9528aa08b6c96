import { promises as dns } from 'node:dns';

export interface DnsLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** Errors meaning "the name has no address now" (e.g. a headless Service without ready pods). */
const EMPTY_ANSWER = new Set(['ENOTFOUND', 'ENODATA']);

/**
 * Members from DNS: re-resolves a (Kubernetes headless Service) name every `refreshMs` and reports
 * `ip:port` for each A record. A failing lookup keeps the last answer, so a DNS hiccup never
 * empties the cluster; an answer with no records does.
 */
export class DnsMembership {
  private timer: NodeJS.Timeout | undefined;
  private last: string[] | undefined;
  private readonly resolver: dns.Resolver | undefined;
  private readonly host: string;
  private readonly port: number;

  constructor(
    name: string,
    defaultPort: number,
    private readonly refreshMs: number,
    server: string | undefined,
    private readonly onMembers: (members: string[]) => void,
    private readonly log: DnsLog,
  ) {
    const at = name.lastIndexOf(':');
    this.host = at > 0 ? name.slice(0, at) : name;
    this.port = at > 0 ? Number(name.slice(at + 1)) : defaultPort;
    if (server) {
      // A resolver of our own (tests, or a DNS server other than the system's): one quick try per round.
      this.resolver = new dns.Resolver({ timeout: Math.min(2000, refreshMs), tries: 1 });
      this.resolver.setServers([server]);
    }
  }

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Resolves once and reports the members when the answer changed. */
  async refresh(): Promise<void> {
    let ips: string[];
    try {
      ips = this.resolver
        ? await this.resolver.resolve4(this.host)
        : (await dns.lookup(this.host, { all: true, family: 4 })).map((a) => a.address);
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      if (!EMPTY_ANSWER.has(code)) {
        this.log.warn(
          { name: this.host, err: String(error) },
          `Distro DNS lookup of ${this.host} failed; keeping the last members`,
        );
        return;
      }
      ips = [];
    }
    const members = [...new Set(ips)].sort().map((ip) => `${ip}:${this.port}`);
    if (this.last && members.join(',') === this.last.join(',')) return;
    this.last = members;
    this.log.info({ name: this.host, members }, `Distro DNS ${this.host} answers ${members.length} members`);
    this.onMembers(members);
  }
}
