import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsInt, IsString, Length, Max, Min } from 'class-validator';
import { IsOptionalNotNull, IsPrintable } from '@/common/field-validators';
import { parseStrictInteger } from '@/common/text-rule';

/**
 * Nacos-Sync 0.5's request and result classes (`pojo/request`, `pojo/result`, `pojo/view`), field
 * for field. Validation failures do not become a 400 here: the envelope filter answers them as
 * Nacos-Sync answers every failure, HTTP 200 with `success: false` and the reason.
 */

const int = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? (parseStrictInteger(value) ?? value) : value;

/** `taskIds=a&taskIds=b` or `taskIds=a,b` (Spring binds both onto a List). */
const idList = ({ value }: { value: unknown }): unknown => {
  const given: unknown[] = Array.isArray(value) ? (value as unknown[]) : [value];
  return given
    .flatMap((v): unknown[] => (typeof v === 'string' ? v.split(',') : [v]))
    .map((v): unknown => (typeof v === 'string' ? v.trim() : v))
    .filter((v) => v !== '');
};

const Text = (max: number): PropertyDecorator[] => [IsString(), Length(1, max), IsPrintable()];
function apply(decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => decorators.forEach((d) => d(target, key));
}

export class NsClusterAddRequest {
  @ApiProperty({ example: 'shanghai' }) @apply(Text(128)) clusterName!: string;
  @ApiProperty({ example: 'NACOS', description: 'NACOS, ZK, DISTRO, ETCD or LOCAL' })
  @apply(Text(16))
  clusterType!: string;
  @ApiProperty({ type: [String], example: ['10.0.0.1:8848'] })
  @IsArray()
  @ArrayMaxSize(32)
  @IsString({ each: true })
  connectKeyList!: string[];
  @ApiPropertyOptional() @IsOptionalNotNull() @apply(Text(128)) userName?: string;
  @ApiPropertyOptional({ description: 'A DISTRO cluster’s registry API token goes here' })
  @IsOptionalNotNull()
  @apply(Text(1024))
  password?: string;
  @ApiPropertyOptional() @IsOptionalNotNull() @apply(Text(128)) namespace?: string;
}

export class NsClusterIdQuery {
  @ApiProperty() @apply(Text(64)) clusterId!: string;
}

export class NsPageQuery {
  @ApiPropertyOptional({ default: 1 })
  @IsOptionalNotNull()
  @Transform(int)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  pageNum: number = 1;
  @ApiPropertyOptional({ default: 10 })
  @IsOptionalNotNull()
  @Transform(int)
  @IsInt()
  @Min(1)
  @Max(500)
  pageSize: number = 10;
}

export class NsClusterListQuery extends NsPageQuery {
  @ApiPropertyOptional({ description: 'Part of the name' }) @IsOptionalNotNull() @apply(Text(128)) clusterName?: string;
}

export class NsTaskAddRequest {
  @ApiProperty() @apply(Text(64)) sourceClusterId!: string;
  @ApiProperty() @apply(Text(64)) destClusterId!: string;
  @ApiProperty({ example: 'orders', description: '`ALL` or `*` = every service' })
  @apply(Text(512))
  serviceName!: string;
  @ApiPropertyOptional({ default: 'DEFAULT_GROUP' }) @IsOptionalNotNull() @apply(Text(128)) groupName?: string;
  @ApiPropertyOptional({ description: 'Accepted and ignored (see docs/sync.md)' })
  @IsOptionalNotNull()
  @apply(Text(128))
  version?: string;
  @ApiPropertyOptional({ description: 'Namespace; the source cluster’s when left out' })
  @IsOptionalNotNull()
  @apply(Text(128))
  nameSpace?: string;
}

export class NsTaskAddAllRequest {
  @ApiProperty() @apply(Text(64)) sourceClusterId!: string;
  @ApiProperty() @apply(Text(64)) destClusterId!: string;
  @ApiPropertyOptional({ default: true, description: 'Leave out services named consumers:*' })
  @IsOptionalNotNull()
  @IsBoolean()
  excludeConsumer: boolean = true;
}

export class NsTaskUpdateRequest {
  @ApiProperty() @apply(Text(64)) taskId!: string;
  @ApiProperty({ enum: ['SYNC', 'DELETE'] }) @apply(Text(16)) taskStatus!: string;
}

export class NsTaskIdQuery {
  @ApiProperty() @apply(Text(64)) taskId!: string;
}

export class NsTaskIdsQuery {
  @ApiProperty({ type: [String], description: 'Repeated (`taskIds=a&taskIds=b`) or comma-separated' })
  @Transform(idList)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  taskIds!: string[];
}

export class NsTaskListQuery extends NsPageQuery {
  @ApiPropertyOptional({ description: 'Part of the service name' })
  @IsOptionalNotNull()
  @apply(Text(512))
  serviceName?: string;
}

export class NsBaseResult {
  @ApiProperty() success!: boolean;
  @ApiProperty({ enum: ['SUCCESS', 'SYSTEM_ERROR'] }) resultCode!: string;
  @ApiProperty({ nullable: true, type: String }) resultMessage!: string | null;
}

export class NsClusterModel {
  @ApiProperty({ description: 'MD5 of clusterName_clusterType, as Nacos-Sync derives it' }) clusterId!: string;
  @ApiProperty({ description: 'The addresses as a JSON-encoded string, as Nacos-Sync stores them' })
  connectKeyList!: string;
  @ApiProperty() clusterName!: string;
  @ApiProperty() clusterType!: string;
  @ApiProperty({ nullable: true, type: String }) namespace!: string | null;
  @ApiProperty({ nullable: true, type: String }) userName!: string | null;
}

export class NsTaskModel {
  @ApiProperty({ description: 'MD5 of serviceName_groupName_sourceClusterId_destClusterId' }) taskId!: string;
  @ApiProperty() sourceClusterId!: string;
  @ApiProperty() destClusterId!: string;
  @ApiProperty() serviceName!: string;
  @ApiProperty() groupName!: string;
  @ApiProperty({ enum: ['SYNC', 'DELETE', 'PAUSED'] }) taskStatus!: string;
}

export class NsClusterListResult extends NsBaseResult {
  @ApiProperty({ type: [NsClusterModel] }) clusterModels!: NsClusterModel[];
  @ApiProperty() totalPage!: number;
  @ApiProperty() totalSize!: number;
  @ApiProperty() currentSize!: number;
}

export class NsClusterDetailResult extends NsBaseResult {
  @ApiProperty({ type: NsClusterModel }) clusterModel!: NsClusterModel;
}

export class NsClusterTypeResult extends NsBaseResult {
  @ApiProperty({ type: [String] }) types!: string[];
}

export class NsTaskListResult extends NsBaseResult {
  @ApiProperty({ type: [NsTaskModel] }) taskModels!: NsTaskModel[];
  @ApiProperty() totalPage!: number;
  @ApiProperty() totalSize!: number;
  @ApiProperty() currentSize!: number;
}

export class NsTaskDetailResult extends NsBaseResult {
  @ApiProperty({ type: NsTaskModel }) taskModel!: NsTaskModel;
}

/** Nacos-Sync's success envelope around `extra`. */
export function succeeded<T extends object>(extra: T): NsBaseResult & T {
  return { success: true, resultCode: 'SUCCESS', resultMessage: null, ...extra };
}
