import { checkAddresses, checkPrefix, resolveLayout } from './cluster-kinds';

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

describe(checkAddresses.name, () => {
  it('should take a chroot on zookeeper addresses, one for all', () => {
    expect(checkAddresses('zookeeper', ['zk1:2181', 'zk2:2181/apps/prod'])).toBeUndefined();
    expect(checkAddresses('zookeeper', ['zk1:2181/apps', 'zk2:2181/apps'])).toBeUndefined();
    expect(checkAddresses('zookeeper', ['zk1:2181/a', 'zk2:2181/b'])).toMatch(/one chroot/);
    expect(checkAddresses('zookeeper', ['zk1:2181/a/'])).toMatch(/chroot path/);
    expect(checkAddresses('zookeeper', ['zk1:2181/a/../b'])).toMatch(/chroot path/);
  });

  it('should take only a gRPC port after a nacos or distro address', () => {
    expect(checkAddresses('nacos', ['n1:8848/9848', '[::1]:8848'])).toBeUndefined();
    expect(checkAddresses('nacos', ['n1:8848/apps'])).toBe('each address must be host:port');
    expect(checkAddresses('distro', ['d1:8848/x/y'])).toBe('each address must be host:port');
    expect(checkAddresses('etcd', ['e1:2379/2380'])).toMatch(/etcd cluster must be host:port .*no \/grpcPort/);
    expect(checkAddresses('etcd', ['e1:2379', 'e2:2379'])).toBeUndefined();
  });
});

describe(`${checkPrefix.name} of a zookeeper cluster`, () => {
  it('should take ZooKeeper paths only', () => {
    expect(checkPrefix('zookeeper', '/dubbo')).toBeUndefined();
    expect(checkPrefix('zookeeper', '/a/b-c/d_e')).toBeUndefined();
    expect(checkPrefix('zookeeper', 'dubbo')).toMatch(/must be a path/);
    expect(checkPrefix('zookeeper', '/a//b')).toMatch(/must be a path/);
    expect(checkPrefix('zookeeper', '/a/..')).toMatch(/must be a path/);
  });
});
