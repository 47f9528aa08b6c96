import { secretsEqual } from './secret-compare';

describe(secretsEqual.name, () => {
  it('should accept the same secret and reject any other, whatever the length', () => {
    expect(secretsEqual('s3cret-token-value', 's3cret-token-value')).toBe(true);
    expect(secretsEqual('s3cret-token-valuX', 's3cret-token-value')).toBe(false);
    expect(secretsEqual('short', 's3cret-token-value')).toBe(false);
    expect(secretsEqual('', 's3cret-token-value')).toBe(false);
  });
});
