import { compact } from './instance';

describe(compact.name, () => {
  it('should keep the text of a string built from pieces', () => {
    const ip = '10.' + 1 + '.' + 2 + '.' + 3;
    expect(compact(ip + ':' + 8080 + '#true')).toBe('10.1.2.3:8080#true');
  });

  it('should keep a string in NFC as it is', () => {
    const name = 'caf\u00e9-' + 'サービス-' + '\u{1f680}';
    expect(compact(name)).toBe(name);
  });

  it('should return a string that is not in NFC unchanged, never its normal form', () => {
    const decomposed = 'cafe\u0301-' + 'service';
    expect(compact(decomposed)).toBe(decomposed);
    expect(compact(decomposed)).not.toBe(decomposed.normalize());
  });
});
