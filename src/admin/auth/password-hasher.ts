import { Injectable, Logger, Optional } from '@nestjs/common';
import * as argon2 from 'argon2';
import { AuthConfig, DEFAULT_HASH_MEMORY_KIB } from './auth.config';

/**
 * Hashes and checks passwords with argon2id: the library's defaults (64 MiB, 3 passes, 4 lanes), or less
 * memory where PASSWORD_HASH_MEMORY_KIB says so — for tests, which hash dozens of passwords; a node told
 * that warns at start, so a lowered cost never goes unnoticed. A hash carries its own parameters, so
 * hashes made before a change of the setting still verify.
 */
@Injectable()
export class PasswordHasher {
  /** A hash nothing verifies against, so an unknown username costs as much time as a wrong password. */
  private decoy?: Promise<string>;
  private readonly memoryCost: number;

  /** Without a config (the user CLI): the defaults. */
  constructor(@Optional() config?: AuthConfig) {
    this.memoryCost = config?.hashMemoryKib ?? DEFAULT_HASH_MEMORY_KIB;
    if (this.memoryCost < DEFAULT_HASH_MEMORY_KIB) {
      // One string: this runs while the app is being built, before the logger takes structured fields.
      new Logger(PasswordHasher.name).warn(
        `PASSWORD_HASH_MEMORY_KIB=${this.memoryCost}: password hashes use less memory than the default ` +
          `${DEFAULT_HASH_MEMORY_KIB}, weaker against guessing from a stolen hash; for tests only`,
      );
    }
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id, memoryCost: this.memoryCost });
  }

  /** Whether `password` matches `hash`; with no hash, spends the same effort and answers false. */
  async verify(hash: string | undefined, password: string): Promise<boolean> {
    if (hash === undefined) {
      this.decoy ??= this.hash('decoy password: no user has it');
      await argon2.verify(await this.decoy, password);
      return false;
    }
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false; // a hash the library cannot read matches nothing
    }
  }
}
