import { NacosRequestError } from './nacos-errors';
import { NacosParams, parseMetadata, parseServiceName } from './nacos-params';

function errorOf(fn: () => unknown): NacosRequestError {
  try {
    fn();
  } catch (error) {
    if (error instanceof NacosRequestError) return error;
    throw error;
  }
  throw new Error('expected a NacosRequestError');
}

describe(NacosParams.name, () => {
  describe('fromRequest', () => {
    it('should merge query and form body, the query winning', () => {
      const sut = NacosParams.fromRequest({ query: { ip: '10.0.0.1' }, body: { ip: '10.0.0.2', port: '80' } } as never);
      expect(sut.ip()).toBe('10.0.0.1');
      expect(sut.port()).toBe(80);
    });

    it('should take the first of repeated values and ignore non-strings', () => {
      const sut = NacosParams.fromRequest({ query: { ip: ['10.0.0.3', '10.0.0.4'], port: { nested: 1 } } } as never);
      expect(sut.ip()).toBe('10.0.0.3');
      expect(errorOf(() => sut.port()).message).toBe("Param 'port' is required.");
    });
  });

  describe('missing', () => {
    it('should word a missing param as v1/v2 do, or as Nacos 3 forms do on a v3 path, with its Java type', () => {
      const v2 = NacosParams.fromRequest({ url: '/nacos/v2/ns/instance', query: {} } as never);
      const v3 = NacosParams.fromRequest({ url: '/nacos/v3/admin/ns/instance?x=1', query: {} } as never);
      expect(errorOf(() => v2.port()).message).toBe("Param 'port' is required.");
      expect(errorOf(() => v3.service()).message).toBe("Required parameter 'serviceName' type String is not present");
      expect(errorOf(() => v3.port()).message).toBe("Required parameter 'port' type Integer is not present");
      expect(v3.missing('healthy')).toMatchObject({ code: 10000, status: 400 });
      expect(v3.missing('healthy').message).toBe("Required parameter 'healthy' type Boolean is not present");
      expect(errorOf(() => NacosParams.of({}, true).required('clientId')).message).toBe(
        "Required parameter 'clientId' type String is not present",
      );
    });
  });

  describe('service', () => {
    it('should take the group from a grouped name, else from groupName', () => {
      expect(NacosParams.of({ serviceName: 'G@@svc', groupName: 'other' }).service()).toEqual({
        namespace: 'public',
        group: 'G',
        name: 'svc',
      });
      expect(NacosParams.of({ serviceName: 'svc', groupName: 'other', namespaceId: 'dev' }).service()).toEqual({
        namespace: 'dev',
        group: 'other',
        name: 'svc',
      });
    });

    it('should refuse malformed grouped names with code 21000', () => {
      for (const raw of ['@@svc', 'G@@', 'a@@b@@c']) {
        expect(errorOf(() => parseServiceName(raw, 'public', undefined)).code).toBe(21000);
      }
    });
  });

  describe('bool', () => {
    it("should read Nacos's boolean spellings and fall back across aliases", () => {
      expect(NacosParams.of({ enable: 'TRUE' }).bool('enabled', 'enable')).toBe(true);
      expect(NacosParams.of({ enabled: 'yes' }).bool('enabled', 'enable')).toBe(true);
      expect(NacosParams.of({ enabled: 'Off' }).bool('enabled', 'enable')).toBe(false);
      expect(NacosParams.of({}).bool('enabled')).toBeUndefined();
    });

    it('should refuse any other value, which Nacos would silently read as false', () => {
      for (const raw of ['maybe', '1', '0', 'true ', ' false']) {
        const error = errorOf(() => NacosParams.of({ healthy: raw }).bool('healthy'));
        expect(error.code).toBe(20002);
        expect(error.message).toBe("Param 'healthy' must be true or false.");
      }
    });
  });

  describe('numbers', () => {
    it('should read strict decimals only', () => {
      expect(NacosParams.of({ port: '8080', weight: '0.5' }).port()).toBe(8080);
      expect(NacosParams.of({ weight: '1e3' }).weight()).toBe(1000);
      for (const raw of ['+80', ' 80', '80 ', '0x50', '8e1', '80.0', '0', '65536']) {
        expect(errorOf(() => NacosParams.of({ port: raw }).port()).message).toBe(
          "Param 'port' must be a port 1-65535.",
        );
      }
      for (const raw of ['+1', ' 1', '0x50', 'Infinity', 'NaN', '1e9', '-0.5']) {
        expect(errorOf(() => NacosParams.of({ weight: raw }).weight()).code).toBe(21001);
      }
      for (const raw of ['+1', '1.0', '0', ' 2']) {
        expect(errorOf(() => NacosParams.of({ pageNo: raw }).positiveInt('pageNo', 1, 10)).code).toBe(20002);
      }
    });
  });

  describe('name', () => {
    it('should refuse names that are not printable text', () => {
      for (const raw of ['a\u0000', 'a\u001f', 'a\u007f', 'a\u0085', 'a\uD800', '\uDC00b']) {
        expect(errorOf(() => NacosParams.of({ serviceName: raw }).service()).code).toBe(20002);
      }
      expect(NacosParams.of({ serviceName: 'サービス\u{1F600}' }).service().name).toBe('サービス\u{1F600}');
    });

    it('should trim surrounding spaces only: a tab or line break around a name is refused, not dropped', () => {
      expect(NacosParams.of({ serviceName: '  svc  ' }).service().name).toBe('svc');
      for (const raw of ['svc\r\n', '\tsvc', '\n']) {
        expect(errorOf(() => NacosParams.of({ serviceName: 'svc', groupName: raw }).service()).code).toBe(20002);
      }
      expect(NacosParams.of({ serviceName: 'svc', groupName: '   ' }).service().group).toBe('DEFAULT_GROUP');
    });
  });
});

