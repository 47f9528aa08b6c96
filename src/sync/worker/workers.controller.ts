import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { AdminApi } from '@/admin/admin-token.guard';
import { sqlRows } from '@/database/sql';

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
  constructor(private readonly db: DataSource) {}

  @Get()
  @ApiOperation({ summary: 'Replicas running sync workers, their leases and last heartbeat' })
  @ApiOkResponse({ type: [WorkerResponseDto] })
  async list(): Promise<WorkerResponseDto[]> {
    const rows = await sqlRows<{
      id: string;
      hostname: string;
      pid: number;
      version: string;
      started_at: Date;
      heartbeat_at: Date;
      leases: string[] | null;
    }>(
      this.db,
      `SELECT w.id, w.hostname, w.pid, w.version, w.started_at, w.heartbeat_at,
              array_agg(l.task_id::text ORDER BY l.task_id) FILTER (WHERE l.task_id IS NOT NULL) AS leases
         FROM worker w LEFT JOIN task_lease l ON l.owner = w.id AND l.expires_at > now()
        GROUP BY w.id ORDER BY w.id`,
    );
    return rows.map((r) => ({
      id: r.id,
      hostname: r.hostname,
      pid: r.pid,
      version: r.version,
      startedAt: new Date(r.started_at).toISOString(),
      lastHeartbeatAt: new Date(r.heartbeat_at).toISOString(),
      leases: r.leases ?? [],
    }));
  }
}
