// The migrations in the order they apply. `npm run migration:generate` appends to this list; it
// lives outside migrations/ so that folder only ever gains files and never sees one edited.
import { InitialSchema1795314278003 } from '../../migrations/1795314278003-InitialSchema';
import { TaskCommands1795316000000 } from '../../migrations/1795316000000-TaskCommands';
import { ClusterNameCaseInsensitive1795316160000 } from '../../migrations/1795316160000-ClusterNameCaseInsensitive';
import { TaskRejectedAndRetry1795400000000 } from '../../migrations/1795400000000-TaskRejectedAndRetry';
import { ClusterLayouts1795500000000 } from '../../migrations/1795500000000-ClusterLayouts';
import { PersistentInstances1795600000000 } from '../../migrations/1795600000000-PersistentInstances';
import { NamingCatalog1795650000000 } from '../../migrations/1795650000000-NamingCatalog';
import { EventClusters1795750000000 } from '../../migrations/1795750000000-EventClusters';
import { Users1795800000000 } from '../../migrations/1795800000000-Users';
import { PersistentCopies1795910000000 } from '../../migrations/1795910000000-PersistentCopies';

export const MIGRATIONS = [
  InitialSchema1795314278003,
  TaskCommands1795316000000,
  ClusterNameCaseInsensitive1795316160000,
  TaskRejectedAndRetry1795400000000,
  ClusterLayouts1795500000000,
  PersistentInstances1795600000000,
  NamingCatalog1795650000000,
  EventClusters1795750000000,
  Users1795800000000,
  PersistentCopies1795910000000,
];
