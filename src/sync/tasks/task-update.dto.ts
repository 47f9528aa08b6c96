import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsUUID, ValidateBy, ValidateIf } from 'class-validator';
import type { ValidationArguments } from 'class-validator';
import { applyDecorators } from '@nestjs/common';
import { IsOptionalNotNull } from '@/common/field-validators';
import { ExcludeField, MaxDeleteRatioField, SelectorField, TaskNameField } from './task-fields';

/**
 * A field a task's definition has but a PATCH may not change: present at all is a 400 that says
 * why and what to do instead (without it the global whitelist would drop the field silently).
 */
function Unchangeable(why: string): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ readOnly: true, description: `Cannot change: ${why}` }),
    ValidateIf((_o: unknown, v: unknown) => v !== undefined),
    ValidateBy({
      name: 'unchangeable',
      validator: {
        validate: () => false,
        defaultMessage: (args?: ValidationArguments) => `${args?.property ?? 'field'} cannot change: ${why}`,
      },
    }),
  );
}

const NEW_TASK = 'create a new task and delete this one (its copies belong to these clusters)';

/**
 * `PATCH /api/v1/tasks/:id`: what may change in a task's definition. Absent fields keep their value.
 * A changed selector moves the task to the new desired set: copies still selected stay untouched,
 * copies no longer selected are withdrawn under the task's protect mode (maxDeleteRatio, the hold).
 */
export class TaskUpdateDto {
  @TaskNameField({ doc: { description: 'Unique' } })
  name?: string;

  @SelectorField('namespace', { doc: { description: 'A namespace or `*` for all' } })
  namespace?: string;

  @SelectorField('groupName', { doc: { description: 'A group or `*` for all' } })
  groupName?: string;

  @SelectorField('serviceName', { doc: { description: 'A service name or `*` for all' } })
  serviceName?: string;

  @ExcludeField({ doc: { description: 'Replaces the exclude patterns; `[]` removes them all' } })
  exclude?: string[];

  @MaxDeleteRatioField({
    doc: { minimum: 0, maximum: 1, description: 'Share of copies one round may delete before it is held' },
  })
  maxDeleteRatio?: number;

  @Unchangeable(NEW_TASK)
  sourceClusterId?: unknown;

  @Unchangeable(NEW_TASK)
  targetClusterId?: unknown;

  @Unchangeable('use POST /api/v1/tasks/:id/pause, /resume, or DELETE /api/v1/tasks/:id')
  status?: unknown;
}

/** `POST /api/v1/tasks/batch-delete`: the tasks to delete, all or none. */
export class TaskBatchDeleteDto {
  @ApiProperty({ type: [String], format: 'uuid', description: 'Task ids; an unknown one fails the whole batch (404)' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @IsUUID(undefined, { each: true })
  ids!: string[];
}

/**
 * `POST /api/v1/tasks/dry-run`: what a task would do with this selector, before it is created or
 * changed. With `taskId`, the task's clusters and ledger, its selector overridden by the fields
 * given; without, the two clusters of a new task (nothing written yet, so everything is an add).
 */
export class TaskDryRunDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'An existing task: preview a PATCH of its selector' })
  @IsOptionalNotNull()
  @IsUUID()
  taskId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Required without taskId' })
  @ValidateIf((o: TaskDryRunDto) => o.taskId === undefined || o.sourceClusterId !== undefined)
  @IsUUID()
  sourceClusterId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Required without taskId' })
  @ValidateIf((o: TaskDryRunDto) => o.taskId === undefined || o.targetClusterId !== undefined)
  @IsUUID()
  targetClusterId?: string;

  @SelectorField('namespace', { doc: { description: 'A namespace or `*`; default the task’s, or `public`' } })
  namespace?: string;

  @SelectorField('groupName', { doc: { description: 'A group or `*`; default the task’s, or `DEFAULT_GROUP`' } })
  groupName?: string;

  // Required without taskId: checked whenever it is given or there is no task to take it from.
  @ValidateIf((o: TaskDryRunDto) => o.taskId === undefined || o.serviceName !== undefined)
  @SelectorField('serviceName', {
    required: true,
    doc: { required: false, description: 'A service name or `*`; required without taskId' },
  })
  serviceName?: string;

  @ExcludeField({ doc: { description: 'Exclude patterns; default the task’s, or none' } })
  exclude?: string[];
}
