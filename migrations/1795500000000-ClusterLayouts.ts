import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Registries that are not Nacos keep their services in a layout of paths or keys: a ZooKeeper
 * cluster holds Dubbo interfaces, Dubbo 3 applications or Spring Cloud services; an etcd cluster
 * gRPC naming endpoints or another framework's keys. `layout` names which (null for the Nacos-like
 * kinds, which have one), and `prefix` where it lives (the root path or key prefix; null = the
 * layout's default). `etcd` joins the kinds the schema accepts.
 */
export class ClusterLayouts1795500000000 implements MigrationInterface {
  name = 'ClusterLayouts1795500000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "cluster" ADD "layout" character varying(32)`);
    await q.query(`ALTER TABLE "cluster" ADD "prefix" character varying(512)`);
    await q.query(`ALTER TABLE "cluster" DROP CONSTRAINT "CHK_cluster_kind"`);
    await q.query(
      `ALTER TABLE "cluster" ADD CONSTRAINT "CHK_cluster_kind" CHECK ("kind" IN ('local', 'distro', 'nacos', 'zookeeper', 'etcd'))`,
    );
    await q.query(
      `ALTER TABLE "cluster" ADD CONSTRAINT "CHK_cluster_layout" CHECK (("layout" IS NULL) = ("kind" NOT IN ('zookeeper', 'etcd')))`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "cluster" DROP CONSTRAINT "CHK_cluster_layout"`);
    await q.query(`ALTER TABLE "cluster" DROP CONSTRAINT "CHK_cluster_kind"`);
    await q.query(
      `ALTER TABLE "cluster" ADD CONSTRAINT "CHK_cluster_kind" CHECK ("kind" IN ('local', 'distro', 'nacos', 'zookeeper'))`,
    );
    await q.query(`ALTER TABLE "cluster" DROP COLUMN "prefix"`);
    await q.query(`ALTER TABLE "cluster" DROP COLUMN "layout"`);
  }
}
