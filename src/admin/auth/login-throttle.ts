import { Injectable } from '@nestjs/common';
import { AuthConfig } from './auth.config';

/** The longest wait a run of failures can impose, and how long a quiet key is remembered. */
export const MAX_BACKOFF_MS = 15 * 60_000;
/** Keys remembered at most (the oldest is forgotten first), so a flood of names cannot fill memory. */
const MAX_KEYS = 10_000;

interface Failures {
  count: number;
  lastAt: number;
  blockedUntil: number;
}

/**
 * Exponential backoff per key: the first `failuresFree` failures cost nothing, then each attempt
 * waits `backoffMs`, doubling with every further failure, at most MAX_BACKOFF_MS. A key quiet for
 * MAX_BACKOFF_MS past its wait starts afresh.
 */
export class FailureBackoff {
  private readonly keys = new Map<string, Failures>();

  constructor(
    private readonly failuresFree: number,
    private readonly backoffMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until `key` may try again; 0 = now. */
  waitMs(key: string): number {
    const entry = this.live(key);
    return entry ? Math.max(0, entry.blockedUntil - this.now()) : 0;
  }

  fail(key: string): void {
    const now = this.now();
    const entry = this.live(key) ?? { count: 0, lastAt: now, blockedUntil: 0 };
    entry.count++;
    entry.lastAt = now;
    const over = entry.count - this.failuresFree;
    if (over >= 0) entry.blockedUntil = now + Math.min(MAX_BACKOFF_MS, this.backoffMs * 2 ** Math.min(over, 30));
    this.keys.delete(key);
    this.keys.set(key, entry);
    if (this.keys.size > MAX_KEYS) this.keys.delete(this.keys.keys().next().value as string);
  }

  clear(key: string): void {
    this.keys.delete(key);
  }

  private live(key: string): Failures | undefined {
    const entry = this.keys.get(key);
    if (entry && this.now() >= Math.max(entry.blockedUntil, entry.lastAt) + MAX_BACKOFF_MS) {
      this.keys.delete(key);
      return undefined;
    }
    return entry;
  }
}

/**
 * Login throttling of this node, per username (any case) and per client address: a login waits
 * while either is backing off. Kept in memory: each node of a region throttles on its own.
 */
@Injectable()
export class LoginThrottle {
  private readonly byName: FailureBackoff;
  private readonly byAddress: FailureBackoff;

  constructor(config: AuthConfig, now: () => number = Date.now) {
    this.byName = new FailureBackoff(config.usernameFailuresFree, config.backoffMs, now);
    this.byAddress = new FailureBackoff(config.ipFailuresFree, config.backoffMs, now);
  }

  /** Milliseconds before this username may try again from this address; 0 = now. */
  waitMs(username: string, address: string): number {
    return Math.max(this.byName.waitMs(username.toLowerCase()), this.byAddress.waitMs(address));
  }

  failed(username: string, address: string): void {
    this.byName.fail(username.toLowerCase());
    this.byAddress.fail(address);
  }

  /** A good password clears the username's failures; the address's decay on their own. */
  succeeded(username: string): void {
    this.byName.clear(username.toLowerCase());
  }
}
