import { FORWARD_DEADLINE_HEADER, forwardExpired } from './cluster-routing';

describe(forwardExpired.name, () => {
  const at = (value: string | undefined) => ({ [FORWARD_DEADLINE_HEADER]: value });

  it('should say a forward is expired only once its deadline has passed', () => {
    expect(forwardExpired(at('1000'), 1001)).toBe(true);
    expect(forwardExpired(at('1000'), 1000)).toBe(false);
    expect(forwardExpired(at('1000'), 999)).toBe(false);
  });

  it('should take a missing, empty or malformed deadline as none', () => {
    for (const value of [undefined, '', 'soon', '0', '-5', 'Infinity'])
      expect(forwardExpired(at(value), 5000)).toBe(false);
  });
});
