import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AdminApi } from '../admin-token.guard';
import { CurrentPrincipal } from '../principal';
import type { Principal } from '../principal';
import { MinRole } from '../roles';
import { PasswordResetDto, UserCreateDto, UserResponseDto, UserUpdateDto, UsernamePipe, mapUser } from './user.dto';
import { UserService } from './user.service';

@ApiTags('users')
@AdminApi()
@MinRole('admin')
@Controller('api/v1/users')
export class UsersController {
  constructor(private readonly users: UserService) {}

  @Get()
  @ApiOperation({ summary: 'Every user with their role (admin only; never a password)' })
  @ApiOkResponse({ type: [UserResponseDto] })
  async list(): Promise<UserResponseDto[]> {
    return (await this.users.list()).map(mapUser);
  }

  @Post()
  @ApiOperation({ summary: 'Create a user with a role and a password' })
  @ApiCreatedResponse({ type: UserResponseDto })
  @ApiConflictResponse({ description: 'the username is taken (in any case)' })
  async create(@CurrentPrincipal() by: Principal, @Body() dto: UserCreateDto): Promise<UserResponseDto> {
    return mapUser(await this.users.create(by, dto));
  }

  @Patch(':username')
  @ApiOperation({ summary: "Change a user's role or disable them (their sessions end at once)" })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'it would leave no enabled admin' })
  async update(
    @CurrentPrincipal() by: Principal,
    @Param('username', UsernamePipe) username: string,
    @Body() dto: UserUpdateDto,
  ): Promise<UserResponseDto> {
    return mapUser(await this.users.update(by, username, dto));
  }

  @Put(':username/password')
  @HttpCode(204)
  @ApiOperation({ summary: "Reset a user's password; every session of theirs ends" })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  async resetPassword(
    @CurrentPrincipal() by: Principal,
    @Param('username', UsernamePipe) username: string,
    @Body() dto: PasswordResetDto,
  ): Promise<void> {
    await this.users.resetPassword(by, username, dto.password);
  }

  @Delete(':username')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a user and their sessions' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'it would leave no enabled admin' })
  async remove(@CurrentPrincipal() by: Principal, @Param('username', UsernamePipe) username: string): Promise<void> {
    await this.users.remove(by, username);
  }
}
