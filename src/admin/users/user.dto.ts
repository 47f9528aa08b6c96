import { BadRequestException, applyDecorators } from '@nestjs/common';
import type { PipeTransform } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsString, Length, Matches } from 'class-validator';
import { IsOptionalNotNull, IsPrintable } from '@/common/field-validators';
import { ROLES } from '../roles';
import type { Role } from '../roles';
import type { UserRow } from '../store/user.repository';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, USERNAME_PATTERN, USERNAME_RULE } from './credentials';

const PASSWORD_MESSAGE = `$property must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long`;

/** A new password: long enough, printable; its messages never quote it. */
function PasswordField(): PropertyDecorator {
  return applyDecorators(
    ApiProperty({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH, writeOnly: true }),
    IsString(),
    Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH, { message: PASSWORD_MESSAGE }),
    IsPrintable(),
  );
}

export class UserCreateDto {
  @ApiProperty({ description: `${USERNAME_RULE}; unique regardless of case`, example: 'alice' })
  @IsString()
  @Matches(USERNAME_PATTERN, { message: `username must be ${USERNAME_RULE}` })
  username!: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role!: Role;

  @PasswordField()
  password!: string;
}

export class UserUpdateDto {
  @ApiPropertyOptional({ enum: ROLES })
  @IsOptionalNotNull()
  @IsIn(ROLES)
  role?: Role;

  @ApiPropertyOptional({ description: 'a disabled user cannot sign in; their sessions end at once' })
  @IsOptionalNotNull()
  @IsBoolean()
  disabled?: boolean;
}

export class PasswordResetDto {
  @PasswordField()
  password!: string;
}

export class PasswordChangeDto {
  @ApiProperty({ writeOnly: true })
  @IsString()
  @Length(1, 1024)
  @IsPrintable()
  currentPassword!: string;

  @PasswordField()
  newPassword!: string;
}

export class UserResponseDto {
  @ApiProperty() id!: string;
  @ApiProperty() username!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty() disabled!: boolean;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;
}

/** A user as the API shows it: never the hash. */
export function mapUser(user: UserRow): UserResponseDto {
  return {
    id: user.id,
    username: user.username,
    role: user.role,
    disabled: user.disabled,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
  };
}

/** The `:username` of a users route: refused with 400 before it reaches a query when it cannot be a username. */
export class UsernamePipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!USERNAME_PATTERN.test(value)) throw new BadRequestException([`username must be ${USERNAME_RULE}`]);
    return value;
  }
}
