import type { Service } from './catalog';
import type { Client } from './client';

/**
 * What one registry operation touched. Events are emitted from it once the operation is
 * complete, so each affected service and client is announced exactly once and listeners
 * always see the final state.
 */
export class ChangeSet {
  readonly services = new Set<Service>();
  /** Client → whether it was removed. */
  readonly clients = new Map<Client, boolean>();

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
