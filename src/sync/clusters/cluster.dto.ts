import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ApiPropertyOptions } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsString,
  Length,
  Matches,
  MaxLength,
  ValidateIf,
} from 'class-validator';
import { IsOptionalNotNull, IsPrintable, field } from '@/common/field-validators';
import { PageMetaDto, PageQueryDto } from '@/admin/page.dto';
import { CLUSTER_KINDS } from '../entities';
import type { ClusterEntity, ClusterKind } from '../entities';

/** Kinds the workers can speak. */
export const SUPPORTED_CLUSTER_KINDS = [
  'local',
  'distro',
  'nacos',
  'zookeeper',
  'etcd',
] as const satisfies readonly ClusterKind[];

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/**
 * `host:port`, then per kind (cluster.service.ts): nothing more, a Nacos gRPC port (`/grpcPort`) or a
 * ZooKeeper chroot (`/path`).
 */
const ADDRESS = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}(\/[A-Za-z0-9._/-]{1,256})?$/;
const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

/** The addresses of a create or an update (the update's docs say less). */
const AddressesField = (doc: ApiPropertyOptions): PropertyDecorator =>
  field(
    ApiPropertyOptional(doc),
    IsOptionalNotNull(),
    IsArray(),
    ArrayMaxSize(32),
    IsString({ each: true }),
    Matches(ADDRESS, { each: true, message: 'each address must be host:port' }),
  );

/**
 * PEM text (certificates, a private key): one or more `-----BEGIN …-----` blocks of base64. The only
 * text field with line breaks; the message never quotes the value (a private key).
 */
const PEM = /^(-----BEGIN [A-Z0-9 ]+-----\r?\n[A-Za-z0-9+/=\r\n]+-----END [A-Z0-9 ]+-----\s*)+$/;
const PemField = (description: string, optionalEmpty: boolean): PropertyDecorator =>
  field(
    ApiPropertyOptional({ description, writeOnly: true }),
    IsOptionalNotNull(),
    IsString(),
    MaxLength(16384),
    ...(optionalEmpty ? [ValidateIf((_o: unknown, v: unknown) => v !== '')] : []),
    Matches(PEM, { message: '$property must be PEM text (-----BEGIN …----- blocks)' }),
  );

/** An optional string field: printable, within `length` (`Length` or `MaxLength`). */
const TextField = (length: PropertyDecorator, doc: ApiPropertyOptions = {}): PropertyDecorator =>
  field(ApiPropertyOptional(doc), IsOptionalNotNull(), IsString(), length, IsPrintable());

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

  @AddressesField({
    type: [String],
    example: ['ds-a-0.ds-a:8848'],
    description:
      'host:httpPort (nacos: `/grpcPort` may follow); zookeeper host:port, a chroot may follow (`zk1:2181/apps`); none for local',
  })
  addresses: string[] = [];

  @TextField(Length(1, 128), { description: 'Default namespace of the registry' })
  namespace?: string;

  @TextField(Length(1, 128))
  username?: string;

  @TextField(Length(1, 512), { description: 'Stored encrypted (SECRET_KEY); never returned' })
  password?: string;

  @TextField(Length(1, 1024), {
    description: 'Registry API token of a distro cluster; stored encrypted, never returned',
  })
  token?: string;

  @TextField(MaxLength(512))
  description?: string;

  @TextField(Length(1, 32), {
    description:
      'How a zookeeper or etcd cluster lays out its services: zookeeper `dubbo` (default), `dubbo-app`, `spring-cloud`; etcd `grpc-naming` (default), `kratos`',
  })
  layout?: string;

  @TextField(Length(1, 512), {
    description: "Root path (zookeeper) or key prefix (etcd) of the layout; the layout's default when left out",
  })
  prefix?: string;

  @PemField(
    'etcd: CA certificate (PEM) of the servers; with it the client speaks TLS. Stored encrypted, never returned',
    false,
  )
  tlsCa?: string;

  @PemField('etcd: client certificate (PEM), for servers that require one. Stored encrypted, never returned', false)
  tlsCert?: string;

  @PemField('etcd: private key (PEM) of the client certificate. Stored encrypted, never returned', false)
  tlsKey?: string;
}

