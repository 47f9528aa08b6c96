import { clusterIdOf, kindOf, serviceNameFrom, serviceNameOf, taskIdOf, taskStatusOf, typeOf } from './nacos-sync-ids';

describe('Nacos-Sync ids and names', () => {
  // The expected ids were computed outside this code (Python's hashlib.md5), as Nacos-Sync's SkyWalkerUtil does.
  it('should derive a cluster id as Nacos-Sync does: MD5 of clusterName_clusterType', () => {
    expect(clusterIdOf({ name: 'a', kind: 'nacos' })).toBe('bb7101815a55c366728f8b210d80a43c');
    expect(clusterIdOf({ name: 'zk1', kind: 'zookeeper' })).toBe('60b95abe99328fb3a6ca20f3f5b65138');
  });

  it('should derive a task id from serviceName_groupName_source_dest, version left out', () => {
    expect(taskIdOf('orders', 'DEFAULT_GROUP', 'src', 'dst')).toBe('e3fc608fc8fda5d2d55d82aaa9fd499b');
  });

  it('should map kinds and types both ways, and statuses one way', () => {
    expect(typeOf('zookeeper')).toBe('ZK');
    expect(kindOf('ZK')).toBe('zookeeper');
    expect(kindOf('EUREKA')).toBeUndefined();
    expect(kindOf('nacos')).toBeUndefined();
    expect([taskStatusOf('running'), taskStatusOf('deleting'), taskStatusOf('paused')]).toEqual([
      'SYNC',
      'DELETE',
      'PAUSED',
    ]);
  });

  it('should write every service as ALL, but as * for a ZooKeeper source, and read both', () => {
    expect(serviceNameOf({ serviceName: '*' }, 'nacos')).toBe('ALL');
    expect(serviceNameOf({ serviceName: '*' }, 'zookeeper')).toBe('*');
    expect(serviceNameOf({ serviceName: 'orders' }, 'nacos')).toBe('orders');
    expect(serviceNameFrom('all')).toBe('*');
    expect(serviceNameFrom('*')).toBe('*');
    expect(serviceNameFrom('Allocation')).toBe('Allocation');
  });
});
