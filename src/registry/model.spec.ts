import {
  DEFAULT_GROUP,
  defaultInstanceId,
  formatServiceKey,
  groupedName,
  ipPortClientId,
  parseGroupedName,
  serviceKey,
} from './model';

describe(parseGroupedName.name, () => {
  it('should split group@@name', () => {
    expect(parseGroupedName('g1@@orders')).toEqual({ group: 'g1', name: 'orders' });
  });

  it('should put a plain name in the default group, or the one given', () => {
    expect(parseGroupedName('orders')).toEqual({ group: DEFAULT_GROUP, name: 'orders' });
    expect(parseGroupedName('orders', 'g9')).toEqual({ group: 'g9', name: 'orders' });
    expect(parseGroupedName('@@orders')).toEqual({ group: DEFAULT_GROUP, name: 'orders' });
  });

  it('should split at the first separator without throwing on odd names', () => {
    expect(parseGroupedName('a@@b@@c')).toEqual({ group: 'a', name: 'b@@c' });
    expect(parseGroupedName('')).toEqual({ group: DEFAULT_GROUP, name: '' });
  });

  it('should invert groupedName', () => {
    expect(parseGroupedName(groupedName('g', 'svc'))).toEqual({ group: 'g', name: 'svc' });
  });
});

describe(serviceKey.name, () => {
  it('should apply the Nacos defaults for a missing namespace or group', () => {
    expect(serviceKey(undefined, '', 'orders')).toEqual({
      namespace: 'public',
      group: 'DEFAULT_GROUP',
      name: 'orders',
    });
    expect(serviceKey('prod', 'g', 'orders')).toEqual({ namespace: 'prod', group: 'g', name: 'orders' });
  });
});

describe('identifiers', () => {
  it('should format ids the way Nacos does', () => {
    expect(defaultInstanceId('10.0.0.1', 80, 'DEFAULT', 'DEFAULT_GROUP@@orders')).toBe(
      '10.0.0.1#80#DEFAULT#DEFAULT_GROUP@@orders',
    );
    expect(ipPortClientId('10.0.0.1', 80)).toBe('10.0.0.1:80#true');
    expect(formatServiceKey({ namespace: 'public', group: 'g', name: 's' })).toBe('public##g@@s');
  });
});
