import { EncodedCache } from './encoded-cache';

const bytes = (n: number) => new Uint8Array(n);

describe(EncodedCache.name, () => {
  it('should answer only for the stamp the bytes were stored with', () => {
    const sut = new EncodedCache(100);
    const stored = bytes(10);
    sut.set('k', 1, stored);

    expect(sut.get('k', 1)).toBe(stored);
    expect(sut.get('k', 2)).toBeUndefined();
    expect(sut.get('other', 1)).toBeUndefined();
  });

  it('should drop the oldest entries to stay within its byte budget', () => {
    const sut = new EncodedCache(25);
    sut.set('a', 1, bytes(10));
    sut.set('b', 1, bytes(10));
    sut.set('a', 2, bytes(10));
    sut.set('c', 1, bytes(10));

    expect(sut.get('b', 1)).toBeUndefined();
    expect(sut.get('a', 2)).toBeDefined();
    expect(sut.get('c', 1)).toBeDefined();
    expect(sut.bytes).toBe(20);
  });

  it('should not keep an item larger than the whole budget', () => {
    const sut = new EncodedCache(5);
    sut.set('big', 1, bytes(6));

    expect(sut.get('big', 1)).toBeUndefined();
    expect(sut.bytes).toBe(0);
  });
});
