import { ApiProperty } from '@nestjs/swagger';
import { PageMetaDto } from '@/admin/page.dto';
import type { TaskEventEntity } from '../entities';

/** A source instance the ledger or the target refused; the task keeps it out until it changes. */
export class TaskRejectedCopyDto {
  @ApiProperty({ example: 'public/DEFAULT_GROUP@@orders', description: 'namespace/group@@service' }) service!: string;
  @ApiProperty({ example: '10.0.0.1:8080' }) address!: string;
  @ApiProperty() clusterName!: string;
  @ApiProperty({ enum: ['ledger', 'target'], description: 'Who refused it: the task ledger (Postgres) or the target' })
  refusedBy!: 'ledger' | 'target';
  @ApiProperty({ description: 'Why, as the ledger or the target said it (secrets scrubbed)' }) reason!: string;
  @ApiProperty({ description: 'First refused, as it is now' }) since!: string;
  @ApiProperty({ description: 'Refusals at backoff steps' }) attempts!: number;
  @ApiProperty({ description: 'Tried again then even if the source does not change it' }) retryAt!: string;
}

export class CopyDto {
  @ApiProperty() namespace!: string;
  @ApiProperty() groupName!: string;
  @ApiProperty() serviceName!: string;
  @ApiProperty() clusterName!: string;
  @ApiProperty() ip!: string;
  @ApiProperty() port!: number;
  @ApiProperty() weight!: number;
  @ApiProperty() healthy!: boolean;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) metadata!: Record<string, string>;
}

/** A ledger row: a copy and the holding that wrote it. */
export class TaskInstanceDto extends CopyDto {
  @ApiProperty({
    description:
      'False for a persistent copy (of a persistent source instance): kept by the target until the task withdraws it',
  })
  ephemeral!: boolean;
  @ApiProperty({ description: 'Lease generation of the holding that wrote it' }) generation!: string;
  @ApiProperty() writtenAt!: string;
}

export class TaskInstancePageDto extends PageMetaDto {
  @ApiProperty({ type: [TaskInstanceDto] }) items!: TaskInstanceDto[];
}

export class TaskEventDto {
  @ApiProperty() id!: string;
  @ApiProperty() kind!: string;
  @ApiProperty({ description: 'a username, `admin-token`, `anonymous` (open mode) or the worker id' }) actor!: string;
  @ApiProperty() message!: string;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true }) details!: Record<string, unknown> | null;
  @ApiProperty() createdAt!: string;
}

export class TaskEventPageDto extends PageMetaDto {
  @ApiProperty({ type: [TaskEventDto] }) items!: TaskEventDto[];
}

export function mapTaskEvent(e: TaskEventEntity): TaskEventDto {
  return {
    id: String(e.id),
    kind: e.kind,
    actor: e.actor,
    message: e.message,
    details: e.details,
    createdAt: e.createdAt.toISOString(),
  };
}

export class DiffCountsDto {
  @ApiProperty() add!: number;
  @ApiProperty() update!: number;
  @ApiProperty() remove!: number;
}

export class TaskDiffListsDto {
  @ApiProperty({ type: [CopyDto] }) add!: CopyDto[];
  @ApiProperty({ type: [CopyDto] }) update!: CopyDto[];
  @ApiProperty({ type: [CopyDto] }) remove!: CopyDto[];
}

export class TaskDiffDto {
  @ApiProperty({ type: DiffCountsDto }) counts!: DiffCountsDto;
  @ApiProperty({ description: 'Lists are cut at 1000 entries each; counts are complete' }) truncated!: boolean;
  @ApiProperty({ type: TaskDiffListsDto }) diff!: TaskDiffListsDto;
}
