import { checkPrefix, resolveLayout } from './cluster-kinds';

describe(resolveLayout.name, () => {
  it("should take the kind's first layout when none is given", () => {
    expect(resolveLayout('zookeeper', undefined)).toEqual({ layout: 'dubbo' });
    expect(resolveLayout('etcd', undefined)).toEqual({ layout: 'grpc-naming' });
  });

  it('should keep a layout the kind has', () => {
    expect(resolveLayout('zookeeper', 'spring-cloud')).toEqual({ layout: 'spring-cloud' });
    expect(resolveLayout('etcd', 'kratos')).toEqual({ layout: 'kratos' });
  });

  it("should refuse another kind's layout, naming the ones there are", () => {
    expect(resolveLayout('etcd', 'dubbo')).toEqual({
      error: 'layout must be one of grpc-naming, kratos for an etcd cluster',
    });
  });

  it('should store no layout for the Nacos-like kinds, and refuse one given', () => {
    expect(resolveLayout('nacos', undefined)).toEqual({ layout: null });
    expect(resolveLayout('local', 'dubbo')).toEqual({ error: 'layout applies to zookeeper and etcd clusters only' });
  });
});

describe(checkPrefix.name, () => {
  it('should take a prefix for the kinds with layouts only', () => {
    expect(checkPrefix('zookeeper', '/chroot/dubbo')).toBeUndefined();
    expect(checkPrefix('distro', undefined)).toBeUndefined();
    expect(checkPrefix('distro', '/x')).toBe('prefix applies to zookeeper and etcd clusters only');
  });
});
