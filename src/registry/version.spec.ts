import {
  HybridClock,
  LOGICAL_BITS,
  MAX_OBSERVED_AHEAD_MS,
  compareStamps,
  isVersion,
  newer,
  versionAt,
  versionTime,
} from './version';

describe(HybridClock.name, () => {
  it('should stamp the physical time when it moves on, and count on within one millisecond', () => {
    let now = 1_000;
    const sut = new HybridClock('a', () => now);

    const first = sut.next();
    const second = sut.next();
    now = 1_001;
    const third = sut.next();

    expect([first, second, third]).toEqual([1_000 * LOGICAL_BITS, 1_000 * LOGICAL_BITS + 1, 1_001 * LOGICAL_BITS]);
    expect(versionTime(second)).toBe(1_000);
    expect(sut.peek()).toBe(third);
  });

  it('should stamp every version inside a hold from the first one, however far the wall clock moves meanwhile', () => {
    let now = 2_000;
    const sut = new HybridClock('a', () => now);
    const inside: number[] = [];

    const ran = sut.holdingIfBefore(versionAt(2_000), () => {
      inside.push(sut.next());
      now = 9_000; // paused for 7 s in the middle of the writes
      inside.push(sut.next());
    });

    expect(ran).toBe(true);
    expect(inside).toEqual([2_000 * LOGICAL_BITS + 1, 2_000 * LOGICAL_BITS + 2]);
    expect(sut.next()).toBe(9_000 * LOGICAL_BITS);
  });

  it('should run nothing when the clock is past the bound already, and hold again after a hold that threw', () => {
    let now = 3_000;
    const sut = new HybridClock('a', () => now);
    const fn = jest.fn();

    expect(sut.holdingIfBefore(versionAt(2_999), fn)).toBe(false);
    expect(fn).not.toHaveBeenCalled();
    expect(() =>
      sut.holdingIfBefore(versionAt(3_001) - 1, () => {
        throw new Error('bad input');
      }),
    ).toThrow('bad input');
    now = 3_005;
    expect(sut.next()).toBe(3_005 * LOGICAL_BITS);
    expect(() => sut.holdingIfBefore(versionAt(4_000), () => sut.holdingIfBefore(versionAt(4_000), fn))).toThrow(
      'already held',
    );
  });

  it('should never go back when the wall clock does', () => {
    let now = 5_000;
    const sut = new HybridClock('a', () => now);
    const before = sut.next();

    now = 4_000;

    expect(sut.next()).toBe(before + 1);
  });

  it('should stamp above any version it observed, and tell how far ahead that was', () => {
    const sut = new HybridClock('a', () => 1_000);
    const ahead = versionAt(61_000) + 3;

    expect(sut.observe(ahead)).toBe(60_000);
    expect(sut.next()).toBe(ahead + 1);
    // An older version moves nothing.
    expect(sut.observe(versionAt(10))).toBe(10 - 1_000);
    expect(sut.next()).toBe(ahead + 2);
  });

  it('should follow an observed version at most MAX_OBSERVED_AHEAD_MS ahead, and still tell the whole skew', () => {
    const sut = new HybridClock('a', () => 1_000);
    const farAhead = versionAt(1_000 + 2 * MAX_OBSERVED_AHEAD_MS);

    expect(sut.observe(farAhead)).toBe(2 * MAX_OBSERVED_AHEAD_MS);
    expect(sut.next()).toBe(versionAt(1_000 + MAX_OBSERVED_AHEAD_MS) + 1);
  });

  it('should carry more than 2048 writes in one millisecond into the next', () => {
    const sut = new HybridClock('a', () => 7);
    let last = 0;
    for (let i = 0; i <= LOGICAL_BITS; i++) last = sut.next();

    expect(last).toBe(versionAt(8));
    expect(versionTime(last)).toBe(8);
  });

  it('should have a node id that can be changed', () => {
    const sut = new HybridClock('a');
    sut.node = 'b';

    expect(sut.node).toBe('b');
    expect(sut.peek()).toBe(0);
  });
});

describe('stamps', () => {
  it('should order by version first, then by writer id', () => {
    expect(compareStamps(2, 'a', 1, 'z')).toBe(1);
    expect(compareStamps(1, 'z', 2, 'a')).toBe(-1);
    expect(compareStamps(5, 'b', 5, 'a')).toBe(1);
    expect(compareStamps(5, 'a', 5, 'b')).toBe(-1);
    expect(compareStamps(5, 'a', 5, 'a')).toBe(0);
    expect(newer(5, 'b', 5, 'a')).toBe(true);
    expect(newer(5, 'a', 5, 'a')).toBe(false);
    expect(newer(4, 'z', 5, 'a')).toBe(false);
  });

  it('should agree with compareStamps on every pair', () => {
    const stamps: Array<[number, string]> = [
      [1, 'a'],
      [1, 'b'],
      [2, ''],
      [2, 'a'],
      [3, 'a'],
    ];
    for (const [av, aw] of stamps) {
      for (const [bv, bw] of stamps) {
        expect(newer(av, aw, bv, bw)).toBe(compareStamps(av, aw, bv, bw) > 0);
        expect(compareStamps(av, aw, bv, bw) + compareStamps(bv, bw, av, aw)).toBe(0);
      }
    }
  });

  it('should accept as a version only a positive integer a double holds exactly', () => {
    expect(isVersion(1)).toBe(true);
    expect(isVersion(Number.MAX_SAFE_INTEGER)).toBe(true);
    for (const value of [0, -1, 1.5, 2 ** 53, Number.NaN, Infinity, '5', undefined, null]) {
      expect(isVersion(value)).toBe(false);
    }
  });

  it('should pack times of this century exactly', () => {
    const ms = Date.UTC(2099, 0, 1);

    expect(Number.isSafeInteger(versionAt(ms) + LOGICAL_BITS - 1)).toBe(true);
    expect(versionTime(versionAt(ms) + LOGICAL_BITS - 1)).toBe(ms);
  });
});
