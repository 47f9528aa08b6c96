import { NacosRequestError, NacosV2ErrorCode } from '@/nacos/http/nacos-errors';
import { parseLabelExpression, parseSelector } from './selector';

function errorOf(fn: () => unknown): NacosRequestError {
  try {
    fn();
  } catch (error) {
    if (error instanceof NacosRequestError) return error;
    throw error;
  }
  throw new Error('expected a NacosRequestError');
}

describe('parseSelector', () => {
  it('should read a blank or absent selector as none', () => {
    expect(parseSelector(undefined)).toEqual({ type: 'none' });
    expect(parseSelector('  ')).toEqual({ type: 'none' });
    expect(parseSelector('{"type":"none","expression":"ignored"}')).toEqual({ type: 'none' });
  });

  it('should parse a label selector and its labels', () => {
    expect(
      parseSelector(
        '{"type":"label","expression":"CONSUMER.label.a = PROVIDER.label.a & CONSUMER.label.b=PROVIDER.label.b"}',
      ),
    ).toEqual({
      type: 'label',
      expression: 'CONSUMER.label.a = PROVIDER.label.a & CONSUMER.label.b=PROVIDER.label.b',
      labels: ['a', 'b'],
    });
    expect(parseSelector('{"type":"label"}')).toEqual({ type: 'label', expression: null, labels: [] });
  });

  it('should URL-decode the value once more, as Nacos does (a + is a space)', () => {
    expect(parseSelector('{"type":"label","expression":"CONSUMER.label.z+=+PROVIDER.label.z"}')).toEqual({
      type: 'label',
      expression: 'CONSUMER.label.z = PROVIDER.label.z',
      labels: ['z'],
    });
    expect(
      parseSelector(encodeURIComponent('{"type":"label","expression":"CONSUMER.label.y=PROVIDER.label.y"}')),
    ).toMatchObject({ labels: ['y'] });
  });

  it('should refuse with code 21006 and Nacos message what names no selector or does not parse', () => {
    const cases: Array<[string, string]> = [
      ['{"expression":"x"}', 'not match any type of selector!'],
      ['{"type":"cmdb"}', 'not match any type of selector!'],
      ['{"type":1}', 'not match any type of selector!'],
      ['[]', 'not match any type of selector!'],
      ['{"type":', "Param 'selector' is not valid JSON."],
      ['%E0%A4%A', "Param 'selector' is not valid JSON."],
      [
        '{"type":"label","expression":"CONSUMER.label.a = PROVIDER.label.b"}',
        'Selector parses failed: parse expression failed!',
      ],
      ['{"type":"label","expression":"a = b"}', 'Selector parses failed: parse expression failed!'],
      [
        '{"type":"label","expression":"CONSUMER.label.a = PROVIDER.label.a &"}',
        'Selector parses failed: parse expression failed!',
      ],
      [
        '{"type":"label","expression":"CONSUMER.label.a\\u0000 = PROVIDER.label.a"}',
        expect.stringContaining('expression') as never,
      ],
      [`{"type":"label","expression":"${'x'.repeat(1100)}"}`, "Param 'selector' must be at most 1024 characters."],
    ];
    for (const [raw, message] of cases) {
      const error = errorOf(() => parseSelector(raw));
      expect([raw, error.status, error.code, error.message]).toEqual([
        raw,
        400,
        NacosV2ErrorCode.SelectorError,
        message,
      ]);
    }
  });
});

describe('parseLabelExpression', () => {
  it('should read Nacos expressions, whitespace ignored', () => {
    expect(parseLabelExpression('')).toEqual([]);
    expect(parseLabelExpression(null)).toEqual([]);
    expect(parseLabelExpression(' CONSUMER.label.zone\t=\nPROVIDER.label.zone ')).toEqual(['zone']);
    expect(parseLabelExpression('CONSUMER.label.a=PROVIDER.label.a&CONSUMER.label.a=PROVIDER.label.a')).toEqual(['a']);
  });

  it('should keep the quirks of its Java original', () => {
    // The character after an operator is never read as one: `==` leaves `=PROVIDER…` as a term.
    expect(parseLabelExpression('CONSUMER.label.a==PROVIDER.label.a')).toBeUndefined();
    // The prefix is split as a regular expression: any character stands for each dot.
    expect(parseLabelExpression('CONSUMER.label.aCONSUMERxlabelxb=PROVIDER.label.a')).toEqual(['a']);
    // A prefix with no label after it does not parse (Java's split leaves no second part).
    expect(parseLabelExpression('CONSUMER.label.=PROVIDER.label.')).toBeUndefined();
    expect(parseLabelExpression('PROVIDER.label.a=CONSUMER.label.a')).toBeUndefined();
  });
});
