import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { SyncTaskEntity } from './sync-task.entity';

/** Deletions held back by protect mode until confirmed or released. */
export interface TaskHold {
  since: string;
  wouldDelete: number;
  total: number;
  expiresAt: string;
}

/** A source instance the ledger or the target refused, as task_state.rejected lists it. */
export interface TaskRejectedCopy {
  service: string;
  address: string;
  clusterName: string;
  refusedBy: 'ledger' | 'target';
  reason: string;
  since: string;
  attempts: number;
  retryAt: string;
}

/** The live state of a task as its current holder last saw it. */
@Entity('task_state')
export class TaskStateEntity {
  @PrimaryColumn({ name: 'task_id', type: 'uuid', primaryKeyConstraintName: 'PK_task_state' })
  taskId!: string;

  @OneToOne(() => SyncTaskEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'task_id', foreignKeyConstraintName: 'FK_task_state_task' })
  task?: SyncTaskEntity;

  @Column({ name: 'source_reachable', type: 'boolean', nullable: true })
  sourceReachable!: boolean | null;

  @Column({ name: 'target_reachable', type: 'boolean', nullable: true })
  targetReachable!: boolean | null;

  @Column({ type: 'integer', default: 0 })
  desired!: number;

  @Column({ type: 'integer', default: 0 })
  applied!: number;

  @Column({ name: 'last_reconcile_at', type: 'timestamptz', nullable: true })
  lastReconcileAt!: Date | null;

  @Column({ name: 'last_change_at', type: 'timestamptz', nullable: true })
  lastChangeAt!: Date | null;

  @Column({ name: 'lag_ms', type: 'integer', nullable: true })
  lagMs!: number | null;

  @Column({ name: 'last_error', type: 'varchar', length: 2048, nullable: true })
  lastError!: string | null;

  @Column({ type: 'jsonb', nullable: true })
  hold!: TaskHold | null;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  rejected!: TaskRejectedCopy[];

  @Column({ name: 'rejected_count', type: 'integer', default: 0 })
  rejectedCount!: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt!: Date | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
