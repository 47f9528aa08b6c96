import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The tables the sync side keeps in Postgres: registries (cluster), what to copy (sync_task),
 * who copies it (task_lease, worker), how it goes (task_state), what was written into each target
 * (synced_instance, the ledger) and the audit trail (task_event). Instance data itself is not here:
 * it is ephemeral and replicated by Distro.
 */
export class InitialSchema1795314278003 implements MigrationInterface {
  name = 'InitialSchema1795314278003';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "cluster" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "name" character varying(128) NOT NULL,
        "kind" character varying(16) NOT NULL,
        "addresses" text array NOT NULL DEFAULT '{}',
        "namespace" character varying(128),
        "username" character varying(128),
        "credentials" bytea,
        "description" character varying(512),
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_cluster" PRIMARY KEY ("id"),
        CONSTRAINT "UQ_cluster_name" UNIQUE ("name"),
        CONSTRAINT "CHK_cluster_kind" CHECK ("kind" IN ('local', 'distro', 'nacos', 'zookeeper')),
        CONSTRAINT "CHK_cluster_name" CHECK (length("name") > 0),
        CONSTRAINT "CHK_cluster_addresses" CHECK (("kind" = 'local') = (cardinality("addresses") = 0))
      )`);
    // At most one row describes the region this process belongs to.
    await q.query(`CREATE UNIQUE INDEX "UQ_cluster_single_local" ON "cluster" ("kind") WHERE "kind" = 'local'`);

    await q.query(`
      CREATE TABLE "sync_task" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "name" character varying(128) NOT NULL,
        "source_cluster_id" uuid NOT NULL,
        "target_cluster_id" uuid NOT NULL,
        "namespace" character varying(128) NOT NULL DEFAULT 'public',
        "group_name" character varying(128) NOT NULL DEFAULT 'DEFAULT_GROUP',
        "service_name" character varying(512) NOT NULL,
        "exclude" text array NOT NULL DEFAULT '{}',
        "max_delete_ratio" double precision NOT NULL DEFAULT 0.5,
        "status" character varying(16) NOT NULL DEFAULT 'running',
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_sync_task" PRIMARY KEY ("id"),
        CONSTRAINT "UQ_sync_task_name" UNIQUE ("name"),
        CONSTRAINT "UQ_sync_task_selector" UNIQUE ("source_cluster_id", "target_cluster_id", "namespace", "group_name", "service_name"),
        CONSTRAINT "CHK_sync_task_distinct_clusters" CHECK ("source_cluster_id" <> "target_cluster_id"),
        CONSTRAINT "CHK_sync_task_status" CHECK ("status" IN ('running', 'paused', 'deleting')),
        CONSTRAINT "CHK_sync_task_max_delete_ratio" CHECK ("max_delete_ratio" >= 0 AND "max_delete_ratio" <= 1),
        CONSTRAINT "FK_sync_task_source" FOREIGN KEY ("source_cluster_id") REFERENCES "cluster"("id") ON DELETE RESTRICT,
        CONSTRAINT "FK_sync_task_target" FOREIGN KEY ("target_cluster_id") REFERENCES "cluster"("id") ON DELETE RESTRICT
      )`);
    await q.query(`CREATE INDEX "IDX_sync_task_target" ON "sync_task" ("target_cluster_id")`);

    await q.query(`
      CREATE TABLE "worker" (
        "id" character varying(128) NOT NULL,
        "hostname" character varying(255) NOT NULL,
        "pid" integer NOT NULL,
        "version" character varying(32) NOT NULL,
        "address" character varying(255),
        "started_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "heartbeat_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_worker" PRIMARY KEY ("id")
      )`);
    await q.query(`CREATE INDEX "IDX_worker_heartbeat" ON "worker" ("heartbeat_at")`);

    // The lease is its own row so that renewals every few seconds do not rewrite task rows.
    // generation is the fencing token: it grows on every change of owner, and every write a
    // worker makes checks it, so a replica that lost the lease can never write.
    await q.query(`
      CREATE TABLE "task_lease" (
        "task_id" uuid NOT NULL,
        "owner" character varying(128),
        "generation" bigint NOT NULL DEFAULT 0,
        "expires_at" TIMESTAMP WITH TIME ZONE,
        "acquired_at" TIMESTAMP WITH TIME ZONE,
        "renewed_at" TIMESTAMP WITH TIME ZONE,
        CONSTRAINT "PK_task_lease" PRIMARY KEY ("task_id"),
        CONSTRAINT "FK_task_lease_task" FOREIGN KEY ("task_id") REFERENCES "sync_task"("id") ON DELETE CASCADE,
        CONSTRAINT "FK_task_lease_owner" FOREIGN KEY ("owner") REFERENCES "worker"("id") ON DELETE SET NULL
      )`);
    await q.query(`CREATE INDEX "IDX_task_lease_owner" ON "task_lease" ("owner")`);

    await q.query(`
      CREATE TABLE "task_state" (
        "task_id" uuid NOT NULL,
        "source_reachable" boolean,
        "target_reachable" boolean,
        "desired" integer NOT NULL DEFAULT 0,
        "applied" integer NOT NULL DEFAULT 0,
        "last_reconcile_at" TIMESTAMP WITH TIME ZONE,
        "last_change_at" TIMESTAMP WITH TIME ZONE,
        "lag_ms" integer,
        "last_error" character varying(2048),
        "hold" jsonb,
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_task_state" PRIMARY KEY ("task_id"),
        CONSTRAINT "FK_task_state_task" FOREIGN KEY ("task_id") REFERENCES "sync_task"("id") ON DELETE CASCADE
      )`);

    // The ledger: every copy a task wrote into its target. RESTRICT, not CASCADE: a task row can
    // only go once its copies are withdrawn and its ledger emptied, so no copy is ever orphaned.
    await q.query(`
      CREATE TABLE "synced_instance" (
        "task_id" uuid NOT NULL,
        "namespace" character varying(128) NOT NULL,
        "group_name" character varying(128) NOT NULL,
        "service_name" character varying(512) NOT NULL,
        "cluster_name" character varying(128) NOT NULL,
        "ip" character varying(64) NOT NULL,
        "port" integer NOT NULL,
        "weight" double precision NOT NULL,
        "healthy" boolean NOT NULL,
        "enabled" boolean NOT NULL,
        "metadata" jsonb NOT NULL DEFAULT '{}',
        "generation" bigint NOT NULL,
        "written_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_synced_instance" PRIMARY KEY ("task_id", "namespace", "group_name", "service_name", "cluster_name", "ip", "port"),
        CONSTRAINT "CHK_synced_instance_port" CHECK ("port" > 0 AND "port" <= 65535),
        CONSTRAINT "FK_synced_instance_task" FOREIGN KEY ("task_id") REFERENCES "sync_task"("id") ON DELETE RESTRICT
      )`);

    // The audit trail outlives the task it is about (SET NULL keeps the row, task_name keeps the name).
    await q.query(`
      CREATE TABLE "task_event" (
        "id" bigserial NOT NULL,
        "task_id" uuid,
        "task_name" character varying(128),
        "cluster_id" uuid,
        "kind" character varying(64) NOT NULL,
        "actor" character varying(128) NOT NULL,
        "message" character varying(2048) NOT NULL,
        "details" jsonb,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_task_event" PRIMARY KEY ("id"),
        CONSTRAINT "FK_task_event_task" FOREIGN KEY ("task_id") REFERENCES "sync_task"("id") ON DELETE SET NULL,
        CONSTRAINT "FK_task_event_cluster" FOREIGN KEY ("cluster_id") REFERENCES "cluster"("id") ON DELETE SET NULL
      )`);
    await q.query(`CREATE INDEX "IDX_task_event_task_created" ON "task_event" ("task_id", "created_at")`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "task_event"`);
    await q.query(`DROP TABLE "synced_instance"`);
    await q.query(`DROP TABLE "task_state"`);
    await q.query(`DROP TABLE "task_lease"`);
    await q.query(`DROP TABLE "worker"`);
    await q.query(`DROP TABLE "sync_task"`);
    await q.query(`DROP TABLE "cluster"`);
  }
}
