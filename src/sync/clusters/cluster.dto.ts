import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsString, Length, Matches, MaxLength } from 'class-validator';
import { IsOptionalNotNull, IsPrintable } from '@/common/field-validators';
import { PageMetaDto, PageQueryDto } from '@/admin/page.dto';
import type { ClusterEntity, ClusterKind } from '../entities';

/** Kinds the workers can speak today (`zookeeper` is reserved in the schema for later). */
export const SUPPORTED_CLUSTER_KINDS = ['local', 'distro', 'nacos'] as const satisfies readonly ClusterKind[];

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** `host:port` as Nacos clients take addresses; the gRPC port is port + 1000 unless given as `host:port/grpcPort`. */
const ADDRESS = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}(\/\d{1,5})?$/;
const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

export class ClusterCreateDto {
  @ApiProperty({
    example: 'region-a',
    description:
      'Unique regardless of case (`FZ-REMOTE` and `fz-remote` are one name), stored as given; letters, digits, dot, dash, underscore',
  })
  @Transform(trim)
  @IsString()
  @Length(1, 128)
  @IsPrintable()
  @Matches(NAME, { message: 'name may contain letters, digits, dot, dash and underscore only' })
  name!: string;

  @ApiProperty({ enum: SUPPORTED_CLUSTER_KINDS })
  @IsIn(SUPPORTED_CLUSTER_KINDS, { message: `kind must be one of ${SUPPORTED_CLUSTER_KINDS.join(', ')}` })
  kind!: (typeof SUPPORTED_CLUSTER_KINDS)[number];

  @ApiPropertyOptional({ type: [String], example: ['ds-a-0.ds-a:8848'], description: 'host:httpPort; none for local' })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(32)
  @IsString({ each: true })
  @Matches(ADDRESS, { each: true, message: 'each address must be host:port' })
  addresses: string[] = [];

  @ApiPropertyOptional({ description: 'Default namespace of the registry' })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 128)
  @IsPrintable()
  namespace?: string;

  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 128)
  @IsPrintable()
  username?: string;

  @ApiPropertyOptional({ description: 'Stored encrypted (SECRET_KEY); never returned' })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 512)
  @IsPrintable()
  password?: string;

  @ApiPropertyOptional({ description: 'Registry API token of a distro cluster; stored encrypted, never returned' })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 1024)
  @IsPrintable()
  token?: string;

  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(512)
  @IsPrintable()
  description?: string;
}

export class ClusterUpdateDto {
  @ApiPropertyOptional({ type: [String] })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(32)
  @IsString({ each: true })
  @Matches(ADDRESS, { each: true, message: 'each address must be host:port' })
  addresses?: string[];

  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 128)
  @IsPrintable()
  namespace?: string;

  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 128)
  @IsPrintable()
  username?: string;

  @ApiPropertyOptional({ description: 'Replaces the stored password; empty string removes it' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(512)
  @IsPrintable()
  password?: string;

  @ApiPropertyOptional({ description: 'Replaces the stored token; empty string removes it' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(1024)
  @IsPrintable()
  token?: string;

  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(512)
  @IsPrintable()
  description?: string;
}

export class ClusterListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Substring of the name' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(128)
  @IsPrintable()
  name?: string;
}

export class ClusterResponseDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['local', 'distro', 'nacos', 'zookeeper'] }) kind!: ClusterKind;
  @ApiProperty({ type: [String] }) addresses!: string[];
  @ApiProperty({ nullable: true, type: String }) namespace!: string | null;
  @ApiProperty({ nullable: true, type: String }) username!: string | null;
  @ApiProperty({ description: 'A password or token is stored (never shown)' }) hasCredentials!: boolean;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class ClusterCheckDto {
  @ApiProperty() reachable!: boolean;
  @ApiProperty({ description: 'Round trip of the check in ms' }) latencyMs!: number;
  @ApiPropertyOptional() version?: string;
  @ApiPropertyOptional({
    description: 'Wire protocol in use: `grpc` or `http-v1` (Nacos 1.x fallback) for nacos clusters',
  })
  protocol?: string;
  @ApiPropertyOptional({ description: 'Why it is not reachable' }) error?: string;
}

export class ClusterPageDto extends PageMetaDto {
  @ApiProperty({ type: [ClusterResponseDto] }) items!: ClusterResponseDto[];
}

export function mapCluster(c: ClusterEntity): ClusterResponseDto {
  return {
    id: c.id,
    name: c.name,
    kind: c.kind,
    addresses: c.addresses,
    namespace: c.namespace,
    username: c.username,
    hasCredentials: c.credentials !== null,
    description: c.description,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}
