import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One replica's heartbeat: who is alive to hold task leases. */
@Entity('worker')
@Index('IDX_worker_heartbeat', ['heartbeatAt'])
export class WorkerEntity {
  @PrimaryColumn({ type: 'varchar', length: 128, primaryKeyConstraintName: 'PK_worker' })
  id!: string;

  @Column({ type: 'varchar', length: 255 })
  hostname!: string;

  @Column({ type: 'integer' })
  pid!: number;

  @Column({ type: 'varchar', length: 32 })
  version!: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  address!: string | null;

  @Column({ name: 'started_at', type: 'timestamptz', default: () => 'now()' })
  startedAt!: Date;

  @Column({ name: 'heartbeat_at', type: 'timestamptz', default: () => 'now()' })
  heartbeatAt!: Date;
}
