import { Registry } from '@/registry';
import { ephemeralConflict } from './naming-rules';

const key = { namespace: 'public', group: 'G', name: 'orders' };

describe(ephemeralConflict.name, () => {
  it('should allow either kind into an empty service and the same kind into a service', () => {
    const registry = new Registry();
    expect(ephemeralConflict(registry, key, false)).toBeUndefined();
    registry.registerInstance('c', 'connection', key, { ip: '10.0.0.1', port: 80 });
    expect(ephemeralConflict(registry, key, true)).toBeUndefined();
  });

  it("should refuse the other kind with Nacos's words", () => {
    const registry = new Registry();
    registry.registerInstance('c', 'connection', key, { ip: '10.0.0.1', port: 80 });
    expect(ephemeralConflict(registry, key, false)).toBe(
      "Current service G@@orders is ephemeral service, can't register persistent instance.",
    );
    const durable = { ...key, name: 'durable' };
    registry.registerInstance('10.0.0.2:80#false', 'ipport', durable, { ip: '10.0.0.2', port: 80, ephemeral: false });
    expect(ephemeralConflict(registry, durable, true, 'batch register')).toBe(
      "Current service G@@durable is persistent service, can't batch register ephemeral instance.",
    );
  });
});
