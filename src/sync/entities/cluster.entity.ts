import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
} from 'typeorm';

export const CLUSTER_KINDS = ['local', 'distro', 'nacos', 'zookeeper', 'etcd'] as const;
export type ClusterKind = (typeof CLUSTER_KINDS)[number];

/** A registry that sync tasks read from or write into. */
@Entity('cluster')
@Unique('UQ_cluster_name', ['name'])
// Unique on lower(name) (migration ClusterNameCaseInsensitive): names are unique regardless of case.
@Index('UQ_cluster_name_ci', { synchronize: false })
@Check('CHK_cluster_kind', `"kind" IN ('local', 'distro', 'nacos', 'zookeeper', 'etcd')`)
@Check('CHK_cluster_layout', `("layout" IS NULL) = ("kind" NOT IN ('zookeeper', 'etcd'))`)
@Check('CHK_cluster_name', `length("name") > 0`)
@Check('CHK_cluster_addresses', `("kind" = 'local') = (cardinality("addresses") = 0)`)
@Index('UQ_cluster_single_local', ['kind'], { unique: true, where: `"kind" = 'local'` })
export class ClusterEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_cluster' })
  id!: string;

  @Column({ type: 'varchar', length: 128 })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: ClusterKind;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  addresses!: string[];

  @Column({ type: 'varchar', length: 128, nullable: true })
  namespace!: string | null;

  @Column({ type: 'varchar', length: 128, nullable: true })
  username!: string | null;

  /** How a ZooKeeper or etcd cluster lays out its services (see cluster-kinds.ts); null for the other kinds. */
  @Column({ type: 'varchar', length: 32, nullable: true })
  layout!: string | null;

  /** Root path (ZooKeeper) or key prefix (etcd) of the layout; null = the layout's default. */
  @Column({ type: 'varchar', length: 512, nullable: true })
  prefix!: string | null;

  /** AES-GCM sealed JSON of the secrets (password, token); never leaves the service layer. */
  @Column({ type: 'bytea', nullable: true })
  credentials!: Buffer | null;

  @Column({ type: 'varchar', length: 512, nullable: true })
  description!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
