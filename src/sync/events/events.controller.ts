import { BadRequestException, Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminApi } from '@/admin/admin-token.guard';
import { TaskEventLog } from '../tasks/task-event-log';
import { EventListQueryDto, EventPageDto, mapEvent } from './event.dto';

@ApiTags('events')
@AdminApi()
@Controller('api/v1/events')
export class EventsController {
  constructor(private readonly events: TaskEventLog) {}

  @Get()
  @ApiOperation({
    summary:
      'The audit trail across tasks and clusters, deleted ones included (paged; filter by task, cluster, kind, time)',
  })
  @ApiOkResponse({ type: EventPageDto })
  async list(@Query() query: EventListQueryDto): Promise<EventPageDto> {
    const since = query.since === undefined ? undefined : new Date(query.since);
    const until = query.until === undefined ? undefined : new Date(query.until);
    if (since && until && since >= until) throw new BadRequestException(['since must be before until']);
    const page = await this.events.search(
      { taskId: query.taskId, clusterId: query.clusterId, kinds: query.kind, since, until },
      query.page,
      query.pageSize,
    );
    return { ...page, items: page.items.map(mapEvent) };
  }
}
