import type { Service } from './catalog';
import type { Client } from './client';
import type { HybridClock } from './version';

/**
 * What one registry operation touched. Events are emitted from it once the operation is
 * complete, so each affected service and client is announced exactly once and listeners
 * always see the final state.
 */
export class ChangeSet {
  readonly services = new Set<Service>();
  /** Client → whether it was removed. */
  readonly clients = new Map<Client, boolean>();
  private stamped = 0;

  /**
   * `clock` is given for an operation this node accepts (a local write), whose changes are stamped
   * with one new version; a merge of peers' copies has none (it keeps the versions it receives).
   */
  constructor(private readonly clock?: HybridClock) {}

  /** True for a local write. */
  get local(): boolean {
    return this.clock !== undefined;
  }

  /** The version of this local operation, taken from the clock on first use. */
  version(): number {
    if (this.stamped === 0) {
      if (this.clock === undefined) throw new Error('a merge has no version of its own');
      this.stamped = this.clock.next();
    }
    return this.stamped;
  }

  /** The node stamping this local operation. */
  get writer(): string {
    return this.clock?.node ?? '';
  }

  get isEmpty(): boolean {
    return this.services.size === 0 && this.clients.size === 0;
  }

  touchService(service: Service): void {
    this.services.add(service);
  }

  touchClient(client: Client, removed = false): void {
    this.clients.set(client, removed || this.clients.get(client) === true);
  }
}
