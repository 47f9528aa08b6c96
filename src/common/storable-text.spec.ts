import { forgetSecretsForTest, registerSecret } from './secret-scrubber';
import { storableJson, storableText } from './storable-text';

describe(storableText.name, () => {
  afterEach(() => forgetSecretsForTest());

  it('should scrub registered secrets and credential shapes', () => {
    registerSecret('Sekrit-token-42\n');
    expect(storableText('Metadata string value "Bearer Sekrit-token-42\n" contains illegal characters', 200)).toBe(
      'Metadata string value "Bearer ***" contains illegal characters',
    );
    expect(storableText('refused Sekrit-token-42 again', 200)).toBe('refused *** again');
  });

  it('should show NUL and lone surrogates so Postgres takes the text', () => {
    expect(storableText('a\0b\uD800c', 200)).toBe('a\\0b\uFFFDc');
  });

  it('should cut the text to the column', () => {
    expect(storableText('x'.repeat(10), 4)).toBe('xxxx');
  });

  it('should clean every string inside event details, keys included', () => {
    registerSecret('Sekrit-token-42');
    expect(storableJson({ 'k\0': ['Sekrit-token-42', 1, { v: 'a\0' }], n: null })).toEqual({
      'k\\0': ['***', 1, { v: 'a\\0' }],
      n: null,
    });
  });
});
