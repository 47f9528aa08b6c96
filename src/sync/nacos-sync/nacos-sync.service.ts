import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { ValidationError } from 'class-validator';
import type { ClusterEntity, SyncTaskEntity } from '../entities';
import { ClusterService } from '../clusters/cluster.service';
import { ClusterCreateDto } from '../clusters/cluster.dto';
import { SyncStore } from '../store/sync-store';
import { TaskCreateDto } from '../tasks/task.dto';
import { TaskService } from '../tasks/task.service';
import type {
  NsClusterAddRequest,
  NsClusterListQuery,
  NsClusterModel,
  NsTaskAddAllRequest,
  NsTaskAddRequest,
  NsTaskListQuery,
  NsTaskModel,
  NsTaskUpdateRequest,
} from './nacos-sync.dto';
import {
  NACOS_SYNC_TYPES,
  UNSUPPORTED_TYPES,
  clusterIdOf,
  isOwnId,
  kindOf,
  serviceNameFrom,
  serviceNameOf,
  taskIdOf,
  taskStatusOf,
  typeOf,
} from './nacos-sync-ids';

export interface NsPage<T> {
  items: T[];
  totalPage: number;
  totalSize: number;
  currentSize: number;
}

/** Our field names as Nacos-Sync's requests call them, for the messages of a refused request. */
const REQUEST_FIELDS: Record<string, string> = {
  name: 'clusterName',
  addresses: 'connectKeyList',
  username: 'userName',
  token: 'password',
  targetClusterId: 'destClusterId',
  namespace: 'nameSpace',
};

/**
 * Nacos-Sync 0.5's cluster and task operations, mapped onto our clusters and tasks (docs/sync.md,
 * "Nacos-Sync API"). Ids are Nacos-Sync's (MD5s derived from names) and ours (UUIDs) alike. Every
 * failure is an exception whose message the envelope filter returns as `resultMessage`.
 */
@Injectable()
export class NacosSyncService {
  constructor(
    private readonly store: SyncStore,
    private readonly clusters: ClusterService,
    private readonly tasks: TaskService,
  ) {}

  types(): string[] {
    return [...NACOS_SYNC_TYPES];
  }

  async addCluster(req: NsClusterAddRequest): Promise<void> {
    const kind = kindOf(req.clusterType);
    if (!kind) {
      throw new BadRequestException(
        (UNSUPPORTED_TYPES as readonly string[]).includes(req.clusterType)
          ? `clusterType ${req.clusterType} is not supported by distro-sync (it speaks ${NACOS_SYNC_TYPES.join(', ')})`
          : `clusterType does not exist: ${req.clusterType} (one of ${NACOS_SYNC_TYPES.join(', ')})`,
      );
    }
    if (kind !== 'local' && req.connectKeyList.length === 0)
      throw new BadRequestException('connectKeyList must not be empty');
    const dto = await validated(ClusterCreateDto, {
      name: req.clusterName,
      kind,
      addresses: kind === 'local' ? [] : req.connectKeyList,
      namespace: req.namespace,
      // A distro region authenticates with a token: Nacos-Sync's password field carries it.
      username: kind === 'distro' ? undefined : req.userName,
      password: kind === 'distro' ? undefined : req.password,
      token: kind === 'distro' ? req.password : undefined,
    });
    await this.clusters.create(dto);
  }

  async deleteCluster(id: string): Promise<void> {
    await this.clusters.remove((await this.cluster(id)).id);
  }

  async listClusters(q: NsClusterListQuery): Promise<NsPage<NsClusterModel>> {
    const part = q.clusterName?.toLowerCase();
    const all = (await this.store.clusters.all())
      .filter((c) => part === undefined || c.name.toLowerCase().includes(part))
      .sort(newestFirst);
    return paged(all.map(clusterModel), q.pageNum, q.pageSize);
  }

  async clusterDetail(id: string): Promise<NsClusterModel> {
    return clusterModel(await this.cluster(id));
  }

  /** Adds a task, or sets an existing one with the same selector back to SYNC (as Nacos-Sync does). */
  async addTask(req: NsTaskAddRequest): Promise<void> {
    const [source, dest] = [await this.cluster(req.sourceClusterId), await this.cluster(req.destClusterId)];
    const dto = await validated(TaskCreateDto, {
      sourceClusterId: source.id,
      targetClusterId: dest.id,
      serviceName: serviceNameFrom(req.serviceName),
      groupName: req.groupName ?? 'DEFAULT_GROUP',
      namespace: req.nameSpace ?? source.namespace ?? 'public',
    });
    await this.addOrResync(dto);
  }

  /**
   * Nacos-Sync's addAll lists the source's services once and adds a task per service; here one task
   * selects every service (`*`) of every group, so services added later are copied too (Nacos-Sync's
   * covers one group only); a Nacos source's groups are read from its console catalog.
   */
  async addAll(req: NsTaskAddAllRequest): Promise<void> {
    const [source, dest] = [await this.cluster(req.sourceClusterId), await this.cluster(req.destClusterId)];
    const oneNamespace = (c: ClusterEntity): string | undefined =>
      c.kind === 'nacos' || c.kind === 'etcd' ? (c.namespace ?? 'public') : (c.namespace ?? undefined);
    const dto = await validated(TaskCreateDto, {
      sourceClusterId: source.id,
      targetClusterId: dest.id,
      serviceName: '*',
      groupName: '*',
      namespace: oneNamespace(source) ?? oneNamespace(dest) ?? '*',
      exclude: req.excludeConsumer ? ['consumers:*'] : [],
    });
    await this.addOrResync(dto);
  }

