import { formatServiceKey } from '@/registry';
import type { ServiceKey } from '@/registry';
import type { SourceInstance, TaskSelector } from '../reconcile/copy-plan';
import { ServiceSelector } from '../reconcile/copy-plan';
import type { EtcdClient, EtcdKv } from './etcd-client';
import type { EtcdLayout } from './etcd-layouts';
import { fingerprintOf } from './nacos-v1-source';
import type { ServiceSnapshot, SourceRegistry, SourceWatch } from './source-registry';

/** First wait before a failed re-list is tried again; doubles to RELIST_MAX_MS. */
const RELIST_BASE_MS = 200;
const RELIST_MAX_MS = 5000;

/**
 * The services a layout's keys stand for, kept up to date key by key: what a watch holds between
 * events, so each change is reported as the full, fresh snapshot of its service.
 */
export class EtcdServiceView {
  private readonly byKey = new Map<string, Array<{ id: string; instance: SourceInstance }>>();
  private readonly services = new Map<string, { key: ServiceKey; keys: Map<string, SourceInstance[]> }>();
  /** Keys of services seen, kept after their last instance went until the watch has reported it. */
  private readonly known = new Map<string, ServiceKey>();

  constructor(private readonly layout: EtcdLayout) {}

  /** The key now holds `value`; the services it touched (before or after). */
  put(key: string, value: string): Set<string> {
    const touched = this.delete(key);
    const entries = this.layout.read(key, value);
    if (entries.length === 0) return touched;
    const mine: Array<{ id: string; instance: SourceInstance }> = [];
    for (const { service, instance } of entries) {
      const id = formatServiceKey(service);
      let held = this.services.get(id);
      if (!held) this.services.set(id, (held = { key: service, keys: new Map() }));
      this.known.set(id, service);
      const list = held.keys.get(key) ?? [];
      list.push(instance);
      held.keys.set(key, list);
      mine.push({ id, instance });
      touched.add(id);
    }
    this.byKey.set(key, mine);
    return touched;
  }

  /** The key is gone; the services it touched. */
  delete(key: string): Set<string> {
    const touched = new Set<string>();
    for (const { id } of this.byKey.get(key) ?? []) {
      const held = this.services.get(id);
      if (!held) continue;
      held.keys.delete(key);
      if (held.keys.size === 0) this.services.delete(id);
      touched.add(id);
    }
    this.byKey.delete(key);
    return touched;
  }

  /** Replaces everything with a fresh read; the services whose content changed (vanished ones too). */
  replace(kvs: readonly EtcdKv[]): Set<string> {
    const before = new Map([...this.services.keys()].map((id) => [id, fingerprintOf(this.instances(id))]));
    this.byKey.clear();
    this.services.clear();
    for (const kv of kvs) this.put(kv.key, kv.value);
    const changed = new Set<string>();
    for (const [id, print] of before) if (print !== fingerprintOf(this.instances(id))) changed.add(id);
    for (const id of this.services.keys()) if (!before.has(id)) changed.add(id);
    return changed;
  }

  /** The service's key, also after its last instance went (its empty snapshot needs it). */
  key(id: string): ServiceKey | undefined {
    return this.known.get(id);
  }

  /** Drops the key of a service with no instances left, once its going has been reported. */
  forget(id: string): void {
    if (!this.services.has(id)) this.known.delete(id);
  }

  instances(id: string): SourceInstance[] {
    return [...(this.services.get(id)?.keys.values() ?? [])].flat();
  }

  snapshots(): ServiceSnapshot[] {
    return [...this.services.entries()].map(([id, { key }]) => ({ key, instances: this.instances(id) }));
  }
}

/**
 * An etcd cluster read as a source, through one layout. `snapshot` is one range read of the
 * layout's prefix. A watch reads the range once, then watches the prefix from the read's revision
 * + 1, keeping the revision it has seen: across a dropped connection it resumes from there (no
 * change missed), and when etcd has compacted that revision away it reads the range again and
 * reports every service that differs, then watches from the new read.
 */
