import {
  isWellFormedText,
  metadataTextViolation,
  metadataViolation,
  parseStrictInteger,
  parseStrictNumber,
  printableViolation,
} from './text-rule';

describe('text rule', () => {
  describe('printableViolation', () => {
    it.each(['order-service', 'DEFAULT_GROUP', 'ünïcødé 服务', 'a b', 'emoji 🚀'])('should accept %j', (value) => {
      expect(printableViolation(value)).toBeUndefined();
    });

    it.each(['a\u0000b', 'tab\there', 'Secret\n', '\u0001\u001f', 'del\u007f', 'c1\u0085', 'lone\ud800'])(
      'should refuse %j',
      (value) => {
        expect(printableViolation(value)).toEqual(expect.any(String));
      },
    );
  });

  describe('metadataTextViolation', () => {
    it('should accept newlines, tabs and any well-formed Unicode', () => {
      expect(metadataTextViolation('line1\nline2\t\u0001 🚀')).toBeUndefined();
    });

    it('should refuse NUL and lone surrogates', () => {
      expect(metadataTextViolation('a\u0000b')).toMatch(/NUL/);
      expect(metadataTextViolation('\udc00x')).toMatch(/surrogate/);
    });
  });

  describe('metadataViolation', () => {
    it('should name the first offending key and whether the key or the value breaks the rule', () => {
      expect(metadataViolation({ ok: 'v', '\u0000': 'v' })).toEqual({
        key: '\u0000',
        reason: expect.stringMatching(/^key /),
      });
      expect(metadataViolation({ k: 'a\u0000b' })).toEqual({ key: 'k', reason: expect.stringMatching(/^value /) });
      expect(metadataViolation({ k: 5 })).toEqual({ key: 'k', reason: 'value must be a string' });
      expect(metadataViolation({ k: 'v', other: 'multi\nline' })).toBeUndefined();
    });
  });

  describe('isWellFormedText', () => {
    it('should tell paired from lone surrogates', () => {
      expect(isWellFormedText('🚀')).toBe(true);
      expect(isWellFormedText('\ud83d')).toBe(false);
      expect(isWellFormedText('\ude80x')).toBe(false);
    });
  });

  describe('parseStrictInteger', () => {
    it.each([
      ['80', 80],
      ['-1', -1],
      ['0', 0],
    ])('should parse %j', (raw, value) => {
      expect(parseStrictInteger(raw)).toBe(value);
    });

    it.each(['0x50', '+80', ' 80', '80 ', '8e1', '80.0', '', '1234567890123456', 'NaN'])('should refuse %j', (raw) => {
      expect(parseStrictInteger(raw)).toBeUndefined();
    });
  });

  describe('parseStrictNumber', () => {
    it.each([
      ['1', 1],
      ['0.5', 0.5],
      ['-2.25', -2.25],
      ['1e3', 1000],
      ['.5', 0.5],
    ])('should parse %j', (raw, value) => {
      expect(parseStrictNumber(raw)).toBe(value);
    });

    it.each(['0x50', '+1', ' 1', 'Infinity', 'NaN', '1e999', '', '1,5', '--1'])('should refuse %j', (raw) => {
      expect(parseStrictNumber(raw)).toBeUndefined();
    });
  });
});