  async updateTask(req: NsTaskUpdateRequest): Promise<void> {
    if (req.taskStatus !== 'SYNC' && req.taskStatus !== 'DELETE')
      throw new BadRequestException(`taskStatus must be SYNC or DELETE, not ${req.taskStatus}`);
    const task = await this.task(req.taskId);
    if (req.taskStatus === 'DELETE') await this.tasks.remove(task.id);
    else await this.resync(task);
  }

  async deleteTask(id: string): Promise<void> {
    await this.tasks.remove((await this.task(id)).id);
  }

  /** Deletes every task named, or none when one id names no task. */
  async deleteTasks(ids: string[]): Promise<void> {
    const found: string[] = [];
    for (const id of ids) found.push((await this.task(id)).id);
    await this.tasks.removeMany(found);
  }

  async listTasks(q: NsTaskListQuery): Promise<NsPage<NsTaskModel>> {
    const part = q.serviceName?.toLowerCase();
    const models = (await this.taskIndex())
      .sort((x, y) => newestFirst(x.task, y.task))
      .map((t) => t.model)
      .filter((m) => part === undefined || m.serviceName.toLowerCase().includes(part));
    return paged(models, q.pageNum, q.pageSize);
  }

  async taskDetail(id: string): Promise<NsTaskModel> {
    const task = await this.task(id);
    const found = (await this.taskIndex()).find((t) => t.task.id === task.id);
    if (!found) throw new NotFoundException(`task ${id} not found`);
    return found.model;
  }

  private async addOrResync(dto: TaskCreateDto): Promise<void> {
    const same = await this.store.tasks.transaction((tx) =>
      this.store.tasks.findSame(tx, {
        sourceClusterId: dto.sourceClusterId,
        targetClusterId: dto.targetClusterId,
        namespace: dto.namespace,
        groupName: dto.groupName,
        serviceName: dto.serviceName,
      }),
    );
    if (!same) {
      await this.tasks.create(dto);
      return;
    }
    if (JSON.stringify(same.exclude) !== JSON.stringify(dto.exclude) && same.status !== 'deleting')
      await this.tasks.update(same.id, { exclude: dto.exclude });
    await this.resync(same);
  }

  /** SYNC on a task: a paused one resumes, a running one reconciles now, a deleting one cannot. */
  private async resync(task: SyncTaskEntity): Promise<void> {
    if (task.status === 'deleting')
      throw new ConflictException(`task ${task.name} is being deleted: add it again once its copies are withdrawn`);
    if (task.status === 'paused') await this.tasks.resume(task.id);
    else await this.tasks.requestResync(task.id);
  }

  private async cluster(id: string): Promise<ClusterEntity> {
    if (isOwnId(id)) return this.clusters.get(id);
    const found = (await this.store.clusters.all()).find((c) => clusterIdOf(c) === id);
    if (!found) throw new NotFoundException(`cluster ${id} not found`);
    return found;
  }

  private async task(id: string): Promise<SyncTaskEntity> {
    if (isOwnId(id)) return (await this.tasks.get(id)).task;
    const found = (await this.taskIndex()).find((t) => t.model.taskId === id);
    if (!found) throw new NotFoundException(`task ${id} not found`);
    return found.task;
  }

  /** Every task with its Nacos-Sync model (ids derived from the clusters' names). */
  private async taskIndex(): Promise<Array<{ task: SyncTaskEntity; model: NsTaskModel }>> {
    const clusters = new Map((await this.store.clusters.all()).map((c) => [c.id, c]));
    return (await this.store.tasks.all()).flatMap((task) => {
      const source = clusters.get(task.sourceClusterId);
      const dest = clusters.get(task.targetClusterId);
      if (!source || !dest) return [];
      const serviceName = serviceNameOf(task, source.kind);
      const [sourceClusterId, destClusterId] = [clusterIdOf(source), clusterIdOf(dest)];
      const model: NsTaskModel = {
        taskId: taskIdOf(serviceName, task.groupName, sourceClusterId, destClusterId),
        sourceClusterId,
        destClusterId,
        serviceName,
        groupName: task.groupName,
        taskStatus: taskStatusOf(task.status),
      };
      return [{ task, model }];
    });
  }
}

function clusterModel(c: ClusterEntity): NsClusterModel {
  return {
    clusterId: clusterIdOf(c),
    connectKeyList: JSON.stringify(c.addresses),
    clusterName: c.name,
    clusterType: typeOf(c.kind),
    namespace: c.namespace,
    userName: c.username,
  };
}

function newestFirst(a: { createdAt: Date }, b: { createdAt: Date }): number {
  return b.createdAt.getTime() - a.createdAt.getTime();
}

function paged<T>(all: T[], pageNum: number, pageSize: number): NsPage<T> {
  const items = all.slice((pageNum - 1) * pageSize, pageNum * pageSize);
  return { items, totalPage: Math.ceil(all.length / pageSize), totalSize: all.length, currentSize: items.length };
}

/** A DTO of ours built from a Nacos-Sync request and validated as the admin API validates it (400 with the messages). */
async function validated<T extends object>(cls: new () => T, plain: Record<string, unknown>): Promise<T> {
  const defined = Object.fromEntries(Object.entries(plain).filter(([, v]) => v !== undefined));
  const dto = plainToInstance(cls, defined);
  const errors = await validate(dto, { whitelist: true, forbidUnknownValues: true });
  if (errors.length > 0) throw new BadRequestException(messagesOf(errors).join('; '));
  return dto;
}

function messagesOf(errors: ValidationError[]): string[] {
  return errors.flatMap((e) =>
    Object.values(e.constraints ?? {}).map((m) =>
      m.replace(/^(each )?(\w+)/, (whole, each: string | undefined, field: string) =>
        REQUEST_FIELDS[field] ? `${each ?? ''}${REQUEST_FIELDS[field]}` : whole,
      ),
    ),
  );
}
