import { FORWARD_DEADLINE_HEADER, forwardDeadline } from './cluster-routing';

describe(forwardDeadline.name, () => {
  const at = (value: string | undefined) => ({ [FORWARD_DEADLINE_HEADER]: value });

  it('should read the deadline a forward carries', () => {
    expect(forwardDeadline(at('1000'))).toBe(1000);
  });

  it('should take a missing, empty or malformed deadline as none', () => {
    for (const value of [undefined, '', 'soon', '0', '-5', 'Infinity'])
      expect(forwardDeadline(at(value))).toBe(undefined);
  });
});
