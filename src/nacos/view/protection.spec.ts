import { selectWithProtection } from './protection';

const host = (name: string, healthy: boolean) => ({ name, healthy });

describe('selectWithProtection', () => {
  const mixed = [host('a', true), host('b', false), host('c', false)];

  it('should never protect a service without stored metadata', () => {
    const sut = selectWithProtection([host('a', false)], false, undefined);
    expect(sut).toEqual({ hosts: [host('a', false)], shownHealthy: new Set(), reachProtectionThreshold: false });
  });

  it('should return every instance, the unhealthy ones shown healthy, at or below the threshold', () => {
    const sut = selectWithProtection(mixed, false, { protectThreshold: 0.5 });
    expect(sut.reachProtectionThreshold).toBe(true);
    expect(sut.hosts).toEqual(mixed);
    expect([...sut.shownHealthy].map((h) => h.name)).toEqual(['b', 'c']);
  });

  it('should compare as Java floats do: 7 healthy of 10 reach a threshold of 0.7', () => {
    const ten = Array.from({ length: 10 }, (_, i) => host(String(i), i < 7));
    expect(selectWithProtection(ten, false, { protectThreshold: 0.7 }).reachProtectionThreshold).toBe(true);
    expect(selectWithProtection(ten, false, { protectThreshold: 0.69 }).reachProtectionThreshold).toBe(false);
  });

  it('should not protect above the threshold', () => {
    const sut = selectWithProtection(mixed, false, { protectThreshold: 0.3 });
    expect(sut).toEqual({ hosts: mixed, shownHealthy: new Set(), reachProtectionThreshold: false });
  });

  it('should reach a threshold of 0 only when no instance is healthy', () => {
    expect(selectWithProtection(mixed, false, { protectThreshold: 0 }).reachProtectionThreshold).toBe(false);
    const down = [host('a', false), host('b', false)];
    expect(selectWithProtection(down, false, { protectThreshold: 0 }).reachProtectionThreshold).toBe(true);
    expect(selectWithProtection(down, false, { protectThreshold: -1 }).reachProtectionThreshold).toBe(true);
  });

  it('should take the share over the healthy list with healthyOnly, as Nacos does', () => {
    const sut = selectWithProtection(mixed, true, { protectThreshold: 0.9 });
    expect(sut).toEqual({ hosts: [host('a', true)], shownHealthy: new Set(), reachProtectionThreshold: false });
    expect(selectWithProtection(mixed, true, { protectThreshold: 1 }).reachProtectionThreshold).toBe(true);
    expect(selectWithProtection([host('b', false)], true, { protectThreshold: 1 }).hosts).toEqual([]);
  });

  it('should never reach it on an empty list', () => {
    expect(selectWithProtection([], false, { protectThreshold: 1 }).reachProtectionThreshold).toBe(false);
  });
});