export class ClusterUpdateDto {
  @AddressesField({ type: [String] })
  addresses?: string[];

  @TextField(Length(1, 128))
  namespace?: string;

  @TextField(Length(1, 128))
  username?: string;

  @TextField(MaxLength(512), { description: 'Replaces the stored password; empty string removes it' })
  password?: string;

  @TextField(MaxLength(1024), { description: 'Replaces the stored token; empty string removes it' })
  token?: string;

  @TextField(MaxLength(512))
  description?: string;

  @TextField(Length(1, 32), { description: 'Another layout of the same kind' })
  layout?: string;

  @TextField(MaxLength(512), { description: "Replaces the prefix; empty string = the layout's default" })
  prefix?: string;

  @PemField('Replaces the stored CA certificate (etcd); empty string removes it', true)
  tlsCa?: string;

  @PemField('Replaces the stored client certificate (etcd); empty string removes it', true)
  tlsCert?: string;

  @PemField('Replaces the stored client key (etcd); empty string removes it', true)
  tlsKey?: string;
}

/** `?check=true` on create and PATCH: save only what the check can reach and authenticate with. */
export class ClusterSaveQueryDto {
  @ApiPropertyOptional({
    type: Boolean,
    default: false,
    description:
      'Run the cluster check on the new settings first and refuse them (422, with the check result) when the registry cannot be reached or refuses the credentials',
  })
  @IsOptionalNotNull()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'check must be true or false' })
  check?: boolean;
}

export class ClusterListQueryDto extends PageQueryDto {
  @TextField(MaxLength(128), { description: 'Substring of the name' })
  name?: string;
}

export class ClusterResponseDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: CLUSTER_KINDS }) kind!: ClusterKind;
  @ApiProperty({ type: [String] }) addresses!: string[];
  @ApiProperty({ nullable: true, type: String }) namespace!: string | null;
  @ApiProperty({ nullable: true, type: String }) username!: string | null;
  @ApiProperty({ description: 'A password, token or TLS setting is stored (never shown)' }) hasCredentials!: boolean;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'zookeeper and etcd only' }) layout!: string | null;
  @ApiProperty({ nullable: true, type: String, description: "null = the layout's default" }) prefix!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class ClusterCheckDto {
  @ApiProperty() reachable!: boolean;
  @ApiProperty({ description: 'Round trip of the check in ms' }) latencyMs!: number;
  @ApiPropertyOptional() version?: string;
  @ApiPropertyOptional({
    description: 'Wire protocol in use: `grpc` or `http-v1` (Nacos 1.x fallback) for nacos clusters, `zookeeper`',
  })
  protocol?: string;
  @ApiPropertyOptional({ description: 'zookeeper, etcd: the layout the cluster is read and written in' })
  layout?: string;
  @ApiPropertyOptional({ description: 'zookeeper: the root path of the layout, chroot included' }) root?: string;
  @ApiPropertyOptional({ description: 'zookeeper: whether the root holds services of the layout' })
  layoutFound?: boolean;
  @ApiPropertyOptional({ description: 'zookeeper, etcd: services found in the layout' }) services?: number;
  @ApiPropertyOptional({ description: 'zookeeper, etcd: instances found in the layout' }) instances?: number;
  @ApiPropertyOptional({ description: 'etcd: keys under the prefix that are not registrations of the layout' })
  otherKeys?: number;
  @ApiPropertyOptional({
    description: 'zookeeper: session timeout granted by the server (how long copies outlive a dead holder)',
  })
  sessionTimeoutMs?: number;
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
    layout: c.layout,
    prefix: c.prefix,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}
