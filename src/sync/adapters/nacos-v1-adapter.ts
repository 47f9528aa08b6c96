import { NacosV1Client } from './nacos-v1-client';
import type { NacosV1ClientOptions } from './nacos-v1-client';
import { NacosV1Source } from './nacos-v1-source';
import { NacosV1Target } from './nacos-v1-target';
import type { RegistryAdapter } from './registry-adapter';

export interface NacosV1Settings extends NacosV1ClientOptions {
  /** The namespace the cluster is used in (copies go there; a `*` source falls back to it). */
  namespace: string;
  /** How often a watch reads every matching service again. Default 2000. */
  pollIntervalMs?: number;
  /** Calls in flight at once per task and side (reads of a poll, writes, beats). Default 8. */
  concurrency?: number;
}

/**
 * A Nacos 1.x cluster over the naming Open API v1, in both roles over one client: read as a
 * source by polling (NacosV1Source), written as a target with one beat per copy (NacosV1Target).
 */
export class NacosV1RegistryAdapter implements RegistryAdapter {
  readonly client: NacosV1Client;
  private readonly source: NacosV1Source;
  private readonly target: NacosV1Target;

  constructor(settings: NacosV1Settings) {
    this.client = new NacosV1Client(settings);
    const concurrency = settings.concurrency ?? 8;
    this.source = new NacosV1Source(this.client, settings, concurrency);
    this.target = new NacosV1Target(this.client, settings, concurrency);
  }

  snapshot: RegistryAdapter['snapshot'] = (selector) => this.source.snapshot(selector);
  watch: RegistryAdapter['watch'] = (selector, onService, onError) => this.source.watch(selector, onService, onError);
  applyCopies: RegistryAdapter['applyCopies'] = (owner, services) => this.target.applyCopies(owner, services);
  renewCopies: RegistryAdapter['renewCopies'] = () => this.target.renewCopies();
  withdrawCopies: RegistryAdapter['withdrawCopies'] = (owner) => this.target.withdrawCopies(owner);
  listCopies: RegistryAdapter['listCopies'] = (owner) => this.target.listCopies(owner);
  check: RegistryAdapter['check'] = () => this.target.check();

  /** Stops polling and beating; the copies lapse after the server's delete timeout unless a next holder beats them. */
  async close(): Promise<void> {
    await this.target.close();
    await this.source.close();
  }
}
