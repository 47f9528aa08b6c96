import { batchError, forEachBounded } from '@/common/bounded';
import { DEFAULT_GROUP } from '@/registry';
import type { ServiceKey } from '@/registry';
import { Exception } from 'node-zookeeper-client';
import type { SourceInstance, TaskSelector } from '../reconcile/copy-plan';
import { ServiceSelector } from '../reconcile/copy-plan';
import { fingerprintOf } from './nacos-v1-source';
import type { ServiceSnapshot, SourceRegistry, SourceWatch } from './source-registry';
import type { ZooKeeperConnection } from './zookeeper-client';
import { isZooKeeperCode } from './zookeeper-client';
import { FENCE_DIR } from './zookeeper-fence';
import type { ZooKeeperLayout } from './zookeeper-layouts';

const CONCURRENCY = 32;
/** A watch whose re-list failed tries again after this long (the connection itself retries sooner). */
const RETRY_MS = 1000;

/** The instance znodes of one root child, read now: service name → instances. */
export type DirContent = Map<string, SourceInstance[]>;

/**
 * Reads a layout: the root's children, and the instances under each. ZooKeeper has no namespaces or
 * groups: every service is reported in the cluster's namespace and `DEFAULT_GROUP`.
 */
export class ZooKeeperReader {
  constructor(
    readonly zk: ZooKeeperConnection,
    readonly layout: ZooKeeperLayout,
    readonly namespace: string,
  ) {}

  keyOf(service: string): ServiceKey {
    return { namespace: this.namespace, group: DEFAULT_GROUP, name: service };
  }

  /** The root's children; none when the root does not exist yet. */
  async dirs(watcher?: () => void): Promise<string[]> {
    const children = await this.children(this.layout.root, watcher);
    // A layout rooted at `/` has distro-sync's fences beside its services: never a service.
    return this.layout.root === '/' ? children.filter((c) => `/${c}` !== FENCE_DIR) : children;
  }

  /** The instances under one root child, by service; empty when the directory does not exist. */
  async readDir(dir: string, watcher?: () => void): Promise<DirContent> {
    const path = this.layout.instancesPath(dir);
    const nodes = await this.children(path, watcher);
    const out: DirContent = new Map();
    const add = (node: string, data: Buffer | undefined): void => {
      const found = this.layout.readInstance(dir, node, data);
      if (!found) return;
      let list = out.get(found.service);
      if (!list) out.set(found.service, (list = []));
      list.push(found.instance);
    };
    if (!this.layout.readsData) {
      for (const node of nodes) add(node, undefined);
      return out;
    }
    const failures = await forEachBounded(nodes, CONCURRENCY, async (node) => {
      try {
        // Curator's updateService changes the data in place: a data watch per instance re-arms with the list.
        add(node, (await this.zk.getData(`${path}/${node}`, watcher)).data);
      } catch (err) {
        // Gone between the list and the read: its removal is the next list's news.
        if (!isZooKeeperCode(err, Exception.NO_NODE)) throw err;
      }
    });
    if (failures.length > 0) throw batchError('znode reads', failures, nodes.length);
    return out;
  }

  /**
   * The children of a path, none when it does not exist; with a watcher, the list's one-shot watch,
   * or for a missing path an existence watch, so its creation is news too.
   */
  private async children(path: string, watcher?: () => void): Promise<string[]> {
    try {
      return await this.zk.getChildren(path, watcher);
    } catch (err) {
      if (!isZooKeeperCode(err, Exception.NO_NODE)) throw err;
    }
    if (watcher && (await this.zk.exists(path, watcher)) !== undefined) watcher();
    return [];
  }
}

/**
 * A ZooKeeper read as a task's source. ZooKeeper watches fire once: every list re-arms its watch
 * before reading, so a change after the list fires again and nothing is missed; after every
 * reconnect, and after a session expiry (which drops every watch), the whole layout is listed again.
 */
export class ZooKeeperSource implements Pick<SourceRegistry, 'snapshot' | 'watch'> {
  private readonly watches = new Set<() => void>();

  constructor(private readonly reader: ZooKeeperReader) {}

  async snapshot(selector: TaskSelector): Promise<ServiceSnapshot[]> {
    const select = new ServiceSelector(selector);
    const dirs = await this.reader.dirs();
    const out: ServiceSnapshot[] = [];
    const failures = await forEachBounded(dirs, CONCURRENCY, async (dir) => {
      for (const [service, instances] of await this.reader.readDir(dir)) {
        const key = this.reader.keyOf(service);
        if (select.matches(key)) out.push({ key, instances });
      }
    });
    if (failures.length > 0) throw batchError('directory reads', failures, dirs.length);
    return out;
  }

