import { ClusterEntity } from './cluster.entity';
import { SyncTaskEntity } from './sync-task.entity';
import { SyncedInstanceEntity } from './synced-instance.entity';
import { TaskEventEntity } from './task-event.entity';
import { TaskLeaseEntity } from './task-lease.entity';
import { TaskStateEntity } from './task-state.entity';
import { WorkerEntity } from './worker.entity';

export * from './cluster.entity';
export * from './sync-task.entity';
export * from './synced-instance.entity';
export * from './task-event.entity';
export * from './task-lease.entity';
export * from './task-state.entity';
export * from './worker.entity';

/** Every entity of the schema, for the DataSource. */
export const ENTITIES = [
  ClusterEntity,
  SyncTaskEntity,
  WorkerEntity,
  TaskLeaseEntity,
  TaskStateEntity,
  SyncedInstanceEntity,
  TaskEventEntity,
];
