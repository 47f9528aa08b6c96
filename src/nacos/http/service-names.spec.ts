import { Registry } from '@/registry';
import { NacosParams } from './nacos-params';
import { MAX_EXPR_LENGTH, ServiceNameSearch, contains, javaPattern } from './service-names';

function setUp(): ServiceNameSearch {
  const registry = new Registry();
  const register = (namespace: string, group: string, name: string, ip: string) =>
    registry.registerInstance(`${ip}:80#true`, 'ipport', { namespace, group, name }, { ip, port: 80 });
  register('public', 'DEFAULT_GROUP', 'orders', '10.0.0.1');
  register('public', 'shop', 'orders-v2', '10.0.0.2');
  register('public', 'DEFAULT_GROUP', 'stock', '10.0.0.3');
  register('dev', 'DEFAULT_GROUP', 'orders', '10.0.0.4');
  return new ServiceNameSearch(registry);
}

describe(ServiceNameSearch.name, () => {
  it('should give every namespace its grouped names when namespaceId is blank, count summing them', () => {
    const result = setUp().search(NacosParams.of({}));

    expect(result).toEqual({
      'META-INF/services': {
        public: ['DEFAULT_GROUP@@orders', 'DEFAULT_GROUP@@stock', 'shop@@orders-v2'],
        dev: ['DEFAULT_GROUP@@orders'],
      },
      count: 4,
    });
  });

  it('should match expr as Nacos does, a regex anywhere in the grouped name, in the namespace asked', () => {
    const sut = setUp();

    expect(sut.search(NacosParams.of({ namespaceId: 'public', expr: 'ord' }))).toEqual({
      'META-INF/services': { public: ['DEFAULT_GROUP@@orders', 'shop@@orders-v2'] },
      count: 2,
    });
    expect(sut.search(NacosParams.of({ namespaceId: 'public', expr: 'shop@@.*v\\d' })).count).toBe(1);
    expect(sut.search(NacosParams.of({ namespaceId: 'public', expr: '^stock' })).count).toBe(0);
    expect(sut.search(NacosParams.of({ namespaceId: 'empty' }))).toEqual({
      'META-INF/services': { empty: [] },
      count: 0,
    });
  });

  it('should refuse an invalid, too long or backtracking-prone expr with a clear message', () => {
    const sut = setUp();

    expect(() => sut.search(NacosParams.of({ expr: '(' }))).toThrow("Param 'expr' is not a valid regular expression.");
    expect(() => sut.search(NacosParams.of({ expr: 'a'.repeat(MAX_EXPR_LENGTH + 1) }))).toThrow(/at most/);
    expect(() => sut.search(NacosParams.of({ expr: '(a+)+b' }))).toThrow(/quantifier/);
    expect(() => sut.search(NacosParams.of({ expr: '(x*)*' }))).toThrow(/quantifier/);
    expect(sut.search(NacosParams.of({ expr: '(ord)+' })).count).toBe(3);
  });
});

describe('contains and javaPattern', () => {
  it('should match the whole name as Java matches .*g.*@@.*s.*, a blank part matching anything', () => {
    const pattern = javaPattern([contains('g', 'sh'), '@@', contains('s', '')]);
    expect(['shop@@orders', 'DEFAULT_GROUP@@shoes', 'xshx@@a'].filter((name) => pattern.test(name))).toEqual([
      'shop@@orders',
      'xshx@@a',
    ]);
    expect(javaPattern([contains('s', 'a$')]).test('beta')).toBe(true);
    expect(javaPattern([contains('s', 'a$')]).test('gamma1')).toBe(false);
  });

  it('should refuse an invalid pattern, a repeated quantified group and an overlong one, naming the param', () => {
    expect(() => contains('serviceNameParam', '[')).toThrow(
      "Param 'serviceNameParam' is not a valid regular expression.",
    );
    expect(() => contains('groupNameParam', '(a+)+')).toThrow(
      "Param 'groupNameParam' must not repeat a group that holds a quantifier.",
    );
    expect(() => contains('expr', 'a'.repeat(MAX_EXPR_LENGTH + 1))).toThrow(
      `Param 'expr' must be at most ${MAX_EXPR_LENGTH} characters.`,
    );
  });
});
