import { Injectable, Logger } from '@nestjs/common';
import type { BeforeApplicationShutdown, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { Client } from 'pg';
import { DatabaseConfig } from '@/database/database.config';
import { CATALOG_CHANNEL } from './service.store';
import type { CatalogChange } from './service.store';

/** How often every node reads the whole catalog again, in case it missed a notification. */
export const CATALOG_REFRESH_MS = 30_000;
const RECONNECT_MS = 2_000;

/** One kind of catalog object kept in memory: reloads one changed object, or all of them. */
export interface CatalogPart {
  reloadAll(): Promise<void>;
  reload(change: CatalogChange): Promise<void>;
}

/**
 * Keeps this node's in-memory copy of the stored catalog (services, namespaces) current, so reads and
 * the instance hot paths never wait on the database: everything is loaded before the node serves,
 * each write notifies every node on one Postgres channel (LISTEN/NOTIFY, a dedicated connection) and
 * each node reloads the row named, and every CATALOG_REFRESH_MS a full reload catches what a lost
 * connection missed. The embedded PGlite serves one node, which holds every change it made: it only
 * refreshes. Reloads run one at a time, so a late answer never overwrites a newer one.
 */
@Injectable()
export class CatalogFeed implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('NamingCatalog');
  private readonly parts: CatalogPart[] = [];
  private queue: Promise<void> = Promise.resolve();
  private refreshTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private listener: Client | undefined;
  private stopped = false;

  constructor(private readonly database: DatabaseConfig) {}

  /** Adds a kind of object to load and keep current (called by the parts' constructors). */
  register(part: CatalogPart): void {
    this.parts.push(part);
  }

  async onModuleInit(): Promise<void> {
    for (const part of this.parts) await part.reloadAll();
  }

  onApplicationBootstrap(): void {
    this.refreshTimer = setInterval(() => void this.refresh(), CATALOG_REFRESH_MS);
    this.refreshTimer.unref();
    if (this.database.url !== undefined) void this.listen(this.database.url);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.refreshTimer);
    clearTimeout(this.reconnectTimer);
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
    await this.queue;
  }

  /** Reads the whole catalog again (after the one in progress). */
  refresh(): Promise<void> {
    return this.enqueue(async () => {
      for (const part of this.parts) await part.reloadAll();
    }, 'refresh');
  }

  /** Resolves once every reload queued so far has run (tests, writes that want their own change applied). */
  settled(): Promise<void> {
    return this.queue;
  }

  private apply(payload: string | undefined): void {
    let change: CatalogChange;
    try {
      change = JSON.parse(payload ?? '') as CatalogChange;
    } catch {
      return;
    }
    void this.enqueue(async () => {
      for (const part of this.parts) await part.reload(change);
    }, 'reload');
  }

  private enqueue(work: () => Promise<void>, what: string): Promise<void> {
    this.queue = this.queue.then(work).catch((error: unknown) => {
      this.logger.warn(`catalog ${what} failed: ${(error as Error).message}; the next refresh retries`);
    });
    return this.queue;
  }

  private async listen(url: string): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: url });
    client.on('notification', (message) => {
      if (message.channel === CATALOG_CHANNEL) this.apply(message.payload);
    });
    client.on('error', (error) => this.lost(client, error, url));
    client.on('end', () => this.lost(client, new Error('connection closed'), url));
    try {
      await client.connect();
      await client.query(`LISTEN ${CATALOG_CHANNEL}`);
      if (this.stopped) {
        await client.end();
        return;
      }
      this.listener = client;
      // What changed while no connection listened.
      await this.refresh();
    } catch (error) {
      this.lost(client, error as Error, url);
    }
  }

  private lost(client: Client, error: Error, url: string): void {
    if (this.stopped || (this.listener !== undefined && this.listener !== client)) return;
    if (this.listener === client) this.listener = undefined;
    client.removeAllListeners('end');
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    if (this.reconnectTimer !== undefined) return;
    this.logger.warn(`catalog notifications lost (${error.message}); listening again in ${RECONNECT_MS} ms`);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.listen(url);
    }, RECONNECT_MS);
    this.reconnectTimer.unref();
  }
}
