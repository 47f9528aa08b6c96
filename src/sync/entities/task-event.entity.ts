import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ClusterEntity } from './cluster.entity';

/** One line of the audit trail: an admin action or a state change, kept after its task is gone. */
@Entity('task_event')
@Index('IDX_task_event_task_created', ['taskId', 'createdAt'])
@Index('IDX_task_event_created', ['createdAt'])
// GIN over cluster_ids (migration EventClusters): the events of a cluster, its tasks' included.
@Index('IDX_task_event_clusters', { synchronize: false })
export class TaskEventEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint', primaryKeyConstraintName: 'PK_task_event' })
  id!: string;

  /** The task the event is about; a plain value, not a key, so it stays when the task goes. */
  @Column({ name: 'task_id', type: 'uuid', nullable: true })
  taskId!: string | null;

  @Column({ name: 'task_name', type: 'varchar', length: 128, nullable: true })
  taskName!: string | null;

  @Column({ name: 'cluster_id', type: 'uuid', nullable: true })
  clusterId!: string | null;

  @ManyToOne(() => ClusterEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'cluster_id', foreignKeyConstraintName: 'FK_task_event_cluster' })
  cluster?: ClusterEntity;

  /** The clusters the event is about (a task's source and target, or the cluster changed); kept after they go. */
  @Column({ name: 'cluster_ids', type: 'uuid', array: true, default: () => "'{}'" })
  clusterIds!: string[];

  @Column({ type: 'varchar', length: 64 })
  kind!: string;

  @Column({ type: 'varchar', length: 128 })
  actor!: string;

  @Column({ type: 'varchar', length: 2048 })
  message!: string;

  @Column({ type: 'jsonb', nullable: true })
  details!: Record<string, unknown> | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
