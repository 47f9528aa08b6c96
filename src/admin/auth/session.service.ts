import { Injectable } from '@nestjs/common';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { AuthStore } from '../store/auth-store';
import type { SessionLimits, SessionRow } from '../store/session.repository';
import { AuthConfig } from './auth.config';

/** How stale `last_seen_at` may get before a call refreshes it (saves a write per call). */
const TOUCH_AFTER_SECONDS = 30;

/**
 * Console sessions: a random 256-bit id in the cookie, only its SHA-256 stored, and a CSRF token
 * derived from the id (an HMAC under it), so the token can be answered again after a reload
 * without being stored, and nobody without the cookie's id can compute it.
 */
@Injectable()
export class SessionService {
  constructor(
    private readonly store: AuthStore,
    private readonly config: AuthConfig,
  ) {}

  get limits(): SessionLimits {
    return { idleMs: this.config.sessionIdleMs, absoluteMs: this.config.sessionMaxAgeMs };
  }

  /** Starts a session for the user; answers the id for the cookie. */
  async open(userId: string): Promise<string> {
    await this.store.sessions.deleteExpired(this.limits);
    const sessionId = randomBytes(32).toString('base64url');
    await this.store.sessions.insert(hashOf(sessionId), userId);
    return sessionId;
  }

  /** The live session of this id with its user, refreshing its idle time; undefined when ended. */
  async resolve(sessionId: string): Promise<SessionRow | undefined> {
    const session = await this.store.sessions.findLive(hashOf(sessionId), this.limits);
    if (session && session.idleSeconds >= Math.min(TOUCH_AFTER_SECONDS, this.config.sessionIdleMs / 4000)) {
      await this.store.sessions.touch(hashOf(sessionId));
    }
    return session;
  }

  async close(sessionId: string): Promise<void> {
    await this.store.sessions.delete(hashOf(sessionId));
  }

  /** Ends every session of a user but `keep` (the caller's own, after changing their password). */
  async closeAllOf(userId: string, keep?: string): Promise<void> {
    await this.store.sessions.deleteOfUser(userId, keep === undefined ? undefined : hashOf(keep));
  }

  csrfTokenOf(sessionId: string): string {
    return createHmac('sha256', sessionId).update('distro-sync csrf').digest('base64url');
  }

  /** Cookie lifetime: the absolute one (the idle expiry is enforced by the server). */
  get cookieMaxAgeSeconds(): number {
    return Math.floor(this.config.sessionMaxAgeMs / 1000);
  }
}

function hashOf(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('hex');
}
