import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { AdminApi } from '@/admin/admin-token.guard';
import { SyncStore } from '../store/sync-store';

export class WorkerResponseDto {
  @ApiProperty() id!: string;
  @ApiProperty() hostname!: string;
  @ApiProperty() pid!: number;
  @ApiProperty() version!: string;
  @ApiProperty() startedAt!: string;
  @ApiProperty() lastHeartbeatAt!: string;
  @ApiProperty({ type: [String], description: 'Ids of the tasks whose lease it holds' }) leases!: string[];
}

@ApiTags('workers')
@AdminApi()
@Controller('api/v1/workers')
export class WorkersController {
  constructor(private readonly store: SyncStore) {}

  @Get()
  @ApiOperation({ summary: 'Replicas running sync workers, their leases and last heartbeat' })
  @ApiOkResponse({ type: [WorkerResponseDto] })
  async list(): Promise<WorkerResponseDto[]> {
    return (await this.store.workers.list()).map((w) => ({
      id: w.id,
      hostname: w.hostname,
      pid: w.pid,
      version: w.version,
      startedAt: w.startedAt.toISOString(),
      lastHeartbeatAt: w.heartbeatAt.toISOString(),
      leases: w.leases,
    }));
  }
}
