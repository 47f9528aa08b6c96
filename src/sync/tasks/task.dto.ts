import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsNumber,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsOptionalNotNull, IsPrintable } from '@/common/field-validators';
import { PageMetaDto, PageQueryDto } from '@/admin/page.dto';
import { TASK_STATUSES } from '../entities';
import type { SyncTaskEntity, TaskHold, TaskRejectedCopy, TaskStatus } from '../entities';
import { TaskRejectedCopyDto } from './task-detail.dto';

/** Names as Nacos allows them, plus `*` wildcards; no control characters. */
export const PATTERN = /^[A-Za-z0-9_.:@*\-/]+$/;
export const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);
/** A task name: starts with a letter or digit; what a generated name contains. */
export const TASK_NAME = /^[A-Za-z0-9][A-Za-z0-9._:@*>/-]*$/;
export const TASK_NAME_MESSAGE = 'name may contain letters, digits and . _ : @ * > / - only';

export class TaskCreateDto {
  @ApiPropertyOptional({ description: 'Unique; generated from clusters and selector when omitted' })
  @IsOptionalNotNull()
  @Transform(trim)
  @IsString()
  @Length(1, 128)
  @IsPrintable()
  @Matches(TASK_NAME, { message: TASK_NAME_MESSAGE })
  name?: string;

  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  sourceClusterId!: string;

  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  targetClusterId!: string;

  @ApiPropertyOptional({ default: 'public', description: 'A namespace or `*` for all' })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 128)
  @IsPrintable()
  @Matches(PATTERN, { message: 'namespace has characters a namespace cannot have' })
  namespace: string = 'public';

  @ApiPropertyOptional({ default: 'DEFAULT_GROUP', description: 'A group or `*` for all' })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 128)
  @IsPrintable()
  @Matches(PATTERN, { message: 'groupName has characters a group cannot have' })
  groupName: string = 'DEFAULT_GROUP';

  @ApiProperty({ example: '*', description: 'A service name or `*` for all' })
  @IsString()
  @Length(1, 512)
  @IsPrintable()
  @Matches(PATTERN, { message: 'serviceName has characters a service name cannot have' })
  serviceName!: string;

  @ApiPropertyOptional({
    type: [String],
    description: 'Patterns over service, group@@service or namespace/group@@service',
  })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Length(1, 512, { each: true })
  @IsPrintable({ each: true })
  @Matches(PATTERN, { each: true, message: 'each exclude pattern must be a name pattern' })
  exclude: string[] = [];

  @ApiPropertyOptional({
    minimum: 0,
    maximum: 1,
    default: 0.5,
    description: 'Share of copies one round may delete before it is held',
  })
  @IsOptionalNotNull()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
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
