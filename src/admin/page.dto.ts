import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { parseStrictInteger } from '@/common/text-rule';

/** A query-string integer parsed strictly (no `0x10`, `+5`, ` 5`); anything else stays a string and fails `@IsInt`. */
const strictInteger = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? (parseStrictInteger(value) ?? value) : value;

/** `?page=&pageSize=` of every list route: 1-based, at most 500 a page. */
export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, default: 1 })
  @IsOptional()
  @Transform(strictInteger)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  page: number = 1;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @Transform(strictInteger)
  @IsInt()
  @Min(1)
  @Max(500)
  pageSize: number = 50;
}

export class PageMetaDto {
  @ApiProperty() total!: number;
  @ApiProperty() page!: number;
  @ApiProperty() pageSize!: number;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}
