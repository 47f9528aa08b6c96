import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';

/** Hashes and checks passwords with argon2id (the library's defaults: 64 MiB, 3 passes, 4 lanes). */
@Injectable()
export class PasswordHasher {
  /** A hash nothing verifies against, so an unknown username costs as much time as a wrong password. */
  private decoy?: Promise<string>;

  hash(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id });
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
