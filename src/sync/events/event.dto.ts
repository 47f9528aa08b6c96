import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsISO8601, IsUUID, Matches } from 'class-validator';
import { IsOptionalNotNull } from '@/common/field-validators';
import { PageMetaDto, PageQueryDto } from '@/admin/page.dto';
import type { TaskEventEntity } from '../entities';

/** `?kind=a,b` or `?kind=a&kind=b`: the kinds as a list. */
const kindList = ({ value }: { value: unknown }): unknown => {
  const given: unknown[] = Array.isArray(value) ? (value as unknown[]) : [value];
  const parts = given.flatMap((v): unknown[] => (typeof v === 'string' ? v.split(',') : [v]));
  return parts.map((p): unknown => (typeof p === 'string' ? p.trim() : p)).filter((p) => p !== '');
};

export class EventListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Events of this task, deleted or not' })
  @IsOptionalNotNull()
  @IsUUID()
  taskId?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Events of this cluster: its own changes and those of every task it is the source or target of',
  })
  @IsOptionalNotNull()
  @IsUUID()
  clusterId?: string;

  @ApiPropertyOptional({
    type: String,
    example: 'hold,hold-released',
    description: 'Event kinds, comma-separated or repeated (`created`, `updated`, `hold`, `delete-requested`, …)',
  })
  @IsOptionalNotNull()
  @Transform(kindList)
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(/^[a-z][a-z0-9-]{0,63}$/, { each: true, message: 'each kind must be lower-case letters, digits and -' })
  kind?: string[];

  @ApiPropertyOptional({ example: '2026-01-01T00:00:00Z', description: 'From this time on (inclusive, ISO 8601)' })
  @IsOptionalNotNull()
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'since must be an ISO 8601 date-time' })
  since?: string;

  @ApiPropertyOptional({ example: '2026-01-02T00:00:00Z', description: 'Before this time (exclusive, ISO 8601)' })
  @IsOptionalNotNull()
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'until must be an ISO 8601 date-time' })
  until?: string;
}

export class EventDto {
  @ApiProperty() id!: string;
  @ApiProperty({ nullable: true, type: String, description: 'The task, kept after it is deleted' })
  taskId!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'The task name when the event happened' })
  taskName!: string | null;
  @ApiProperty({ type: [String], description: 'The task’s source and target, or the cluster changed' })
  clusterIds!: string[];
  @ApiProperty() kind!: string;
  @ApiProperty({ description: '`admin` or the worker id' }) actor!: string;
  @ApiProperty() message!: string;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true }) details!: Record<string, unknown> | null;
  @ApiProperty() createdAt!: string;
}

export class EventPageDto extends PageMetaDto {
  @ApiProperty({ type: [EventDto] }) items!: EventDto[];
}

export function mapEvent(e: TaskEventEntity): EventDto {
  return {
    id: String(e.id),
    taskId: e.taskId,
    taskName: e.taskName,
    clusterIds: e.clusterIds,
    kind: e.kind,
    actor: e.actor,
    message: e.message,
    details: e.details,
    createdAt: e.createdAt.toISOString(),
  };
}
