import { Body, Controller, Delete, Get, HttpCode, Post, Query, UseFilters } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminApi } from '@/admin/admin-token.guard';
import {
  NsBaseResult,
  NsClusterAddRequest,
  NsClusterDetailResult,
  NsClusterIdQuery,
  NsClusterListQuery,
  NsClusterListResult,
  NsClusterTypeResult,
  NsTaskAddAllRequest,
  NsTaskAddRequest,
  NsTaskDetailResult,
  NsTaskIdQuery,
  NsTaskIdsQuery,
  NsTaskListQuery,
  NsTaskListResult,
  NsTaskUpdateRequest,
  succeeded,
} from './nacos-sync.dto';
import { NacosSyncEnvelopeFilter } from './nacos-sync-envelope.filter';
import { NacosSyncService } from './nacos-sync.service';

/**
 * Nacos-Sync 0.5's REST API (`ClusterApi`, `TaskApi`): the same paths, request fields, envelope and
 * status values, over our clusters and tasks, behind the admin token. docs/sync.md lists every difference.
 */
@ApiTags('nacos-sync')
@AdminApi()
@UseFilters(NacosSyncEnvelopeFilter)
@Controller('v1')
export class NacosSyncController {
  constructor(private readonly sync: NacosSyncService) {}

  @Post('cluster/add')
  @HttpCode(200)
  @ApiOperation({ summary: 'Nacos-Sync: register a cluster (clusterType NACOS, ZK, DISTRO, ETCD or LOCAL)' })
  @ApiOkResponse({ type: NsBaseResult })
  async addCluster(@Body() req: NsClusterAddRequest): Promise<NsBaseResult> {
    await this.sync.addCluster(req);
    return succeeded({});
  }

  @Delete('cluster/delete')
  @ApiOperation({ summary: 'Nacos-Sync: remove a cluster no task uses' })
  @ApiOkResponse({ type: NsBaseResult })
  async deleteCluster(@Query() q: NsClusterIdQuery): Promise<NsBaseResult> {
    await this.sync.deleteCluster(q.clusterId);
    return succeeded({});
  }

  @Get('cluster/list')
  @ApiOperation({ summary: 'Nacos-Sync: clusters, newest first, paged (pageNum from 1), filtered by part of the name' })
  @ApiOkResponse({ type: NsClusterListResult })
  async listClusters(@Query() q: NsClusterListQuery): Promise<NsClusterListResult> {
    const { items, ...page } = await this.sync.listClusters(q);
    return succeeded({ clusterModels: items, ...page });
  }

  @Get('cluster/detail')
  @ApiOperation({ summary: 'Nacos-Sync: one cluster' })
  @ApiOkResponse({ type: NsClusterDetailResult })
  async clusterDetail(@Query() q: NsClusterIdQuery): Promise<NsClusterDetailResult> {
    return succeeded({ clusterModel: await this.sync.clusterDetail(q.clusterId) });
  }

  @Get('cluster/types')
  @ApiOperation({ summary: 'Nacos-Sync: the cluster types distro-sync speaks' })
  @ApiOkResponse({ type: NsClusterTypeResult })
  types(): NsClusterTypeResult {
    return succeeded({ types: this.sync.types() });
  }

  @Post('task/add')
  @HttpCode(200)
  @ApiOperation({ summary: 'Nacos-Sync: add a task (serviceName ALL = every service); an existing one is set to SYNC' })
  @ApiOkResponse({ type: NsBaseResult })
  async addTask(@Body() req: NsTaskAddRequest): Promise<NsBaseResult> {
    await this.sync.addTask(req);
    return succeeded({});
  }

  @Post('task/addAll')
  @HttpCode(200)
  @ApiOperation({ summary: 'Nacos-Sync: copy every service of the source (one task selecting all of them)' })
  @ApiOkResponse({ type: NsBaseResult })
  async addAll(@Body() req: NsTaskAddAllRequest): Promise<NsBaseResult> {
    await this.sync.addAll(req);
    return succeeded({});
  }

  @Post('task/update')
  @HttpCode(200)
  @ApiOperation({ summary: 'Nacos-Sync: taskStatus SYNC (resume, resync) or DELETE (withdraw the copies, then go)' })
  @ApiOkResponse({ type: NsBaseResult })
  async updateTask(@Body() req: NsTaskUpdateRequest): Promise<NsBaseResult> {
    await this.sync.updateTask(req);
    return succeeded({});
  }

  @Delete('task/delete')
  @ApiOperation({ summary: 'Nacos-Sync: delete a task (its copies are withdrawn)' })
  @ApiOkResponse({ type: NsBaseResult })
  async deleteTask(@Query() q: NsTaskIdQuery): Promise<NsBaseResult> {
    await this.sync.deleteTask(q.taskId);
    return succeeded({});
  }

  @Delete('task/deleteInBatch')
  @ApiOperation({ summary: 'Nacos-Sync: delete many tasks (taskIds repeated or comma-separated; all or none)' })
  @ApiOkResponse({ type: NsBaseResult })
  async deleteTasks(@Query() q: NsTaskIdsQuery): Promise<NsBaseResult> {
    await this.sync.deleteTasks(q.taskIds);
    return succeeded({});
  }

  @Get('task/list')
  @ApiOperation({
    summary: 'Nacos-Sync: tasks, newest first, paged (pageNum from 1), filtered by part of the service name',
  })
  @ApiOkResponse({ type: NsTaskListResult })
  async listTasks(@Query() q: NsTaskListQuery): Promise<NsTaskListResult> {
    const { items, ...page } = await this.sync.listTasks(q);
    return succeeded({ taskModels: items, ...page });
  }

  @Get('task/detail')
  @ApiOperation({ summary: 'Nacos-Sync: one task' })
  @ApiOkResponse({ type: NsTaskDetailResult })
  async taskDetail(@Query() q: NsTaskIdQuery): Promise<NsTaskDetailResult> {
    return succeeded({ taskModel: await this.sync.taskDetail(q.taskId) });
  }
}
