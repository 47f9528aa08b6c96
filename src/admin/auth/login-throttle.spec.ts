import { AuthConfig } from './auth.config';
import { FailureBackoff, LoginThrottle, MAX_BACKOFF_MS } from './login-throttle';

describe(FailureBackoff.name, () => {
  let now: number;
  let sut: FailureBackoff;

  beforeEach(() => {
    now = 1_000_000;
    sut = new FailureBackoff(5, 1000, () => now);
  });

  const failTimes = (n: number): void => {
    for (let i = 0; i < n; i++) sut.fail('alice');
  };

  it('should let the free failures pass without a wait', () => {
    failTimes(4);
    expect(sut.waitMs('alice')).toBe(0);
  });

  it('should make the next attempt wait once the free failures are used, doubling each time', () => {
    failTimes(5);
    expect(sut.waitMs('alice')).toBe(1000);
    sut.fail('alice');
    expect(sut.waitMs('alice')).toBe(2000);
    sut.fail('alice');
    expect(sut.waitMs('alice')).toBe(4000);
    now += 1500;
    expect(sut.waitMs('alice')).toBe(2500);
  });

  it('should never wait longer than the cap', () => {
    failTimes(60);
    expect(sut.waitMs('alice')).toBe(MAX_BACKOFF_MS);
  });

  it('should keep keys apart', () => {
    failTimes(5);
    expect(sut.waitMs('bob')).toBe(0);
  });

  it('should start afresh after a clear', () => {
    failTimes(5);
    sut.clear('alice');
    expect(sut.waitMs('alice')).toBe(0);
    sut.fail('alice');
    expect(sut.waitMs('alice')).toBe(0);
  });

  it('should forget a key that stayed quiet past its wait and the cap', () => {
    failTimes(6);
    now += 2000 + MAX_BACKOFF_MS;
    sut.fail('alice');
    expect(sut.waitMs('alice')).toBe(0);
  });
});

describe(LoginThrottle.name, () => {
  const config = Object.assign(new AuthConfig(), { usernameFailuresFree: 2, ipFailuresFree: 3, backoffMs: 500 });
  let now: number;
  let sut: LoginThrottle;

  beforeEach(() => {
    now = 0;
    sut = new LoginThrottle(config, () => now);
  });

  it('should throttle a username in any case, from any address', () => {
    sut.failed('Alice', '10.0.0.1');
    sut.failed('alice', '10.0.0.2');
    expect(sut.waitMs('ALICE', '10.0.0.3')).toBe(500);
  });

  it('should throttle an address trying many usernames', () => {
    for (const name of ['a', 'b', 'c']) sut.failed(name, '10.0.0.1');
    expect(sut.waitMs('d', '10.0.0.1')).toBe(500);
    expect(sut.waitMs('d', '10.0.0.2')).toBe(0);
  });

  it("should clear a username's failures on success but not its address's", () => {
    sut.failed('alice', '10.0.0.1');
    sut.failed('alice', '10.0.0.1');
    sut.succeeded('alice');
    expect(sut.waitMs('alice', '10.0.0.9')).toBe(0);
    sut.failed('bob', '10.0.0.1');
    expect(sut.waitMs('carol', '10.0.0.1')).toBe(500);
  });
});
