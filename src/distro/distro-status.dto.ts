import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class DistroMemberResponseDto {
  @ApiProperty({ example: '10.0.0.12:9849', description: 'Member id (host:distroPort)' })
  id!: string;

  @ApiProperty({ enum: ['UP', 'SUSPICIOUS', 'DOWN'] })
  state!: string;

  @ApiPropertyOptional({ description: 'Last successful call to the peer (ISO time)' })
  lastContact?: string;

  @ApiPropertyOptional({ description: 'Last failed call, e.g. "refused: connect ECONNREFUSED"' })
  lastError?: string;

  @ApiProperty({ description: 'Consecutive failed probes' })
  failures!: number;

  @ApiProperty({ description: 'Clients waiting to be sent to this peer' })
  queueDepth!: number;

  @ApiPropertyOptional({ description: 'Last successful sync call to this peer (ISO time)' })
  lastSync?: string;

  @ApiPropertyOptional({ description: 'The peer reported it has loaded its snapshot' })
  peerInitialized?: boolean;
}

export class DistroStatusResponseDto {
  @ApiProperty({ description: 'False on a standalone node (no DISTRO_MEMBERS / DISTRO_MEMBERS_DNS)' })
  clustered!: boolean;

  @ApiProperty({ example: '10.0.0.11:9849', description: "This node's member id, or 'standalone'" })
  self!: string;

  @ApiProperty({ description: 'Bound Distro gRPC port' })
  port!: number;

  @ApiProperty({
    description: 'False until the start-up snapshot is loaded; Nacos reads and writes answer 503 until then',
  })
  initialized!: boolean;

  @ApiProperty({ description: 'Why the init gate is open or closed' })
  initState!: string;

  @ApiProperty({ type: [DistroMemberResponseDto] })
  members!: DistroMemberResponseDto[];

  @ApiProperty({ description: 'Members responsible for ip-port clients (UP + SUSPICIOUS, sorted)' })
  responsibleMembers!: string[];

  @ApiProperty({ description: 'Clients this node is responsible for and replicates' })
  ownedClients!: number;

  @ApiProperty({ description: 'Copies of clients other nodes are responsible for' })
  replicatedClients!: number;

  @ApiProperty({
    description: 'Tombstones held: withdrawn publications and removed clients, until DISTRO_TOMBSTONE_TTL_MS',
  })
  tombstones!: number;

  @ApiProperty({ description: 'Removed clients kept only for their tombstones' })
  removedClients!: number;

  @ApiProperty({
    description:
      "This node's hybrid logical clock: the newest version it has stamped or seen (physical ms * 2048 + counter)",
  })
  version!: number;
}
