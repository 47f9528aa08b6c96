import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsString, Length, ValidateNested } from 'class-validator';
import { IsOptionalNotNull, IsPrintable } from '@/common/field-validators';
import { ClusterCreateDto } from '../clusters/cluster.dto';
import { ExcludeField, MaxDeleteRatioField, SelectorField, TaskNameField } from '../tasks/task-fields';

export const TRANSFER_FORMAT = 'distro-sync/v1';
const SECRET_NAMES = ['password', 'token', 'tlsCa', 'tlsCert', 'tlsKey', 'credentials'] as const;

/** A cluster in an export: its settings without secrets, and the names of the secrets left out. */
export class TransferClusterDto extends ClusterCreateDto {
  @ApiPropertyOptional({
    type: [String],
    enum: SECRET_NAMES,
    description:
      'Secrets the exported cluster had, left out of the document: enter them again here (`token`, `password`, …) or with PATCH after the import',
  })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(6)
  @IsIn(SECRET_NAMES, { each: true, message: `each secret must be one of ${SECRET_NAMES.join(', ')}` })
  secrets?: string[];
}

/** A task in an export: clusters by name, so the document moves between databases. */
export class TransferTaskDto {
  @TaskNameField({ required: true, doc: { description: 'Unique; an import matches existing tasks by it' } })
  name!: string;

  @ApiProperty({ description: 'Name of the source cluster (in the document or the database)' })
  @IsString()
  @Length(1, 128)
  @IsPrintable()
  source!: string;

  @ApiProperty({ description: 'Name of the target cluster (in the document or the database)' })
  @IsString()
  @Length(1, 128)
  @IsPrintable()
  target!: string;

  @SelectorField('namespace', { doc: { default: 'public' } })
  namespace: string = 'public';

  @SelectorField('groupName', { doc: { default: 'DEFAULT_GROUP' } })
  groupName: string = 'DEFAULT_GROUP';

  @SelectorField('serviceName', { required: true })
  serviceName!: string;

  @ExcludeField()
  exclude: string[] = [];

  @MaxDeleteRatioField({ doc: { default: 0.5 } })
  maxDeleteRatio: number = 0.5;

  @ApiPropertyOptional({ enum: ['running', 'paused'], default: 'running' })
  @IsOptionalNotNull()
  @IsIn(['running', 'paused'])
  status: 'running' | 'paused' = 'running';
}

/** The whole configuration of a region's sync side as one JSON document: `GET /api/v1/export`, `POST /api/v1/import`. */
export class TransferDocumentDto {
  @ApiProperty({ enum: [TRANSFER_FORMAT] })
  @IsIn([TRANSFER_FORMAT], { message: `format must be ${TRANSFER_FORMAT}` })
  format!: string;

  @ApiPropertyOptional({ description: 'When it was exported (informational)' })
  @IsOptionalNotNull()
  @IsString()
  @Length(0, 64)
  exportedAt?: string;

  @ApiProperty({ type: [TransferClusterDto] })
  @IsArray()
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => TransferClusterDto)
  clusters!: TransferClusterDto[];

  @ApiProperty({ type: [TransferTaskDto] })
  @IsArray()
  @ArrayMaxSize(5000)
  @ValidateNested({ each: true })
  @Type(() => TransferTaskDto)
  tasks!: TransferTaskDto[];
}

export class ImportQueryDto {
  @ApiPropertyOptional({ type: Boolean, default: false, description: 'Validate and report, change nothing' })
  @IsOptionalNotNull()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'dryRun must be true or false' })
  dryRun?: boolean;
}

export type ImportAction = 'created' | 'updated' | 'unchanged';

export class ImportedClusterDto {
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: String, description: 'null for a cluster a dry run would create' })
  id!: string | null;
  @ApiProperty({ enum: ['created', 'updated', 'unchanged'] }) action!: ImportAction;
  @ApiProperty({ type: [String] }) changed!: string[];
  @ApiProperty({
    type: [String],
    description: 'Secrets the export left out that are neither in the document nor stored: enter them with PATCH',
  })
  needsSecrets!: string[];
}

export class ImportedTaskDto {
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: String }) id!: string | null;
  @ApiProperty({ enum: ['created', 'updated', 'unchanged'] }) action!: ImportAction;
  @ApiProperty({ type: [String] }) changed!: string[];
}

export class ImportReportDto {
  @ApiProperty() dryRun!: boolean;
  @ApiProperty({ type: [ImportedClusterDto] }) clusters!: ImportedClusterDto[];
  @ApiProperty({ type: [ImportedTaskDto] }) tasks!: ImportedTaskDto[];
  @ApiProperty({
    type: [String],
    description: 'Names of the clusters that still need secrets before their tasks can connect',
  })
  clustersNeedingSecrets!: string[];
}