describe('parseMetadata', () => {
  it('should read JSON objects and k=v pairs, values as strings', () => {
    expect(parseMetadata('{"a":1,"b":true,"c":"x"}')).toEqual({ a: '1', b: 'true', c: 'x' });
    expect(parseMetadata('a=1,b=2=3')).toEqual({ a: '1', b: '2=3' });
  });

  it('should keep a __proto__ key as data', () => {
    const sut = parseMetadata('{"__proto__":"x"}');
    expect(Object.getPrototypeOf(sut)).toBe(Object.prototype);
    expect(Object.keys(sut)).toEqual(['__proto__']);
  });

  it('should refuse NUL and lone surrogates in keys and values, and keep other text (issue 16)', () => {
    for (const raw of ['\u0000=\u0000', 'k=a\u0000b', '{"k":"a\\u0000b"}', '{"k\\u0000":"v"}', '{"k":"\\uD800"}']) {
      expect(errorOf(() => parseMetadata(raw)).code).toBe(21002);
    }
    expect(parseMetadata('{"k":"a\\nb\\u0001\\u0085"}')).toEqual({ k: 'a\nb\u0001\u0085' });
  });

  it('should refuse arrays, nested objects, bad pairs and too many keys with code 21002', () => {
    const many = JSON.stringify(Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])));
    for (const raw of ['[1]', '{"a":{"b":1}}', 'novalue', '{"a":', many]) {
      expect(errorOf(() => parseMetadata(raw)).code).toBe(21002);
    }
  });

  describe('names fast-querystring could not decode', () => {
    it('should refuse a name still holding escapes that do not decode, and keep one that does', () => {
      expect(errorOf(() => NacosParams.of({ namespaceId: 'a%00%ED%A0%80' }).namespace()).message).toBe(
        "Param 'namespaceId' must be well-formed UTF-8 (it arrived with percent-escapes that do not decode).",
      );
      expect(errorOf(() => NacosParams.of({ serviceName: '%ED%A0%80' }).service()).code).toBe(20002);
      expect(NacosParams.of({ namespaceId: 'a%2Fb' }).namespace()).toBe('a%2Fb');
      expect(NacosParams.of({ namespaceId: '100%' }).namespace()).toBe('100%');
    });
  });
});
