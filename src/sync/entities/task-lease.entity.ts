import { Column, Entity, Index, JoinColumn, ManyToOne, OneToOne, PrimaryColumn } from 'typeorm';
import { SyncTaskEntity } from './sync-task.entity';
import { WorkerEntity } from './worker.entity';

/** Which replica holds a task, until when, and the fencing generation of that holding. */
@Entity('task_lease')
@Index('IDX_task_lease_owner', ['owner'])
export class TaskLeaseEntity {
  @PrimaryColumn({ name: 'task_id', type: 'uuid', primaryKeyConstraintName: 'PK_task_lease' })
  taskId!: string;

  @OneToOne(() => SyncTaskEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'task_id', foreignKeyConstraintName: 'FK_task_lease_task' })
  task?: SyncTaskEntity;

  @Column({ type: 'varchar', length: 128, nullable: true })
  owner!: string | null;

  @ManyToOne(() => WorkerEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'owner', foreignKeyConstraintName: 'FK_task_lease_owner' })
  ownerWorker?: WorkerEntity;

  @Column({ type: 'bigint', default: 0 })
  generation!: string;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'acquired_at', type: 'timestamptz', nullable: true })
  acquiredAt!: Date | null;

  @Column({ name: 'renewed_at', type: 'timestamptz', nullable: true })
  renewedAt!: Date | null;
}
