import type { DataSource, EntityManager } from 'typeorm';
import { sqlRows } from '@/database/sql';
import type { Role } from '../roles';

/** A user as stored, hash included: never leaves the admin module as is. */
export interface UserRow {
  id: string;
  username: string;
  role: Role;
  passwordHash: string;
  disabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface UserChange {
  role?: Role;
  disabled?: boolean;
  passwordHash?: string;
}

const COLUMNS = `id, username, role, password_hash AS "passwordHash", disabled, created_at AS "createdAt", updated_at AS "updatedAt"`;

/** `app_user`: the people who may use the admin API; usernames match regardless of case. */
export class UserRepository {
  constructor(private readonly db: DataSource) {}

  async any(): Promise<boolean> {
    const rows = await sqlRows<{ any: boolean }>(this.db, `SELECT EXISTS (SELECT 1 FROM app_user) AS any`);
    return rows[0]?.any === true;
  }

  async findByName(username: string): Promise<UserRow | undefined> {
    const rows = await sqlRows<UserRow>(this.db, `SELECT ${COLUMNS} FROM app_user WHERE lower(username) = lower($1)`, [
      username,
    ]);
    return rows[0];
  }

  async list(): Promise<UserRow[]> {
    return sqlRows<UserRow>(this.db, `SELECT ${COLUMNS} FROM app_user ORDER BY lower(username)`);
  }

  /** Inserts a user; the unique index refuses a name taken in any case (23505). */
  async insert(user: { username: string; role: Role; passwordHash: string }): Promise<UserRow> {
    const rows = await sqlRows<UserRow>(
      this.db,
      `INSERT INTO app_user (username, role, password_hash) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
      [user.username, user.role, user.passwordHash],
    );
    return rows[0];
  }

  /**
   * Inserts the first user only while the table is empty (nodes starting together race here: the
   * name's unique index lets one win); answers whether this call created it.
   */
  async insertFirst(user: { username: string; role: Role; passwordHash: string }): Promise<boolean> {
    const rows = await sqlRows<{ id: string }>(
      this.db,
      `INSERT INTO app_user (username, role, password_hash)
       SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM app_user)
       ON CONFLICT DO NOTHING RETURNING id`,
      [user.username, user.role, user.passwordHash],
    );
    return rows.length > 0;
  }

  /**
   * Applies a change unless it takes away the last enabled admin (then answers `last-admin` and
   * changes nothing); checked and written under a table lock, so two admins demoting each other at
   * once cannot both succeed.
   */
  async update(id: string, change: UserChange): Promise<UserRow | 'last-admin' | undefined> {
    return this.guardingLastAdmin(id, async (tx) => {
      const rows = await sqlRows<UserRow>(
        tx,
        `UPDATE app_user SET role = COALESCE($2, role), disabled = COALESCE($3, disabled),
                password_hash = COALESCE($4, password_hash), updated_at = now()
          WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, change.role ?? null, change.disabled ?? null, change.passwordHash ?? null],
      );
      return rows[0];
    });
  }

  /** Deletes a user (their sessions go with them) unless they are the last enabled admin. */
  async delete(id: string): Promise<boolean | 'last-admin'> {
    const deleted = await this.guardingLastAdmin(id, async (tx) => {
      const rows = await sqlRows<{ id: string }>(tx, `DELETE FROM app_user WHERE id = $1 RETURNING id`, [id]);
      return rows.length > 0 ? true : undefined;
    });
    return deleted ?? false;
  }

  /** Runs `write` on user `id`; rolls it back when an enabled admin was there before and none is after. */
  private async guardingLastAdmin<T>(
    id: string,
    write: (tx: EntityManager) => Promise<T | undefined>,
  ): Promise<T | 'last-admin' | undefined> {
    return this.db
      .transaction(async (tx) => {
        await tx.query(`LOCK TABLE app_user IN SHARE ROW EXCLUSIVE MODE`);
        const before = await this.enabledAdmins(tx);
        const result = await write(tx);
        if (result !== undefined && before > 0 && (await this.enabledAdmins(tx)) === 0) throw new LastAdminError();
        return result;
      })
      .catch((err: unknown) => {
        if (err instanceof LastAdminError) return 'last-admin' as const;
        throw err;
      });
  }

  private async enabledAdmins(tx: EntityManager): Promise<number> {
    const rows = await sqlRows<{ n: number }>(
      tx,
      `SELECT count(*)::int AS n FROM app_user WHERE role = 'admin' AND NOT disabled`,
    );
    return rows[0]?.n ?? 0;
  }
}

/** Rolls back a change that would leave no enabled admin. */
class LastAdminError extends Error {}
