import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminApi } from '@/admin/admin-token.guard';
import { DistroService } from './distro.service';
import { DistroStatusResponseDto } from './distro-status.dto';

@ApiTags('distro')
@AdminApi()
@Controller('api/v1/distro')
export class DistroController {
  constructor(private readonly distro: DistroService) {}

  @Get()
  @ApiOperation({
    summary: 'Distro members with state, last contact, queue depth and last error; init gate; client counts',
  })
  @ApiOkResponse({ type: DistroStatusResponseDto })
  status(): DistroStatusResponseDto {
    return this.distro.status();
  }
}
