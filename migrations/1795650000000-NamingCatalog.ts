import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Services and namespaces as stored objects (issue 19). `naming_service` holds what the service API
 * sets — the kind a service takes when empty, protect threshold, selector (`{type, expression}`) and
 * metadata — so every node of the region serves it and it survives restarts; instances stay in memory
 * (Distro). `naming_namespace` holds the namespaces beside `public` (which is never stored): created by
 * the console APIs or, with `implicit`, by the first naming write that named them.
 */
export class NamingCatalog1795650000000 implements MigrationInterface {
  name = 'NamingCatalog1795650000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "naming_service" (
        "namespace_id" character varying(256) NOT NULL,
        "group_name" character varying(256) NOT NULL,
        "service_name" character varying(256) NOT NULL,
        "ephemeral" boolean NOT NULL,
        "protect_threshold" real NOT NULL DEFAULT 0,
        "selector" jsonb NOT NULL DEFAULT '{"type":"none"}',
        "metadata" jsonb NOT NULL DEFAULT '{}',
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_naming_service" PRIMARY KEY ("namespace_id", "group_name", "service_name"),
        CONSTRAINT "CHK_naming_service_threshold" CHECK ("protect_threshold" >= 0 AND "protect_threshold" <= 1)
      )`);
    await q.query(`
      CREATE TABLE "naming_namespace" (
        "namespace_id" character varying(256) NOT NULL,
        "show_name" character varying(256) NOT NULL,
        "description" character varying(256) NOT NULL DEFAULT '',
        "implicit" boolean NOT NULL DEFAULT false,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_naming_namespace" PRIMARY KEY ("namespace_id"),
        CONSTRAINT "CHK_naming_namespace_not_public" CHECK ("namespace_id" <> 'public')
      )`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "naming_namespace"`);
    await q.query(`DROP TABLE "naming_service"`);
  }
}
