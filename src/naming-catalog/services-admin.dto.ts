import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';
import { IsOptionalNotNull, IsPrintable } from '@/common/field-validators';

/** Names as Nacos allows them in a namespace, group or service (no wildcards here). */
const NAME = /^[A-Za-z0-9_.:@\-/]+$/;

export class ServiceListQueryDto {
  @ApiPropertyOptional({ default: 'public' })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 128)
  @IsPrintable()
  @Matches(NAME, { message: 'namespace has characters a namespace cannot have' })
  namespace: string = 'public';
}

export class ServiceInstancesQueryDto extends ServiceListQueryDto {
  @ApiPropertyOptional({ default: 'DEFAULT_GROUP' })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 128)
  @IsPrintable()
  @Matches(NAME, { message: 'group has characters a group cannot have' })
  group: string = 'DEFAULT_GROUP';

  @ApiProperty()
  @IsString()
  @Length(1, 512)
  @IsPrintable()
  @Matches(NAME, { message: 'service has characters a service name cannot have' })
  service!: string;
}

export class BrowsedServiceDto {
  @ApiProperty() group!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'Instances listed (merged across clients)' }) instances!: number;
  @ApiProperty({ description: 'Of them, copies written by a sync task' }) copies!: number;
}

export class RegistryCountsDto {
  @ApiProperty() namespaces!: number;
  @ApiProperty() services!: number;
  @ApiProperty({ description: 'Publications held (merged instances of every client)' }) instances!: number;
}

export class ServiceListDto {
  @ApiProperty({ type: [String], description: 'Every namespace this node knows' }) namespaces!: string[];
  @ApiProperty() namespace!: string;
  @ApiProperty({ type: [BrowsedServiceDto], description: 'Sorted by group, then name; at most 2000' })
  services!: BrowsedServiceDto[];
  @ApiProperty({ description: 'Services in the namespace (more than listed when over 2000)' }) total!: number;
  @ApiProperty({ type: RegistryCountsDto, description: 'The whole registry on this node' }) counts!: RegistryCountsDto;
}

export class CopyOriginDto {
  @ApiProperty({ description: 'Name of the source cluster (syncSource)' }) sourceCluster!: string;
  @ApiProperty({ description: 'The task that wrote the copy (syncTaskId)' }) taskId!: string;
}

export class BrowsedInstanceDto {
  @ApiProperty() ip!: string;
  @ApiProperty() port!: number;
  @ApiProperty() clusterName!: string;
  @ApiProperty() weight!: number;
  @ApiProperty() healthy!: boolean;
  @ApiProperty() enabled!: boolean;
  @ApiProperty() ephemeral!: boolean;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) metadata!: Record<string, string>;
  @ApiProperty({ nullable: true, type: CopyOriginDto, description: 'Set on a copy written by a sync task' })
  copyOf!: CopyOriginDto | null;
}
