import { CredentialSealer } from './credential-sealer';

describe(CredentialSealer.name, () => {
  const sut = new CredentialSealer('a-secret-key-that-is-long-enough-0123');

  it('should round-trip secrets without the plaintext appearing in the sealed form', () => {
    const sealed = sut.seal({ password: 'hunter2-password', token: 'tok-123' });
    expect(sealed.toString('latin1')).not.toContain('hunter2');
    expect(sut.open(sealed)).toEqual({ password: 'hunter2-password', token: 'tok-123' });
  });

  it('should seal the same secrets differently each time (fresh IV)', () => {
    expect(sut.seal({ password: 'x' }).equals(sut.seal({ password: 'x' }))).toBe(false);
  });

  it('should refuse a tampered blob and another key', () => {
    const sealed = sut.seal({ password: 'x' });
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1] ^= 1;
    expect(() => sut.open(tampered)).toThrow();
    expect(() => new CredentialSealer('another-secret-key-that-is-long-enough').open(sealed)).toThrow();
  });

  it('should say it is unavailable without SECRET_KEY and refuse to seal', () => {
    const none = new CredentialSealer(undefined);
    expect(none.available).toBe(false);
    expect(() => none.seal({ password: 'x' })).toThrow(/SECRET_KEY is not set/);
  });
});
