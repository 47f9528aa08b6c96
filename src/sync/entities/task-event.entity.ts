import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ClusterEntity } from './cluster.entity';
import { SyncTaskEntity } from './sync-task.entity';

/** One line of the audit trail: an admin action or a state change, kept after its task is gone. */
@Entity('task_event')
@Index('IDX_task_event_task_created', ['taskId', 'createdAt'])
export class TaskEventEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint', primaryKeyConstraintName: 'PK_task_event' })
  id!: string;

  @Column({ name: 'task_id', type: 'uuid', nullable: true })
  taskId!: string | null;

  @ManyToOne(() => SyncTaskEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'task_id', foreignKeyConstraintName: 'FK_task_event_task' })
  task?: SyncTaskEntity;

  @Column({ name: 'task_name', type: 'varchar', length: 128, nullable: true })
  taskName!: string | null;

  @Column({ name: 'cluster_id', type: 'uuid', nullable: true })
  clusterId!: string | null;

  @ManyToOne(() => ClusterEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'cluster_id', foreignKeyConstraintName: 'FK_task_event_cluster' })
  cluster?: ClusterEntity;

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
