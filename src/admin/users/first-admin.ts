import { Injectable, Logger } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import { AuthConfig } from '../auth/auth.config';
import { PasswordHasher } from '../auth/password-hasher';
import { AuthStore } from '../store/auth-store';

/**
 * The first admin from ADMIN_USERNAME and ADMIN_PASSWORD, created at start only while no user
 * exists (later starts leave users alone, so a changed password is not reset). Never logs the password.
 */
@Injectable()
export class FirstAdmin implements OnModuleInit {
  private readonly logger = new Logger(FirstAdmin.name);

  constructor(
    private readonly config: AuthConfig,
    private readonly store: AuthStore,
    private readonly hasher: PasswordHasher,
  ) {}

  async onModuleInit(): Promise<void> {
    const { username, password } = this.config;
    if (username === undefined || password === undefined || (await this.store.users.any())) return;
    const passwordHash = await this.hasher.hash(password);
    if (await this.store.users.insertFirst({ username, role: 'admin', passwordHash })) {
      this.logger.log({ user: username }, 'created the first admin from ADMIN_USERNAME');
    }
  }
}
