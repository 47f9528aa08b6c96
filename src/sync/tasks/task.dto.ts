import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsString, IsUUID, Length, ValidateNested } from 'class-validator';
import { IsOptionalNotNull, IsPrintable } from '@/common/field-validators';
import { PageMetaDto, PageQueryDto } from '@/admin/page.dto';
import { TASK_STATUSES } from '../entities';
import type { SyncTaskEntity, TaskHold, TaskRejectedCopy, TaskStatus } from '../entities';
import { TaskRejectedCopyDto } from './task-detail.dto';
import { ExcludeField, MaxDeleteRatioField, SelectorField, TaskNameField } from './task-fields';

export class TaskCreateDto {
  @TaskNameField({ doc: { description: 'Unique; generated from clusters and selector when omitted' } })
  name?: string;

  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  sourceClusterId!: string;

  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  targetClusterId!: string;

  @SelectorField('namespace', { doc: { default: 'public', description: 'A namespace or `*` for all' } })
  namespace: string = 'public';

  @SelectorField('groupName', { doc: { default: 'DEFAULT_GROUP', description: 'A group or `*` for all' } })
  groupName: string = 'DEFAULT_GROUP';

  @SelectorField('serviceName', {
    required: true,
    doc: { example: '*', description: 'A service name or `*` for all' },
  })
  serviceName!: string;

  @ExcludeField({ doc: { description: 'Patterns over service, group@@service or namespace/group@@service' } })
  exclude: string[] = [];

  @MaxDeleteRatioField({
    doc: {
      minimum: 0,
      maximum: 1,
      default: 0.5,
      description: 'Share of copies one round may delete before it is held',
    },
  })
  maxDeleteRatio: number = 0.5;
}

export class TaskBatchCreateDto {
  @ApiProperty({ type: [TaskCreateDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => TaskCreateDto)
  tasks!: TaskCreateDto[];
}

export class TaskListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: TASK_STATUSES })
  @IsOptionalNotNull()
  @IsIn(TASK_STATUSES)
  status?: TaskStatus;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptionalNotNull()
  @IsUUID()
  sourceClusterId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptionalNotNull()
  @IsUUID()
  targetClusterId?: string;

  @ApiPropertyOptional({ description: 'Substring of the name' })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 128)
  @IsPrintable()
  name?: string;
}

export class TaskHoldDto {
  @ApiProperty() since!: string;
  @ApiProperty() wouldDelete!: number;
  @ApiProperty() total!: number;
  @ApiProperty() expiresAt!: string;
}

export class TaskResponseDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() sourceClusterId!: string;
  @ApiProperty() targetClusterId!: string;
  @ApiProperty() namespace!: string;
  @ApiProperty() groupName!: string;
  @ApiProperty() serviceName!: string;
  @ApiProperty({ type: [String] }) exclude!: string[];
  @ApiProperty() maxDeleteRatio!: number;
  @ApiProperty({ enum: TASK_STATUSES }) status!: TaskStatus;
  @ApiProperty({ nullable: true, type: String, description: 'Replica holding the lease' }) owner!: string | null;
  @ApiProperty({ nullable: true, type: String }) leaseExpiresAt!: string | null;
  @ApiProperty({ nullable: true, type: Boolean }) sourceReachable!: boolean | null;
  @ApiProperty({ nullable: true, type: Boolean }) targetReachable!: boolean | null;
  @ApiProperty() desired!: number;
  @ApiProperty() applied!: number;
  @ApiProperty({ nullable: true, type: String }) lastReconcileAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) lastChangeAt!: string | null;
  @ApiProperty({ nullable: true, type: Number }) lagMs!: number | null;
  @ApiProperty({ nullable: true, type: String }) lastError!: string | null;
  @ApiProperty({ nullable: true, type: TaskHoldDto }) hold!: TaskHold | null;
  @ApiProperty({
    type: [TaskRejectedCopyDto],
    description: 'Source instances the ledger or the target refused, kept out on their own (the first 50)',
  })
  rejected!: TaskRejectedCopy[];
  @ApiProperty({ description: 'How many source instances are refused in all' }) rejectedCount!: number;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'When what is failing (a start, a write, a deletion) is tried next; null when nothing is',
  })
  nextAttemptAt!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class TaskPageDto extends PageMetaDto {
  @ApiProperty({ type: [TaskResponseDto] }) items!: TaskResponseDto[];
}

/** A task row joined with its lease and state, as the list and detail queries return it. */
export interface TaskView {
  task: SyncTaskEntity;
  owner: string | null;
  leaseExpiresAt: Date | null;
  state: {
    sourceReachable: boolean | null;
    targetReachable: boolean | null;
    desired: number;
    applied: number;
    lastReconcileAt: Date | null;
    lastChangeAt: Date | null;
    lagMs: number | null;
    lastError: string | null;
    hold: TaskHold | null;
    rejected?: TaskRejectedCopy[];
    rejectedCount?: number;
    nextAttemptAt?: Date | null;
  } | null;
}

const iso = (d: Date | null | undefined): string | null => (d ? new Date(d).toISOString() : null);

export function mapTask(v: TaskView): TaskResponseDto {
  const t = v.task;
  return {
    id: t.id,
    name: t.name,
    sourceClusterId: t.sourceClusterId,
    targetClusterId: t.targetClusterId,
    namespace: t.namespace,
    groupName: t.groupName,
    serviceName: t.serviceName,
    exclude: t.exclude,
    maxDeleteRatio: t.maxDeleteRatio,
    status: t.status,
    owner: v.owner,
    leaseExpiresAt: iso(v.leaseExpiresAt),
    sourceReachable: v.state?.sourceReachable ?? null,
    targetReachable: v.state?.targetReachable ?? null,
    desired: v.state?.desired ?? 0,
    applied: v.state?.applied ?? 0,
    lastReconcileAt: iso(v.state?.lastReconcileAt),
    lastChangeAt: iso(v.state?.lastChangeAt),
    lagMs: v.state?.lagMs ?? null,
    lastError: v.state?.lastError ?? null,
    hold: v.state?.hold ?? null,
    rejected: v.state?.rejected ?? [],
    rejectedCount: v.state?.rejectedCount ?? 0,
    nextAttemptAt: iso(v.state?.nextAttemptAt),
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
  };
}
