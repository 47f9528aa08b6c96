import type { RegistryAdapter } from './registry-adapter';
import { timedCheck } from './registry-endpoint';
import type { ReachabilityReport } from './registry-endpoint';
import { ZooKeeperConnection, fourLetterWord } from './zookeeper-client';
import type { ZooKeeperSettings } from './zookeeper-client';
import { zooKeeperLayout } from './zookeeper-layouts';
import type { ZooKeeperLayoutName } from './zookeeper-layouts';
import { ZooKeeperReader, ZooKeeperSource } from './zookeeper-source';
import { ZooKeeperTarget } from './zookeeper-target';

export interface ZooKeeperAdapterSettings extends ZooKeeperSettings {
  layout: ZooKeeperLayoutName;
  /** Root path; the layout's default (`/dubbo`, `/services`) when null. */
  prefix?: string | null;
  /** The Nacos namespace its services are reported in (ZooKeeper has none). */
  namespace: string;
}

/**
 * A ZooKeeper cluster in both roles over one session: read as a source with one-shot watches
 * re-armed at each list (ZooKeeperSource), written as a target with ephemeral copies of the
 * session (ZooKeeperTarget), in one of the layouts of zookeeper-layouts.ts.
 */
export class ZooKeeperAdapter implements RegistryAdapter {
  private readonly zk: ZooKeeperConnection;
  private readonly reader: ZooKeeperReader;
  private readonly source: ZooKeeperSource;
  private readonly target: ZooKeeperTarget;

  constructor(private readonly settings: ZooKeeperAdapterSettings) {
    this.zk = new ZooKeeperConnection(settings);
    this.reader = new ZooKeeperReader(this.zk, zooKeeperLayout(settings.layout, settings.prefix), settings.namespace);
    this.source = new ZooKeeperSource(this.reader);
    this.target = new ZooKeeperTarget(this.reader);
  }

  snapshot: RegistryAdapter['snapshot'] = (selector) => this.source.snapshot(selector);
  watch: RegistryAdapter['watch'] = (selector, onService, onError) => this.source.watch(selector, onService, onError);
  applyCopies: RegistryAdapter['applyCopies'] = (owner, services) => this.target.applyCopies(owner, services);
  renewCopies: RegistryAdapter['renewCopies'] = (owner) => this.target.renewCopies(owner);
  withdrawCopies: RegistryAdapter['withdrawCopies'] = (owner) => this.target.withdrawCopies(owner);
  listCopies: RegistryAdapter['listCopies'] = (owner) => this.target.listCopies(owner);

  /**
   * The server's version (its `srvr` answer), then through a session: whether the layout's root
   * exists, and how many services and instances it holds as this layout reads them.
   */
  check(): Promise<ReachabilityReport> {
    const layout = this.reader.layout;
    return timedCheck(async () => {
      await this.zk.ready();
      const version = await this.serverVersion();
      const root = await this.zk.exists(layout.root);
      let services = 0;
      let instances = 0;
      if (root) {
        for (const dir of await this.reader.dirs()) {
          for (const list of (await this.reader.readDir(dir)).values()) {
            services++;
            instances += list.length;
          }
        }
      }
      return {
        version,
        protocol: 'zookeeper',
        layout: layout.name,
        root: `${this.zk.chroot}${layout.root === '/' ? '' : layout.root}` || '/',
        layoutFound: services > 0,
        services,
        instances,
        sessionTimeoutMs: this.zk.sessionTimeoutMs,
      };
    });
  }

  /**
   * Ends the watches. A session that holds copies is left, not closed: its ephemeral copies stay
   * until the server times it out, time for the next holder to take them over (closing is not
   * withdrawing). Any other session is closed.
   */
  async close(): Promise<void> {
    this.source.close();
    if (this.target.holdsCopies) this.zk.abandon();
    else await this.zk.close();
  }

  private async serverVersion(): Promise<string> {
    const failures: string[] = [];
    for (const host of this.zk.hosts.split(',')) {
      try {
        const answer = await fourLetterWord(host, 'srvr', this.settings.requestTimeoutMs ?? 5000);
        // Builds without git metadata (Debian's) leave Maven's placeholder in: `3.8.0-${mvngit.commit.id}`.
        const version = /Zookeeper version: ([^\s,]+)/.exec(answer)?.[1]?.replace(/-\$\{[^}]*\}$/, '');
        if (version) return `zookeeper ${version} via ${host}`;
        failures.push(`${host}: ${answer.trim().slice(0, 120) || 'no answer to srvr'}`);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
    return `zookeeper (version unknown: ${failures.join('; ')})`;
  }
}
