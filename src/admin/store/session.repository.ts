import type { DataSource } from 'typeorm';
import { sqlRows } from '@/database/sql';
import type { Role } from '../roles';

/** A live session with the user it belongs to, as the guard needs it on every call. */
export interface SessionRow {
  userId: string;
  username: string;
  role: Role;
  /** Seconds since the session was last used, by the database clock. */
  idleSeconds: number;
}

/** Session lifetimes in milliseconds. */
export interface SessionLimits {
  idleMs: number;
  absoluteMs: number;
}

/**
 * `user_session`: sign-ins, keyed by the SHA-256 of the cookie's session id. Times are the
 * database's, so every node of a region agrees on what has expired.
 */
export class SessionRepository {
  constructor(private readonly db: DataSource) {}

  async insert(tokenHash: string, userId: string): Promise<void> {
    await this.db.query(`INSERT INTO user_session (token_hash, user_id) VALUES ($1, $2)`, [tokenHash, userId]);
  }

  /**
   * The session if it is within both lifetimes and its user exists and is enabled; a disabled or
   * deleted user's sessions answer nothing at once.
   */
  async findLive(tokenHash: string, limits: SessionLimits): Promise<SessionRow | undefined> {
    const rows = await sqlRows<SessionRow>(
      this.db,
      `SELECT s.user_id AS "userId", u.username, u.role,
              extract(epoch FROM now() - s.last_seen_at)::float8 AS "idleSeconds"
         FROM user_session s JOIN app_user u ON u.id = s.user_id
        WHERE s.token_hash = $1 AND NOT u.disabled
          AND s.last_seen_at > now() - make_interval(secs => $2::float8 / 1000)
          AND s.created_at > now() - make_interval(secs => $3::float8 / 1000)`,
      [tokenHash, limits.idleMs, limits.absoluteMs],
    );
    return rows[0];
  }

  async touch(tokenHash: string): Promise<void> {
    await this.db.query(`UPDATE user_session SET last_seen_at = now() WHERE token_hash = $1`, [tokenHash]);
  }

  async delete(tokenHash: string): Promise<void> {
    await this.db.query(`DELETE FROM user_session WHERE token_hash = $1`, [tokenHash]);
  }

  /** Ends every session of a user (new password, new role, disabled), except `keep` when given. */
  async deleteOfUser(userId: string, keep?: string): Promise<void> {
    await this.db.query(`DELETE FROM user_session WHERE user_id = $1 AND token_hash IS DISTINCT FROM $2`, [
      userId,
      keep ?? null,
    ]);
  }

  /** Removes sessions past either lifetime. */
  async deleteExpired(limits: SessionLimits): Promise<void> {
    await this.db.query(
      `DELETE FROM user_session
        WHERE last_seen_at <= now() - make_interval(secs => $1::float8 / 1000)
           OR created_at <= now() - make_interval(secs => $2::float8 / 1000)`,
      [limits.idleMs, limits.absoluteMs],
    );
  }
}
