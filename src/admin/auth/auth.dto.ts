import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { IsPrintable } from '@/common/field-validators';
import { ROLES } from '../roles';
import type { Role } from '../roles';

export class LoginDto {
  @ApiProperty({ example: 'alice' })
  @IsString()
  @Length(1, 256)
  @IsPrintable()
  username!: string;

  @ApiProperty({ writeOnly: true })
  @IsString()
  @Length(1, 1024)
  @IsPrintable()
  password!: string;
}

export class SessionResponseDto {
  @ApiPropertyOptional({ description: 'the signed-in user; null for the bearer token and open mode' })
  username!: string | null;

  @ApiProperty({ enum: ROLES }) role!: Role;

  @ApiProperty({ enum: ['session', 'token', 'open'], description: 'how this call was authenticated' })
  via!: 'session' | 'token' | 'open';

  @ApiPropertyOptional({
    description: 'send as the X-CSRF-Token header with every change made with the session cookie',
  })
  csrfToken?: string;
}
