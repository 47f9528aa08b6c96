import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * People who use the admin API and the console: `app_user` (usernames unique regardless of case,
 * a role, an argon2id hash, a disabled flag) and their sign-ins, `user_session`, keyed by the
 * SHA-256 of the session id the cookie holds (the id itself is never stored), with the times the
 * idle and absolute expiries are measured from. A session goes with its user.
 */
export class Users1795800000000 implements MigrationInterface {
  name = 'Users1795800000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "app_user" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "username" character varying(64) NOT NULL,
        "role" character varying(16) NOT NULL,
        "password_hash" character varying(256) NOT NULL,
        "disabled" boolean NOT NULL DEFAULT false,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_app_user" PRIMARY KEY ("id"),
        CONSTRAINT "CHK_app_user_role" CHECK ("role" IN ('admin', 'operator', 'viewer')),
        CONSTRAINT "CHK_app_user_username" CHECK (length("username") > 0)
      )`,
    );
    await q.query(`CREATE UNIQUE INDEX "UQ_app_user_username_ci" ON "app_user" (lower("username"))`);
    await q.query(
      `CREATE TABLE "user_session" (
        "token_hash" character(64) NOT NULL,
        "user_id" uuid NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "last_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_user_session" PRIMARY KEY ("token_hash"),
        CONSTRAINT "FK_user_session_user" FOREIGN KEY ("user_id") REFERENCES "app_user"("id") ON DELETE CASCADE
      )`,
    );
    await q.query(`CREATE INDEX "IDX_user_session_user" ON "user_session" ("user_id")`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "user_session"`);
    await q.query(`DROP TABLE "app_user"`);
  }
}
