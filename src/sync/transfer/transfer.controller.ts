import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminApi } from '@/admin/admin-token.guard';
import { ImportQueryDto, ImportReportDto, TransferDocumentDto } from './transfer.dto';
import { TransferService } from './transfer.service';

@ApiTags('export and import')
@AdminApi()
@Controller('api/v1')
export class TransferController {
  constructor(private readonly transfer: TransferService) {}

  @Get('export')
  @ApiOperation({
    summary: 'Every cluster and task as one JSON document; secrets left out and named, to be entered again',
  })
  @ApiOkResponse({ type: TransferDocumentDto })
  export(): Promise<TransferDocumentDto> {
    return this.transfer.export();
  }

  @Post('import')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Apply an exported document: checked first, then all or nothing, matched by name (importing twice changes nothing)',
  })
  @ApiOkResponse({ type: ImportReportDto, description: 'What was created or updated, and which clusters need secrets' })
  @ApiBadRequestResponse({
    description: 'an item is invalid; the message names it (`tasks.3: …`); nothing was applied',
  })
  @ApiConflictResponse({ description: 'an item conflicts with another task or cluster; nothing was applied' })
  import(@Body() doc: TransferDocumentDto, @Query() query: ImportQueryDto): Promise<ImportReportDto> {
    return this.transfer.import(doc, query.dryRun === true);
  }
}
