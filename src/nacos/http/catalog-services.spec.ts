import { Registry } from '@/registry';
import type { ServiceKey } from '@/registry';
import { CatalogServices } from './catalog-services';
import { NacosParams } from './nacos-params';

const key = (group: string, name: string, namespace = 'public'): ServiceKey => ({ namespace, group, name });

describe(CatalogServices.name, () => {
  function setUp(): CatalogServices {
    const registry = new Registry();
    const add = (k: ServiceKey, ip: string, extra: Record<string, unknown> = {}) =>
      registry.registerInstance(`${ip}:80#true`, 'ipport', k, { ip, port: 80, ...extra });
    add(key('DEFAULT_GROUP', 'orders'), '10.0.0.1');
    add(key('DEFAULT_GROUP', 'orders'), '10.0.0.2', { healthy: false, clusterName: 'EAST' });
    add(key('shop', 'orders-v2'), '10.0.0.3', { healthy: false });
    add(key('shop', 'stock'), '10.0.0.4');
    // No stored metadata: Nacos's default threshold 0 is reached when none is healthy.
    add(key('shop', 'down'), '10.0.0.6', { healthy: false });
    add(key('shop', 'billing', 'dev'), '10.0.0.5');
    // A stored service without instances (service CRUD), with a threshold.
    registry.setServiceMetadata(key('admin', 'empty'), {
      ephemeral: true,
      protectThreshold: 0.5,
      selector: { type: 'none' },
      metadata: {},
    });
    registry.setServiceMetadata(key('shop', 'orders-v2'), {
      ephemeral: true,
      protectThreshold: 0.5,
      selector: { type: 'none' },
      metadata: {},
    });
    return new CatalogServices(registry);
  }

  it('should list the services of a namespace across every group, in Nacos ServiceView shape', () => {
    const result = setUp().list(NacosParams.of({}));

    expect(result.count).toBe(5);
    expect(result.serviceList).toEqual([
      {
        name: 'orders',
        groupName: 'DEFAULT_GROUP',
        clusterCount: 2,
        ipCount: 2,
        healthyInstanceCount: 1,
        triggerFlag: 'false',
      },
      { name: 'empty', groupName: 'admin', clusterCount: 0, ipCount: 0, healthyInstanceCount: 0, triggerFlag: 'false' },
      { name: 'down', groupName: 'shop', clusterCount: 1, ipCount: 1, healthyInstanceCount: 0, triggerFlag: 'true' },
      {
        name: 'orders-v2',
        groupName: 'shop',
        clusterCount: 1,
        ipCount: 1,
        healthyInstanceCount: 0,
        triggerFlag: 'true',
      },
      { name: 'stock', groupName: 'shop', clusterCount: 1, ipCount: 1, healthyInstanceCount: 1, triggerFlag: 'false' },
    ]);
  });

  it('should filter by fuzzy group and service, leave out empty services with hasIpCount, and page', () => {
    const sut = setUp();
    const names = (params: Record<string, string>) =>
      sut.list(NacosParams.of(params)).serviceList.map((s) => `${s.groupName}@@${s.name}`);

    expect(names({ groupNameParam: 'ho' })).toEqual(['shop@@down', 'shop@@orders-v2', 'shop@@stock']);
    expect(names({ serviceNameParam: 'order' })).toEqual(['DEFAULT_GROUP@@orders', 'shop@@orders-v2']);
    expect(names({ hasIpCount: 'true' })).not.toContain('admin@@empty');
    expect(names({ namespaceId: 'dev' })).toEqual(['shop@@billing']);
    expect(sut.list(NacosParams.of({ pageNo: '2', pageSize: '3' }))).toMatchObject({
      count: 5,
      serviceList: [{ name: 'orders-v2' }, { name: 'stock' }],
    });
    // Above 500 a page is 500 long.
    expect(sut.list(NacosParams.of({ pageSize: '100000' })).serviceList).toHaveLength(5);
    expect(sut.list(NacosParams.of({ pageNo: '9', pageSize: '3' }))).toEqual({ count: 5, serviceList: [] });
  });

  it('should refuse a bad page size, a bad name and withInstances=true, naming the param', () => {
    const sut = setUp();

    expect(() => sut.list(NacosParams.of({ pageSize: '0' }))).toThrow(/pageSize/);
    expect(() => sut.list(NacosParams.of({ groupNameParam: 'a\u0000b' }))).toThrow(/groupNameParam/);
    expect(() => sut.list(NacosParams.of({ withInstances: 'true' }))).toThrow(/withInstances/);
  });
});
