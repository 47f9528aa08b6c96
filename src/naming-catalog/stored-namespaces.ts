import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnModuleDestroy } from '@nestjs/common';
import { DEFAULT_NAMESPACE, Registry } from '@/registry';
import type { NamingRegistry } from '@/registry';
import { CatalogFeed } from './catalog-feed';
import type { CatalogPart } from './catalog-feed';
import { NamespaceStore } from './namespace.store';
import type { StoredNamespace } from './namespace.store';
import type { CatalogChange } from './service.store';

/** A namespace as Nacos's console lists it (its Namespace class). */
export interface NamespaceView {
  namespace: string;
  namespaceShowName: string;
  namespaceDesc: string;
  quota: number;
  configCount: number;
  type: number;
}

/** Nacos's figures: every namespace has the default quota, and no configs live here. */
const QUOTA = 200;
/** NamespaceTypeEnum: GLOBAL (public) and CUSTOM. */
const GLOBAL = 0;
const CUSTOM = 2;
/** How long after a failed implicit insert the next write into that namespace tries again. */
const IMPLICIT_RETRY_MS = 10_000;

/** `public` as Nacos 2.5 shows it: its id in the console is the empty string. */
export const PUBLIC_NAMESPACE: NamespaceView = {
  namespace: '',
  namespaceShowName: 'public',
  namespaceDesc: 'Default Namespace',
  quota: QUOTA,
  configCount: 0,
  type: GLOBAL,
};

/** True for the ids that name `public`: `public` (the naming APIs') and the empty one (the console's). */
export function isPublic(id: string): boolean {
  return id === '' || id === DEFAULT_NAMESPACE;
}

export type NamespaceRefusal = 'public' | 'unknown' | 'not-empty';

/**
 * Namespaces as stored objects: `public` always (never stored, never deleted), the others in the
 * region's database, held in memory for the console's reads. A naming write into an id not yet held
 * creates it (implicitly, named by its id), as Nacos's naming side brings namespaces into being when
 * first named — one insert per id this node has not seen, never one per instance write.
 */
@Injectable()
export class StoredNamespaces implements CatalogPart, OnModuleDestroy {
  private readonly logger = new Logger('NamingCatalog');
  private readonly held = new Map<string, StoredNamespace>();
  /** Ids whose implicit insert is under way, so a burst of writes into a new namespace inserts once. */
  private readonly creating = new Set<string>();
  /** Ids whose implicit insert failed, and when the next write may try again (no query per write while the database is down). */
  private readonly retryAt = new Map<string, number>();
  private readonly unsubscribe: () => void;

  constructor(
    @Inject(Registry) private readonly registry: NamingRegistry,
    private readonly store: NamespaceStore,
    feed: CatalogFeed,
  ) {
    feed.register(this);
    this.unsubscribe = registry.events.on('serviceChanged', (event) => this.named(event.key.namespace));
  }

  onModuleDestroy(): void {
    this.unsubscribe();
  }

  /** `public` first, then the stored ones, then any holding services whose insert has not landed yet. */
  list(): NamespaceView[] {
    const out = [PUBLIC_NAMESPACE, ...[...this.held.values()].map(view)];
    for (const id of this.registry.namespaces()) {
      if (!isPublic(id) && !this.held.has(id) && this.serviceCount(id) > 0) {
        out.push(view({ id, showName: id, description: '', implicit: true }));
      }
    }
    return out;
  }

  get(id: string): NamespaceView | undefined {
    if (isPublic(id)) return PUBLIC_NAMESPACE;
    const held = this.held.get(id);
    return held === undefined ? undefined : view(held);
  }

  exists(id: string): boolean {
    return isPublic(id) || this.held.has(id);
  }

  /** Creates a namespace (a blank id gets a UUID, as Nacos); returns its id, or undefined when it exists. */
  async create(id: string, showName: string, description: string): Promise<string | undefined> {
    const namespaceId = id === '' ? randomUUID() : id;
    if (isPublic(namespaceId)) return undefined;
    const held = this.held.get(namespaceId);
    if (held !== undefined && !held.implicit) return undefined;
    const namespace: StoredNamespace = { id: namespaceId, showName, description, implicit: false };
    if (!(await this.store.insert(namespace))) return undefined;
    this.held.set(namespaceId, namespace);
    return namespaceId;
  }

  async rename(id: string, showName: string, description: string): Promise<NamespaceRefusal | undefined> {
    if (isPublic(id)) return 'public';
    if (!(await this.store.update(id, showName, description))) return 'unknown';
    this.held.set(id, { id, showName, description, implicit: false });
    return undefined;
  }

  /** Deletes an empty namespace; deleting one that is not there succeeds, as in Nacos. */
  async delete(id: string): Promise<NamespaceRefusal | undefined> {
    if (isPublic(id)) return 'public';
    if (this.serviceCount(id) > 0) return 'not-empty';
    await this.store.delete(id);
    this.held.delete(id);
    return undefined;
  }

  /** Services (with instances or stored) in a namespace. */
  serviceCount(id: string): number {
    return this.registry.listServices(id, { pageNo: 1, pageSize: 0 }).count;
  }

  async reloadAll(): Promise<void> {
    const rows = await this.store.all();
    this.held.clear();
    for (const row of rows) this.held.set(row.id, row);
    for (const id of this.registry.namespaces()) if (this.serviceCount(id) > 0) this.named(id);
  }

  async reload(change: CatalogChange): Promise<void> {
    if (change.kind !== 'namespace') return;
    const row = await this.store.find(change.id);
    if (row === undefined) this.held.delete(change.id);
    else this.held.set(row.id, row);
  }

  /** A naming write named this namespace: store it once if it is new. */
  private named(id: string): void {
    if (isPublic(id) || this.held.has(id) || this.creating.has(id)) return;
    if ((this.retryAt.get(id) ?? 0) > Date.now()) return;
    this.creating.add(id);
    const namespace: StoredNamespace = { id, showName: id, description: '', implicit: true };
    this.store
      .insert(namespace)
      // Another node, or a user, may have stored it first: hold what is stored.
      .then(() => this.store.find(id))
      .then((stored) => {
        this.retryAt.delete(id);
        if (stored !== undefined) this.held.set(id, stored);
      })
      .catch((error: unknown) => {
        this.retryAt.set(id, Date.now() + IMPLICIT_RETRY_MS);
        this.logger.warn(
          `namespace ${id} not stored yet (${(error as Error).message}); a write into it after ${IMPLICIT_RETRY_MS} ms retries`,
        );
      })
      .finally(() => this.creating.delete(id));
  }
}

function view(namespace: StoredNamespace): NamespaceView {
  return {
    namespace: namespace.id,
    namespaceShowName: namespace.showName,
    namespaceDesc: namespace.description,
    quota: QUOTA,
    configCount: 0,
    type: CUSTOM,
  };
}
