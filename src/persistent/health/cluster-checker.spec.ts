import { CheckerSpecError, customHeaders, parseHealthChecker } from './cluster-checker';

describe(parseHealthChecker.name, () => {
  it('should read the checkers as Nacos serializes them, with its defaults', () => {
    expect(parseHealthChecker('{"type":"TCP"}')).toEqual({ type: 'TCP' });
    expect(parseHealthChecker('{"type":"none"}')).toEqual({ type: 'NONE' });
    expect(parseHealthChecker('{"type":"HTTP"}')).toEqual({
      type: 'HTTP',
      path: '',
      headers: '',
      expectedResponseCode: 200,
    });
    expect(parseHealthChecker('{"type":"HTTP","path":"/ok","headers":"A:1","expectedResponseCode":"204"}')).toEqual({
      type: 'HTTP',
      path: '/ok',
      headers: 'A:1',
      expectedResponseCode: 204,
    });
  });

  it.each([
    ['[]', "Param 'healthChecker' must be a JSON object with a type."],
    ['{}', 'healthChecker type must be TCP, HTTP or NONE.'],
    ['{"type":"MYSQL"}', 'healthChecker type MYSQL is not supported here; use TCP, HTTP or NONE.'],
    ['{"type":"HTTP","path":"/a b"}', expect.stringContaining('healthChecker path')],
    ['{"type":"HTTP","headers":"A:\\u0001"}', expect.stringContaining('healthChecker headers')],
    [
      '{"type":"HTTP","expectedResponseCode":600}',
      'healthChecker expectedResponseCode must be an HTTP status 100-599.',
    ],
  ])('should refuse %s', (raw, message) => {
    expect(() => parseHealthChecker(raw)).toThrow(CheckerSpecError);
    expect(() => parseHealthChecker(raw)).toThrow(expect.objectContaining({ message }));
  });
});

describe(customHeaders.name, () => {
  it('should split Name:value pairs on |, trimmed, skipping what is not a pair or not a header name', () => {
    expect(customHeaders(' A : 1 |B:2|broken|C:3:4|Bad name:5')).toEqual({ A: '1', B: '2' });
    expect(customHeaders('')).toEqual({});
  });
});
