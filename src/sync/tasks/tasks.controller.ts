import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AdminApi } from '@/admin/admin-token.guard';
import { PageQueryDto } from '@/admin/page.dto';
import { MinRole } from '@/admin/roles';
import { TaskBatchCreateDto, TaskCreateDto, TaskListQueryDto, TaskPageDto, TaskResponseDto, mapTask } from './task.dto';
import { TaskDiffDto, TaskEventPageDto, TaskInstancePageDto, mapTaskEvent } from './task-detail.dto';
import { TaskDiffService } from './task-diff.service';
import { TaskEventLog } from './task-event-log';
import { TaskService } from './task.service';
import { TaskBatchDeleteDto, TaskDryRunDto, TaskUpdateDto } from './task-update.dto';
import { SyncLedgerReader } from './sync-ledger-reader';

@ApiTags('tasks')
@AdminApi()
@Controller('api/v1/tasks')
export class TasksController {
  constructor(
    private readonly tasks: TaskService,
    private readonly events: TaskEventLog,
    private readonly ledger: SyncLedgerReader,
    private readonly diffs: TaskDiffService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create a sync task: copy what matches the selector from source to target' })
  @ApiOkResponse({ type: TaskResponseDto })
  @ApiConflictResponse({ description: 'name taken, or the same clusters and selector exist' })
  async create(@Body() dto: TaskCreateDto): Promise<TaskResponseDto> {
    return mapTask(await this.tasks.create(dto));
  }

  @Post('batch')
  @ApiOperation({ summary: 'Create many tasks in one transaction (all or none)' })
  @ApiOkResponse({ type: [TaskResponseDto] })
  async createBatch(@Body() dto: TaskBatchCreateDto): Promise<TaskResponseDto[]> {
    return (await this.tasks.createBatch(dto.tasks)).map(mapTask);
  }

  @Post('batch-delete')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Delete many tasks: each withdraws its copies, then goes (all or none: an unknown id deletes nothing)',
  })
  @ApiAcceptedResponse({ type: [TaskResponseDto] })
  @ApiNotFoundResponse({ description: 'an id names no task; nothing was deleted' })
  async removeBatch(@Body() dto: TaskBatchDeleteDto): Promise<TaskResponseDto[]> {
    return (await this.tasks.removeMany(dto.ids)).map(mapTask);
  }

  @Post('dry-run')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Dry run of a task to create, or of a PATCH of a task’s selector (taskId): what it would add, update, remove',
  })
  @ApiOkResponse({ type: TaskDiffDto })
  @ApiBadRequestResponse({ description: 'a field is invalid, or names no cluster' })
  dryRun(@Body() dto: TaskDryRunDto): Promise<TaskDiffDto> {
    return this.diffs.dryRun(dto);
  }

  @Get()
  @ApiOperation({ summary: 'List tasks with their live state (paged; filter by status, clusters, name)' })
  @ApiOkResponse({ type: TaskPageDto })
  async list(@Query() query: TaskListQueryDto): Promise<TaskPageDto> {
    const page = await this.tasks.list(query);
    return { ...page, items: page.items.map(mapTask) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'A task with its live state: holder, reachability, counts, lag, hold' })
  @ApiOkResponse({ type: TaskResponseDto })
  @ApiNotFoundResponse()
  async get(@Param('id', ParseUUIDPipe) id: string): Promise<TaskResponseDto> {
    return mapTask(await this.tasks.get(id));
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change name, selector, exclude or maxDeleteRatio; copies that stay selected are left untouched',
  })
  @ApiOkResponse({ type: TaskResponseDto })
  @ApiBadRequestResponse({ description: 'a field is invalid, or may not change (clusters, status)' })
  @ApiConflictResponse({ description: 'the name or the new selector is another task’s, or the task is being deleted' })
  @ApiNotFoundResponse()
  async update(@Param('id', ParseUUIDPipe) id: string, @Body() dto: TaskUpdateDto): Promise<TaskResponseDto> {
    return mapTask(await this.tasks.update(id, dto));
  }

  @Post(':id/pause')
  @MinRole('operator')
  @HttpCode(200)
  @ApiOperation({ summary: 'Freeze the copies: kept and renewed, no changes applied' })
  @ApiOkResponse({ type: TaskResponseDto })
  async pause(@Param('id', ParseUUIDPipe) id: string): Promise<TaskResponseDto> {
    return mapTask(await this.tasks.pause(id));
  }

  @Post(':id/resume')
  @MinRole('operator')
  @HttpCode(200)
  @ApiOperation({ summary: 'Apply changes again, catching up at once' })
  @ApiOkResponse({ type: TaskResponseDto })
  async resume(@Param('id', ParseUUIDPipe) id: string): Promise<TaskResponseDto> {
    return mapTask(await this.tasks.resume(id));
  }

  @Post(':id/resync')
  @MinRole('operator')
  @HttpCode(200)
  @ApiOperation({ summary: 'Ask the holder for a full reconcile now' })
  @ApiOkResponse({ type: TaskResponseDto })
  async resync(@Param('id', ParseUUIDPipe) id: string): Promise<TaskResponseDto> {
    return mapTask(await this.tasks.requestResync(id));
  }

  @Post(':id/release-hold')
  @MinRole('operator')
  @HttpCode(200)
  @ApiOperation({ summary: 'Apply deletions that protect mode holds back' })
  @ApiOkResponse({ type: TaskResponseDto })
  @ApiConflictResponse({ description: 'nothing is held' })
  async releaseHold(@Param('id', ParseUUIDPipe) id: string): Promise<TaskResponseDto> {
    return mapTask(await this.tasks.requestHoldRelease(id));
  }

  @Delete(':id')
  @HttpCode(202)
  @ApiOperation({ summary: 'Withdraw the copies named in the ledger, then remove the task' })
  @ApiAcceptedResponse({ type: TaskResponseDto })
  async remove(@Param('id', ParseUUIDPipe) id: string): Promise<TaskResponseDto> {
    return mapTask(await this.tasks.remove(id));
  }

  @Get(':id/instances')
  @ApiOperation({ summary: 'The ledger: every copy this task wrote into its target (paged)' })
  @ApiOkResponse({ type: TaskInstancePageDto })
  async instances(@Param('id', ParseUUIDPipe) id: string, @Query() page: PageQueryDto): Promise<TaskInstancePageDto> {
    await this.tasks.get(id);
    return this.ledger.page(id, page.page, page.pageSize);
  }

  @Get(':id/diff')
  @ApiOperation({ summary: 'Dry run: what a reconcile would add, update and remove in the target now' })
  @ApiOkResponse({ type: TaskDiffDto })
  diff(@Param('id', ParseUUIDPipe) id: string): Promise<TaskDiffDto> {
    return this.diffs.diff(id);
  }

  @Get(':id/events')
  @ApiOperation({
    summary: 'Audit trail of a task, newest first; kept after the task is deleted (see also GET /api/v1/events)',
  })
  @ApiOkResponse({ type: TaskEventPageDto })
  @ApiNotFoundResponse({ description: 'no such task, and none ever recorded an event' })
  async eventsOf(@Param('id', ParseUUIDPipe) id: string, @Query() page: PageQueryDto): Promise<TaskEventPageDto> {
    const events = await this.events.list(id, page.page, page.pageSize);
    if (events.total === 0) await this.tasks.get(id);
    return { ...events, items: events.items.map(mapTaskEvent) };
  }
}
