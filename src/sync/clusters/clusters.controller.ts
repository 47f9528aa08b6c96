import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { AdminApi } from '@/admin/admin-token.guard';
import {
  ClusterCheckDto,
  ClusterCreateDto,
  ClusterListQueryDto,
  ClusterPageDto,
  ClusterResponseDto,
  ClusterSaveQueryDto,
  ClusterUpdateDto,
  mapCluster,
} from './cluster.dto';
import { ClusterService } from './cluster.service';

@ApiTags('clusters')
@AdminApi()
@Controller('api/v1/clusters')
export class ClustersController {
  constructor(private readonly clusters: ClusterService) {}

  @Post()
  @ApiOperation({ summary: 'Register a registry that tasks copy from or into' })
  @ApiOkResponse({ type: ClusterResponseDto })
  @ApiConflictResponse({ description: 'name taken, or a second local cluster' })
  @ApiUnprocessableEntityResponse({ description: 'check=true and the check failed: `check` holds its result' })
  async create(@Body() dto: ClusterCreateDto, @Query() query: ClusterSaveQueryDto): Promise<ClusterResponseDto> {
    return mapCluster(await this.clusters.create(dto, query.check === true));
  }

  @Get()
  @ApiOperation({ summary: 'List clusters (paged, filter by name)' })
  @ApiOkResponse({ type: ClusterPageDto })
  async list(@Query() query: ClusterListQueryDto): Promise<ClusterPageDto> {
    const page = await this.clusters.list(query);
    return { ...page, items: page.items.map(mapCluster) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'A cluster (credentials are never shown: `hasCredentials` says whether any are stored)' })
  @ApiOkResponse({ type: ClusterResponseDto })
  @ApiNotFoundResponse()
  async get(@Param('id', ParseUUIDPipe) id: string): Promise<ClusterResponseDto> {
    return mapCluster(await this.clusters.get(id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change addresses, namespace, credentials or description' })
  @ApiOkResponse({ type: ClusterResponseDto })
  @ApiNotFoundResponse()
  @ApiUnprocessableEntityResponse({ description: 'check=true and the check failed: `check` holds its result' })
  async update(
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: ClusterUpdateDto,
    @Query() query: ClusterSaveQueryDto,
  ): Promise<ClusterResponseDto> {
    return mapCluster(await this.clusters.update(id, dto, query.check === true));
  }

  @Post(':id/check')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reach the registry now: reachability, version, latency' })
  @ApiOkResponse({ type: ClusterCheckDto })
  @ApiNotFoundResponse()
  check(@Param('id', ParseUUIDPipe) id: string): Promise<ClusterCheckDto> {
    return this.clusters.check(id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a cluster no task uses' })
  @ApiConflictResponse({ description: 'a task uses the cluster' })
  @ApiNotFoundResponse()
  async remove(@Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.clusters.remove(id);
  }
}
