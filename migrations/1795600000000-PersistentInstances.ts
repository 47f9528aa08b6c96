import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Persistent instances (Nacos `ephemeral=false`) kept in the region's database, one row per address
 * (namespace, group, service, cluster, ip, port) with the version and writer of its last write, so a
 * node loading them merges by version with what Distro holds: a deregistration is a row marked
 * `deleted` (a tombstone) with its version, never a deleted row, so no older write can bring the
 * instance back; tombstones past the Distro tombstone window are purged. `writer` compares in the C
 * collation, byte order, as the nodes compare writer ids. Beside them, the health checker of a
 * cluster (Nacos's `PUT /cluster`): TCP, HTTP or NONE, the port checked and the cluster metadata.
 */
export class PersistentInstances1795600000000 implements MigrationInterface {
  name = 'PersistentInstances1795600000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "persistent_instance" (
        "namespace" text NOT NULL,
        "group_name" text NOT NULL,
        "service_name" text NOT NULL,
        "cluster_name" text NOT NULL,
        "ip" text NOT NULL,
        "port" integer NOT NULL,
        "weight" double precision NOT NULL DEFAULT 1,
        "healthy" boolean NOT NULL DEFAULT true,
        "enabled" boolean NOT NULL DEFAULT true,
        "metadata" jsonb NOT NULL DEFAULT '{}',
        "instance_id" text,
        "deleted" boolean NOT NULL DEFAULT false,
        "version" bigint NOT NULL,
        "writer" text COLLATE "C" NOT NULL,
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_persistent_instance" PRIMARY KEY ("namespace", "group_name", "service_name", "cluster_name", "ip", "port"),
        CONSTRAINT "CHK_persistent_instance_port" CHECK ("port" BETWEEN 1 AND 65535),
        CONSTRAINT "CHK_persistent_instance_version" CHECK ("version" > 0)
      )`);
    await q.query(
      `CREATE INDEX "IDX_persistent_instance_tombstone" ON "persistent_instance" ("version") WHERE "deleted"`,
    );
    await q.query(`
      CREATE TABLE "cluster_health_checker" (
        "namespace" text NOT NULL,
        "group_name" text NOT NULL,
        "service_name" text NOT NULL,
        "cluster_name" text NOT NULL,
        "checker" jsonb NOT NULL,
        "check_port" integer NOT NULL DEFAULT 80,
        "use_instance_port" boolean NOT NULL DEFAULT true,
        "metadata" jsonb NOT NULL DEFAULT '{}',
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_cluster_health_checker" PRIMARY KEY ("namespace", "group_name", "service_name", "cluster_name"),
        CONSTRAINT "CHK_cluster_health_checker_port" CHECK ("check_port" BETWEEN 0 AND 65535)
      )`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "cluster_health_checker"`);
    await q.query(`DROP TABLE "persistent_instance"`);
  }
}
