import { Backoff } from './backoff';

describe(Backoff.name, () => {
  it('should double the wait per failure up to the cap', () => {
    const sut = new Backoff(100, 1000, () => 0);
    expect([sut.fail(), sut.fail(), sut.fail(), sut.fail(), sut.fail(), sut.fail()]).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect(sut.attempts).toBe(6);
  });

  it('should take up to half of each wait off at random, never more', () => {
    const sut = new Backoff(1000, 60000, () => 0.999);
    expect(sut.fail()).toBeGreaterThanOrEqual(500);
    expect(new Backoff(1000, 60000, () => 0.5).fail()).toBe(750);
  });

  it('should start over after a reset', () => {
    const sut = new Backoff(100, 1000, () => 0);
    sut.fail();
    sut.fail();
    sut.reset();
    expect(sut.attempts).toBe(0);
    expect(sut.fail()).toBe(100);
  });
});
