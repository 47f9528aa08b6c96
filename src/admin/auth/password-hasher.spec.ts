import { Logger } from '@nestjs/common';
import { AuthConfig } from './auth.config';
import { PasswordHasher } from './password-hasher';

const withMemory = (kib: number): AuthConfig => Object.assign(new AuthConfig(), { hashMemoryKib: kib });

describe('PasswordHasher', () => {
  afterEach(() => jest.restoreAllMocks());

  it('should hash with argon2id defaults (64 MiB, 3 passes, 4 lanes) without a config or with the default', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    for (const hasher of [new PasswordHasher(), new PasswordHasher(new AuthConfig())]) {
      expect(await hasher.hash('a password long enough')).toMatch(/^\$argon2id\$v=19\$m=65536,p=4,t=3\$/);
    }
    expect(warn).not.toHaveBeenCalled();
  });

  it('should hash with the memory PASSWORD_HASH_MEMORY_KIB gives, and warn at once when it is below the default', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const cheap = new PasswordHasher(withMemory(1024));
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]).toEqual([
      expect.stringMatching(/^PASSWORD_HASH_MEMORY_KIB=1024: .*less memory than the default 65536.*for tests only$/),
    ]);
    const hash = await cheap.hash('a password long enough');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=1024,p=4,t=3\$/);
    expect(await cheap.verify(hash, 'a password long enough')).toBe(true);
    expect(await cheap.verify(hash, 'another password here')).toBe(false);
  });

  it("should verify a hash by its own parameters, whatever the hasher's setting", async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const stored = await new PasswordHasher().hash('a password long enough');
    expect(await new PasswordHasher(withMemory(1024)).verify(stored, 'a password long enough')).toBe(true);
  });

  it('should answer false for no hash or an unreadable one', async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const hasher = new PasswordHasher(withMemory(1024));
    expect(await hasher.verify(undefined, 'a password long enough')).toBe(false);
    expect(await hasher.verify('not a hash', 'a password long enough')).toBe(false);
  });
});
