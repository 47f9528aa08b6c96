import { wildcard } from './wildcard';

describe(wildcard.name, () => {
  it('should match anything with a lone star', () => {
    expect(wildcard('*')('')).toBe(true);
    expect(wildcard('*')('any thing\n')).toBe(true);
  });

  it('should compare exactly without a star', () => {
    expect(wildcard('orders')('orders')).toBe(true);
    expect(wildcard('orders')('orders-2')).toBe(false);
  });

  it('should let a star stand for any run of characters, including none', () => {
    const sut = wildcard('a*b*c');
    expect(sut('abc')).toBe(true);
    expect(sut('a--b--c')).toBe(true);
    expect(sut('a--c')).toBe(false);
    expect(sut('xabc')).toBe(false);
  });

  it('should take regex characters literally', () => {
    expect(wildcard('a.b*')('a.bc')).toBe(true);
    expect(wildcard('a.b*')('axbc')).toBe(false);
    expect(wildcard('[x]*')('[x]y')).toBe(true);
  });
});
