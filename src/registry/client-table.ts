import { Client } from './client';
import { compact } from './instance';
import type { ClientKind } from './model';

/**
 * All clients by id. Ip-port clients live in their own map so heartbeat expiry walks only them;
 * clients with a lease expiry are also kept in a small set so `expireClients` walks only those.
 */
export class ClientTable {
  private readonly ipPort = new Map<string, Client>();
  private readonly others = new Map<string, Client>();
  private readonly leased = new Set<Client>();
  /**
   * Removed clients that still hold tombstones or a floor: invisible to every query, kept so that
   * an older copy arriving late cannot bring back what they withdrew.
   */
  private readonly ghosts = new Map<string, Client>();

  get size(): number {
    return this.ipPort.size + this.others.size;
  }

  get ghostCount(): number {
    return this.ghosts.size;
  }

  get(id: string): Client | undefined {
    return this.ipPort.get(id) ?? this.others.get(id);
  }

  /** A live client, or the ghost of a removed one. */
  getAny(id: string): Client | undefined {
    return this.get(id) ?? this.ghosts.get(id);
  }

  /** The client, created (local, revision 0) or revived from its ghost if missing; a kind change moves it to the right map. */
  obtain(id: string, kind: ClientKind): Client {
    let client = this.get(id);
    if (client === undefined) {
      client = this.ghosts.get(id);
      if (client !== undefined) {
        this.ghosts.delete(id);
        client.kind = kind;
        client.removed = false;
      } else {
        client = new Client(compact(id), kind);
      }
      this.mapFor(kind).set(id, client);
    } else if (client.kind !== kind) {
      this.mapFor(client.kind).delete(id);
      client.kind = kind;
      this.mapFor(kind).set(id, client);
    }
    return client;
  }

  /** Removes a client; one holding tombstones or a floor stays as a ghost. */
  delete(client: Client): void {
    const map = this.mapFor(client.kind);
    if (map.get(client.id) === client) map.delete(client.id);
    this.leased.delete(client);
    if (client.hasHistory) {
      client.removed = true;
      this.ghosts.set(client.id, client);
    }
  }

  /** Forgets a ghost for good (its history aged out). */
  forgetGhost(client: Client): void {
    if (this.ghosts.get(client.id) === client) this.ghosts.delete(client.id);
  }

  /** Every ghost. */
  ghostClients(): IterableIterator<Client> {
    return this.ghosts.values();
  }

  /** Records a lease expiry (absolute ms) or clears it. */
  setExpiry(client: Client, expiresAt: number | undefined): void {
    client.setExtra('expiresAt', expiresAt);
    if (expiresAt === undefined) this.leased.delete(client);
    else this.leased.add(client);
  }

  ipPortClients(): IterableIterator<Client> {
    return this.ipPort.values();
  }

  leasedClients(): Client[] {
    return [...this.leased];
  }

  *all(): IterableIterator<Client> {
    yield* this.ipPort.values();
    yield* this.others.values();
  }

  private mapFor(kind: ClientKind): Map<string, Client> {
    return kind === 'ipport' ? this.ipPort : this.others;
  }
}