  watch(selector: TaskSelector, onService: (s: ServiceSnapshot) => void, onError: (err: Error) => void): SourceWatch {
    const feed = new LayoutWatch(this.reader, new ServiceSelector(selector), onService, onError);
    feed.start();
    const stop = (): void => feed.close();
    this.watches.add(stop);
    return {
      close: () => {
        stop();
        this.watches.delete(stop);
      },
    };
  }

  /** Ends every watch. */
  close(): void {
    for (const stop of this.watches) stop();
    this.watches.clear();
  }
}

/** One refresh at a time per path; a change during a refresh runs it once more after. */
class Serial {
  private running = false;
  private again = false;

  constructor(private readonly work: () => Promise<void>) {}

  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.work()
      .catch(() => undefined)
      .finally(() => {
        this.running = false;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }
}

/** The watch of one task over a whole layout: the root's children, and each child's instances. */
class LayoutWatch {
  private closed = false;
  private readonly dirs = new Map<string, { refresh: Serial; services: Map<string, string> }>();
  private readonly root: Serial;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly offs: Array<() => void> = [];

  constructor(
    private readonly reader: ZooKeeperReader,
    private readonly select: ServiceSelector,
    private readonly onService: (s: ServiceSnapshot) => void,
    private readonly onError: (err: Error) => void,
  ) {
    this.root = new Serial(() => this.refreshRoot());
  }

  start(): void {
    // Same session again: the library restores watches, but changes while away are read anyway.
    // A new session (the last one expired): every watch is gone; listing again re-arms them all.
    const resync = (): void => this.resync();
    this.reader.zk.on('reconnected', resync);
    this.reader.zk.on('session', resync);
    this.offs.push(() => this.reader.zk.off('reconnected', resync));
    this.offs.push(() => this.reader.zk.off('session', resync));
    this.root.kick();
  }

  close(): void {
    this.closed = true;
    for (const off of this.offs) off();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private resync(): void {
    if (this.closed) return;
    this.root.kick();
    for (const d of this.dirs.values()) d.refresh.kick();
  }

  private async refreshRoot(): Promise<void> {
    if (this.closed) return;
    let children: string[];
    try {
      children = await this.reader.dirs(() => this.root.kick());
    } catch (err) {
      return this.failed(err, () => this.root.kick());
    }
    if (this.closed) return;
    const listed = new Set(children);
    for (const dir of children) {
      if (this.dirs.has(dir)) continue;
      const entry = { refresh: new Serial(() => this.refreshDir(dir)), services: new Map<string, string>() };
      this.dirs.set(dir, entry);
      entry.refresh.kick();
    }
    for (const [dir, entry] of this.dirs) {
      if (listed.has(dir)) continue;
      this.dirs.delete(dir);
      for (const service of entry.services.keys()) this.emit(service, []);
    }
  }

  private async refreshDir(dir: string): Promise<void> {
    const entry = this.dirs.get(dir);
    if (this.closed || !entry) return;
    const kick = (): void => this.dirs.get(dir)?.refresh.kick();
    let content: DirContent;
    try {
      // The directory's list re-arms its watch (and the data watches of its instances).
      content = await this.reader.readDir(dir, kick);
    } catch (err) {
      return this.failed(err, kick);
    }
    if (this.closed || this.dirs.get(dir) !== entry) return;
    for (const [service, instances] of content) {
      const fingerprint = fingerprintOf(instances);
      if (entry.services.get(service) === fingerprint) continue;
      entry.services.set(service, fingerprint);
      this.emit(service, instances);
    }
    for (const service of [...entry.services.keys()]) {
      if (content.has(service)) continue;
      entry.services.delete(service);
      this.emit(service, []);
    }
  }

  private emit(service: string, instances: SourceInstance[]): void {
    const key = this.reader.keyOf(service);
    if (!this.closed && this.select.matches(key)) this.onService({ key, instances });
  }

  private failed(err: unknown, retry: () => void): void {
    if (this.closed) return;
    this.onError(err instanceof Error ? err : new Error(String(err)));
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      retry();
    }, RETRY_MS);
    this.timers.add(timer);
  }
}
