import { Controller, Get, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminApi } from '@/admin/admin-token.guard';
import { ServiceBrowser } from './service-browser';
import {
  BrowsedInstanceDto,
  ServiceInstancesQueryDto,
  ServiceListDto,
  ServiceListQueryDto,
} from './services-admin.dto';

/** The console's read of this node's registry: namespaces, their services, a service's instances. */
@ApiTags('services')
@AdminApi()
@Controller('api/v1/services')
export class ServicesAdminController {
  constructor(private readonly browser: ServiceBrowser) {}

  @Get()
  @ApiOperation({ summary: 'Namespaces, and the services of one with instance and copy counts (this node’s view)' })
  @ApiOkResponse({ type: ServiceListDto })
  list(@Query() query: ServiceListQueryDto): ServiceListDto {
    return {
      namespaces: this.browser.namespaces(),
      ...this.browser.services(query.namespace),
      counts: this.browser.counts(),
    };
  }

  @Get('instances')
  @ApiOperation({ summary: 'Instances of one service; copies marked with their source cluster and task' })
  @ApiOkResponse({ type: [BrowsedInstanceDto] })
  @ApiNotFoundResponse({ description: 'no such service' })
  instances(@Query() query: ServiceInstancesQueryDto): BrowsedInstanceDto[] {
    return this.browser.instances({ namespace: query.namespace, group: query.group, name: query.service });
  }
}
