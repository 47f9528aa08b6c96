import { Inject, Injectable } from '@nestjs/common';
import { Registry, formatServiceKey, groupedName } from '@/registry';
import type { NamingRegistry, ServiceKey, ServiceMetadata } from '@/registry';
import { NacosRequestError, NacosV2ErrorCode } from '@/nacos/http/nacos-errors';
import { CatalogFeed } from './catalog-feed';
import type { CatalogPart } from './catalog-feed';
import { ServiceStore } from './service.store';
import type { CatalogChange } from './service.store';
import type { ServiceForm } from './service-form';

/**
 * Services as stored objects (Nacos's ServiceOperatorV2Impl): create, update and delete write the
 * region's database first and then this node's registry, which every list and push reads (the other
 * nodes follow through the CatalogFeed). A service exists while it has instances or a stored row, as
 * Nacos's ServiceManager holds it while it has either.
 */
@Injectable()
export class StoredServices implements CatalogPart {
  /** Services this node holds stored metadata for, by formatServiceKey. */
  private readonly held = new Map<string, ServiceKey>();

  constructor(
    @Inject(Registry) private readonly registry: NamingRegistry,
    private readonly store: ServiceStore,
    feed: CatalogFeed,
  ) {
    feed.register(this);
  }

  /** True when the service exists: it has instances or stored metadata. */
  exists(key: ServiceKey): boolean {
    return this.registry.getService(key) !== undefined;
  }

  async create(form: ServiceForm): Promise<void> {
    const { key, metadata } = form;
    const exists = (): NacosRequestError =>
      NacosRequestError.plain(
        400,
        NacosV2ErrorCode.ServiceAlreadyExist,
        `specified service ${groupedName(key.group, key.name)} already exists!`,
      );
    if (this.exists(key)) throw exists();
    if (!(await this.store.insert(key, metadata))) throw exists();
    this.hold(key, metadata);
  }

  /** Replaces threshold, selector and metadata (the kind stays); 400 when the service does not exist. */
  async update(form: ServiceForm): Promise<void> {
    const { key, metadata } = form;
    const current = this.registry.serviceMetadata(key);
    if (!this.exists(key)) throw this.notFound(key);
    // A service that only has instances so far is stored with their kind.
    const ephemeral = current?.ephemeral ?? this.registry.serviceEphemeral(key) ?? metadata.ephemeral;
    const stored = await this.store.upsert(key, { ...metadata, ephemeral });
    this.hold(stored.key, stored.metadata);
  }

  /** Deletes a service without instances; 400 when it has some or does not exist. */
  async delete(key: ServiceKey): Promise<void> {
    const summary = this.registry.getService(key);
    if (summary === undefined) throw this.notFound(key);
    if (summary.instanceCount > 0) {
      throw NacosRequestError.plain(
        400,
        NacosV2ErrorCode.ServiceDeleteFailure,
        `Service ${groupedName(key.group, key.name)} is not empty, can't be delete. Please unregister instance first`,
      );
    }
    await this.store.delete(key);
    this.hold(key, undefined);
  }

  async reloadAll(): Promise<void> {
    const rows = await this.store.all();
    const seen = new Set<string>();
    for (const row of rows) {
      seen.add(formatServiceKey(row.key));
      this.hold(row.key, row.metadata);
    }
    for (const [id, key] of [...this.held]) if (!seen.has(id)) this.hold(key, undefined);
  }

  async reload(change: CatalogChange): Promise<void> {
    if (change.kind !== 'service') return;
    const key: ServiceKey = { namespace: change.namespace, group: change.group, name: change.name };
    this.hold(key, (await this.store.find(key))?.metadata);
  }

  private hold(key: ServiceKey, metadata: ServiceMetadata | undefined): void {
    const id = formatServiceKey(key);
    if (metadata === undefined) this.held.delete(id);
    else this.held.set(id, key);
    this.registry.setServiceMetadata(key, metadata);
  }

  private notFound(key: ServiceKey): NacosRequestError {
    return NacosRequestError.plain(
      400,
      NacosV2ErrorCode.ServiceNotExist,
      `service ${groupedName(key.group, key.name)} not found!`,
    );
  }
}
