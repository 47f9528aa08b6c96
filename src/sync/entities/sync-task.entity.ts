import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
} from 'typeorm';
import { ClusterEntity } from './cluster.entity';

export const TASK_STATUSES = ['running', 'paused', 'deleting'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** What to copy: instances of a source cluster matching a selector, into a target cluster. */
@Entity('sync_task')
@Unique('UQ_sync_task_name', ['name'])
@Unique('UQ_sync_task_selector', ['sourceClusterId', 'targetClusterId', 'namespace', 'groupName', 'serviceName'])
@Check('CHK_sync_task_distinct_clusters', `"source_cluster_id" <> "target_cluster_id"`)
@Check('CHK_sync_task_status', `"status" IN ('running', 'paused', 'deleting')`)
@Check('CHK_sync_task_max_delete_ratio', `"max_delete_ratio" >= 0 AND "max_delete_ratio" <= 1`)
@Index('IDX_sync_task_target', ['targetClusterId'])
export class SyncTaskEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_sync_task' })
  id!: string;

  @Column({ type: 'varchar', length: 128 })
  name!: string;

  @Column({ name: 'source_cluster_id', type: 'uuid' })
  sourceClusterId!: string;

  @ManyToOne(() => ClusterEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'source_cluster_id', foreignKeyConstraintName: 'FK_sync_task_source' })
  sourceCluster?: ClusterEntity;

  @Column({ name: 'target_cluster_id', type: 'uuid' })
  targetClusterId!: string;

  @ManyToOne(() => ClusterEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'target_cluster_id', foreignKeyConstraintName: 'FK_sync_task_target' })
  targetCluster?: ClusterEntity;

  @Column({ type: 'varchar', length: 128, default: 'public' })
  namespace!: string;

  @Column({ name: 'group_name', type: 'varchar', length: 128, default: 'DEFAULT_GROUP' })
  groupName!: string;

  @Column({ name: 'service_name', type: 'varchar', length: 512 })
  serviceName!: string;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  exclude!: string[];

  @Column({ name: 'max_delete_ratio', type: 'double precision', default: () => '0.5' })
  maxDeleteRatio!: number;

  @Column({ type: 'varchar', length: 16, default: 'running' })
  status!: TaskStatus;

  /** Set by an operator's resync; the holder reconciles when it sees a newer value. */
  @Column({ name: 'resync_requested_at', type: 'timestamptz', nullable: true })
  resyncRequestedAt!: Date | null;

  /** Set by an operator's release-hold; the holder applies held deletions when it sees a newer value. */
  @Column({ name: 'hold_release_requested_at', type: 'timestamptz', nullable: true })
  holdReleaseRequestedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
