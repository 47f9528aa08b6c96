import { Check, Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { SyncTaskEntity } from './sync-task.entity';

/** The ledger: one copy a task wrote into its target, exactly as written. */
@Entity('synced_instance')
@Check('CHK_synced_instance_port', `"port" > 0 AND "port" <= 65535`)
export class SyncedInstanceEntity {
  @PrimaryColumn({ name: 'task_id', type: 'uuid', primaryKeyConstraintName: 'PK_synced_instance' })
  taskId!: string;

  @ManyToOne(() => SyncTaskEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'task_id', foreignKeyConstraintName: 'FK_synced_instance_task' })
  task?: SyncTaskEntity;

  @PrimaryColumn({ type: 'varchar', length: 128, primaryKeyConstraintName: 'PK_synced_instance' })
  namespace!: string;

  @PrimaryColumn({ name: 'group_name', type: 'varchar', length: 128, primaryKeyConstraintName: 'PK_synced_instance' })
  groupName!: string;

  @PrimaryColumn({ name: 'service_name', type: 'varchar', length: 512, primaryKeyConstraintName: 'PK_synced_instance' })
  serviceName!: string;

  @PrimaryColumn({ name: 'cluster_name', type: 'varchar', length: 128, primaryKeyConstraintName: 'PK_synced_instance' })
  clusterName!: string;

  @PrimaryColumn({ type: 'varchar', length: 64, primaryKeyConstraintName: 'PK_synced_instance' })
  ip!: string;

  @PrimaryColumn({ type: 'integer', primaryKeyConstraintName: 'PK_synced_instance' })
  port!: number;

  @Column({ type: 'double precision' })
  weight!: number;

  @Column({ type: 'boolean' })
  healthy!: boolean;

  @Column({ type: 'boolean' })
  enabled!: boolean;

  /** False for a persistent copy (migration 1795910000000). */
  @Column({ type: 'boolean', default: true })
  ephemeral!: boolean;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  metadata!: Record<string, string>;

  @Column({ type: 'bigint' })
  generation!: string;

  @Column({ name: 'written_at', type: 'timestamptz', default: () => 'now()' })
  writtenAt!: Date;
}