export class EtcdSource implements Pick<SourceRegistry, 'snapshot' | 'watch'> {
  private readonly watches = new Set<SourceWatch>();

  constructor(
    private readonly client: EtcdClient,
    private readonly layout: EtcdLayout,
  ) {}

  async snapshot(selector: TaskSelector): Promise<ServiceSnapshot[]> {
    const select = new ServiceSelector(selector);
    const view = new EtcdServiceView(this.layout);
    view.replace((await this.client.range(this.layout.prefix)).kvs);
    return view.snapshots().filter((s) => select.matches(s.key));
  }

  watch(selector: TaskSelector, onService: (s: ServiceSnapshot) => void, onError: (err: Error) => void): SourceWatch {
    const select = new ServiceSelector(selector);
    const view = new EtcdServiceView(this.layout);
    let revision = 0n;
    let stopped = false;
    let listed = false;
    let retryMs = RELIST_BASE_MS;
    let timer: NodeJS.Timeout | undefined;
    let cancel: (() => void) | undefined;

    const report = (ids: Set<string>): void => {
      for (const id of ids) {
        const key = view.key(id);
        if (key && select.matches(key) && !stopped) onService({ key, instances: view.instances(id) });
        view.forget(id);
      }
    };

    const follow = (): void => {
      const watcher = this.client.client
        .watch()
        .prefix(this.layout.prefix)
        .startRevision(String(revision + 1n))
        .watcher();
      watcher.on('data', (res) => {
        if (stopped) return;
        const touched = new Set<string>();
        for (const ev of res.events) {
          const key = ev.kv.key.toString();
          const ids = ev.type === 'Delete' ? view.delete(key) : view.put(key, ev.kv.value.toString());
          for (const id of ids) touched.add(id);
        }
        // Every event up to the header's revision has been delivered to this watcher.
        const at = BigInt(res.header.revision);
        if (at > revision) revision = at;
        retryMs = RELIST_BASE_MS;
        report(touched);
      });
      watcher.on('disconnected', (err: Error) => {
        // The client reconnects by itself, resuming from the request's start revision, which it
        // also sets from the header of a watch's creation: dropped after a resumed watch was created
        // and before its catch-up events came, it would skip them. Resume from what was delivered.
        watcher.request.start_revision = String(revision + 1n);
        if (!stopped) onError(new Error(`etcd watch disconnected: ${err.message}`, { cause: err }));
      });
      watcher.on('error', (err: Error) => {
        // Canceled by etcd — its start revision compacted away, or any other refusal: read again.
        cancel = undefined;
        if (stopped) return;
        if (!/compacted/.test(err.message)) onError(new Error(`etcd watch canceled: ${err.message}`, { cause: err }));
        relist();
      });
      cancel = () => void watcher.cancel().catch(() => undefined);
    };

    const relist = (): void => {
      this.client.range(this.layout.prefix).then(
        ({ kvs, revision: read }) => {
          if (stopped) return;
          const changed = view.replace(kvs);
          // The first read is the baseline (the task reads its own snapshot); later ones report the difference.
          if (listed) report(changed);
          listed = true;
          revision = BigInt(read);
          retryMs = RELIST_BASE_MS;
          follow();
        },
        (err: unknown) => {
          if (stopped) return;
          onError(err as Error);
          timer = setTimeout(relist, retryMs);
          retryMs = Math.min(retryMs * 2, RELIST_MAX_MS);
        },
      );
    };

    relist();
    const handle: SourceWatch = {
      close: () => {
        stopped = true;
        clearTimeout(timer);
        cancel?.();
        this.watches.delete(handle);
      },
    };
    this.watches.add(handle);
    return handle;
  }

  close(): void {
    for (const w of [...this.watches]) w.close();
  }
}
