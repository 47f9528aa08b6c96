import type { CopyRecord } from '../reconcile/copy-plan';
import { CopyRefusedError } from './target-registry';
import {
  SYNC_COPY_KEY,
  dubboServiceName,
  formatDubboUrl,
  javaUrlDecode,
  javaUrlEncode,
  normalizeRoot,
  parseDubboServiceName,
  parseDubboUrl,
  zooKeeperLayout,
} from './zookeeper-layouts';

/** A provider URL as Dubbo 2.7 writes it (URL.toFullString: parameters sorted, values as they are). */
const PROVIDER_URL =
  'dubbo://10.0.0.7:20880/com.acme.Greeter?anyhost=true&application=greeter&deprecated=false&dubbo=2.0.2' +
  '&dynamic=true&generic=false&interface=com.acme.Greeter&methods=sayBye,sayHello&pid=4242&release=2.7.23' +
  '&side=provider&timestamp=1700000000000&version=1.0.0';
/** The same, as the znode name ZookeeperRegistry creates (URL.encode = Java URLEncoder, UTF-8). */
const PROVIDER_NODE =
  'dubbo%3A%2F%2F10.0.0.7%3A20880%2Fcom.acme.Greeter%3Fanyhost%3Dtrue%26application%3Dgreeter%26deprecated%3Dfalse' +
  '%26dubbo%3D2.0.2%26dynamic%3Dtrue%26generic%3Dfalse%26interface%3Dcom.acme.Greeter%26methods%3DsayBye%2CsayHello' +
  '%26pid%3D4242%26release%3D2.7.23%26side%3Dprovider%26timestamp%3D1700000000000%26version%3D1.0.0';

/** Curator's JSON of a Dubbo 3 application instance (ServiceDiscoveryImpl, compatible serializer). */
const DUBBO_APP_JSON =
  '{"name":"greeter","id":"10.0.0.7:20880","address":"10.0.0.7","port":20880,"sslPort":null,' +
  '"payload":{"@class":"org.apache.dubbo.registry.zookeeper.ZookeeperInstance","id":"10.0.0.7:20880",' +
  '"name":"greeter","metadata":{"dubbo.metadata.revision":"a1b2c3","dubbo.metadata.storage-type":"local",' +
  '"dubbo.endpoints":"[{\\"port\\":20880,\\"protocol\\":\\"dubbo\\"}]"}},"registrationTimeUTC":1700000000000,' +
  '"serviceType":"DYNAMIC","uriSpec":null}';

/** Curator's JSON of a Spring Cloud Zookeeper instance. */
const SPRING_JSON =
  '{"name":"orders","id":"6c3a2f4e-1d2b-4c5d-9e8f-0a1b2c3d4e5f","address":"10.0.1.9","port":8080,"sslPort":null,' +
  '"payload":{"@class":"org.springframework.cloud.zookeeper.discovery.ZookeeperInstance","id":"orders-1",' +
  '"name":"orders","metadata":{"zone":"a","instance_status":"UP"}},"registrationTimeUTC":1700000000000,' +
  '"serviceType":"DYNAMIC","uriSpec":{"parts":[{"value":"scheme","variable":true},{"value":"://","variable":false},' +
  '{"value":"address","variable":true},{"value":":","variable":false},{"value":"port","variable":true}]}}';

function copy(over: Partial<CopyRecord> = {}): CopyRecord {
  return {
    namespace: 'public',
    groupName: 'DEFAULT_GROUP',
    serviceName: 'providers:com.acme.Greeter:1.0.0:',
    clusterName: 'DEFAULT',
    ip: '10.9.0.1',
    port: 20880,
    weight: 1,
    healthy: true,
    enabled: true,
    metadata: { application: 'greeter', syncTaskId: 't1', sourceClusterId: 'c1', syncSource: 'a', destClusterId: 'c2' },
    ...over,
  };
}

describe('Java URL encoding', () => {
  it("should encode as URLEncoder does, space as + and !'()~ escaped", () => {
    expect(javaUrlEncode(PROVIDER_URL)).toBe(PROVIDER_NODE);
    expect(javaUrlEncode("a b!'()~*._-")).toBe('a+b%21%27%28%29%7E*._-');
    expect(javaUrlEncode('é')).toBe('%C3%A9');
  });

  it('should decode what it encodes, and refuse a broken escape', () => {
    expect(javaUrlDecode(PROVIDER_NODE)).toBe(PROVIDER_URL);
    expect(javaUrlDecode('a+b%21')).toBe('a b!');
    expect(javaUrlDecode('%E0%A4%A')).toBeUndefined();
  });
});

describe(parseDubboUrl.name, () => {
  it('should read protocol, host, port, path and the parameters', () => {
    const url = parseDubboUrl(PROVIDER_URL);
    expect(url).toMatchObject({ protocol: 'dubbo', host: '10.0.0.7', port: 20880, path: 'com.acme.Greeter' });
    expect(url?.params.methods).toBe('sayBye,sayHello');
    expect(Object.keys(url?.params ?? {})).toHaveLength(13);
  });

  it('should read IPv6 hosts and user info, and format back sorted', () => {
    const url = parseDubboUrl('tri://u:p@[fd00::7]:50051/a.B?z=1&a=x=y');
    expect(url).toEqual({ protocol: 'tri', host: 'fd00::7', port: 50051, path: 'a.B', params: { z: '1', a: 'x=y' } });
    expect(formatDubboUrl(url!)).toBe('tri://[fd00::7]:50051/a.B?a=x=y&z=1');
    expect(formatDubboUrl(parseDubboUrl(PROVIDER_URL)!)).toBe(PROVIDER_URL);
  });

  it('should not take what is not a URL with a port', () => {
    expect(parseDubboUrl('10.0.0.7:20880')).toBeUndefined();
    expect(parseDubboUrl('dubbo://10.0.0.7/com.acme.Greeter')).toBeUndefined();
    expect(parseDubboUrl('dubbo://10.0.0.7:99999/x')).toBeUndefined();
  });
});

describe('Dubbo Nacos service names', () => {
  it('should keep the colons of empty parts, as Dubbo names them', () => {
    expect(dubboServiceName('com.acme.Greeter')).toBe('providers:com.acme.Greeter::');
    expect(dubboServiceName('com.acme.Greeter', '1.0.0', 'g')).toBe('providers:com.acme.Greeter:1.0.0:g');
    expect(parseDubboServiceName('providers:com.acme.Greeter::')).toEqual({
      iface: 'com.acme.Greeter',
      version: '',
      group: '',
    });
    expect(parseDubboServiceName('providers:com.acme.Greeter:2')).toEqual({
      iface: 'com.acme.Greeter',
      version: '2',
      group: '',
    });
    expect(parseDubboServiceName('consumers:com.acme.Greeter::')).toBeUndefined();
    expect(parseDubboServiceName('orders')).toBeUndefined();
  });
});

describe('the dubbo layout', () => {
  const sut = zooKeeperLayout('dubbo');

  it('should read a provider znode as Dubbo registers it on Nacos', () => {
    expect(sut.root).toBe('/dubbo');
    expect(sut.instancesPath('com.acme.Greeter')).toBe('/dubbo/com.acme.Greeter/providers');
    const found = sut.readInstance('com.acme.Greeter', PROVIDER_NODE, undefined);
    expect(found?.service).toBe('providers:com.acme.Greeter:1.0.0:');
    expect(found?.instance).toMatchObject({ ip: '10.0.0.7', port: 20880, weight: 1, healthy: true, enabled: true });
    expect(found?.instance.metadata).toMatchObject({
      application: 'greeter',
      methods: 'sayBye,sayHello',
      version: '1.0.0',
      category: 'providers',
      protocol: 'dubbo',
      path: 'com.acme.Greeter',
    });
  });

  it('should take weight and enabled from the parameters, and skip consumers', () => {
    const node = javaUrlEncode('dubbo://10.0.0.8:20880/x.Y?enabled=false&interface=x.Y&weight=200');
    expect(sut.readInstance('x.Y', node, undefined)?.instance).toMatchObject({ weight: 200, enabled: false });
    const consumer = javaUrlEncode('consumer://10.0.0.9:0/x.Y?category=consumers&side=consumer');
    expect(sut.readInstance('x.Y', consumer, undefined)).toBeUndefined();
    expect(sut.readInstance('x.Y', 'not%ZZa-url', undefined)).toBeUndefined();
  });

  it('should write a copy as a provider URL carrying the marks, and read the same copy back', () => {
    const c = copy();
    const place = sut.placeCopy(c, 0);
    expect(place.dir).toBe('com.acme.Greeter');
    const url = parseDubboUrl(javaUrlDecode(place.node)!)!;
    expect(url).toMatchObject({ protocol: 'dubbo', host: '10.9.0.1', port: 20880, path: 'com.acme.Greeter' });
    expect(url.params).toMatchObject({
      interface: 'com.acme.Greeter',
      version: '1.0.0',
      side: 'provider',
      syncTaskId: 't1',
      sourceClusterId: 'c1',
    });
    expect(url.params[SYNC_COPY_KEY]).toBeDefined();
    expect(sut.readCopy(place.dir, place.node, place.data)).toEqual(c);
    // A native provider is no copy.
    expect(sut.readCopy('com.acme.Greeter', PROVIDER_NODE, undefined)).toBeUndefined();
  });

  it('should disable copies of unhealthy or disabled instances for Dubbo consumers, and still read them back exactly', () => {
    const c = copy({ healthy: false, weight: 3, clusterName: 'east', groupName: 'G' });
    const place = sut.placeCopy(c, 0);
    expect(parseDubboUrl(javaUrlDecode(place.node)!)!.params.enabled).toBe('false');
    expect(sut.readCopy(place.dir, place.node, place.data)).toEqual(c);
  });

  it('should refuse what a Dubbo URL cannot hold', () => {
    expect(() => sut.placeCopy(copy({ serviceName: 'orders' }), 0)).toThrow(CopyRefusedError);
    expect(() => sut.placeCopy(copy({ metadata: { note: 'a&b' } }), 0)).toThrow(CopyRefusedError);
  });
});

describe('the dubbo-app layout', () => {
  const sut = zooKeeperLayout('dubbo-app');

  it('should read Curator instance JSON as the application service', () => {
    expect(sut.instancesPath('greeter')).toBe('/services/greeter');
    const found = sut.readInstance('greeter', '10.0.0.7:20880', Buffer.from(DUBBO_APP_JSON));
    expect(found).toEqual({
      service: 'greeter',
      instance: {
        ip: '10.0.0.7',
        port: 20880,
        weight: 1,
        healthy: true,
        enabled: true,
        clusterName: 'DEFAULT',
        metadata: {
          'dubbo.metadata.revision': 'a1b2c3',
          'dubbo.metadata.storage-type': 'local',
          'dubbo.endpoints': '[{"port":20880,"protocol":"dubbo"}]',
        },
      },
    });
    expect(sut.readInstance('greeter', 'x', Buffer.from('not json'))).toBeUndefined();
    expect(sut.readInstance('greeter', 'x', Buffer.from('{"address":"10.0.0.1"}'))).toBeUndefined();
  });

  it('should write a copy as Dubbo 3 does, at ip:port, and read it back exactly', () => {
    const c = copy({ serviceName: 'greeter', metadata: { 'dubbo.metadata.revision': 'r', syncTaskId: 't1' } });
    const place = sut.placeCopy(c, 1700000000000);
    expect(place).toMatchObject({ dir: 'greeter', node: '10.9.0.1:20880' });
    const json = JSON.parse(place.data.toString()) as Record<string, any>;
    expect(json).toMatchObject({
      name: 'greeter',
      id: '10.9.0.1:20880',
      address: '10.9.0.1',
      port: 20880,
      serviceType: 'DYNAMIC',
      payload: { '@class': 'org.apache.dubbo.registry.zookeeper.ZookeeperInstance', name: 'greeter' },
    });
    expect(json.payload.metadata.syncTaskId).toBe('t1');
    expect(sut.readCopy(place.dir, place.node, place.data)).toEqual(c);
    expect(sut.readCopy('greeter', '10.0.0.7:20880', Buffer.from(DUBBO_APP_JSON))).toBeUndefined();
  });

  it('should give copies of another Nacos cluster their own znode, and refuse a name with a slash', () => {
    expect(sut.placeCopy(copy({ serviceName: 'greeter', clusterName: 'east' }), 0).node).toBe('east@10.9.0.1:20880');
    expect(() => sut.placeCopy(copy({ serviceName: 'a/b' }), 0)).toThrow(CopyRefusedError);
  });
});

describe('the spring-cloud layout', () => {
  const sut = zooKeeperLayout('spring-cloud', '/sc/');

  it('should read a Spring Cloud Zookeeper instance, its status as the enabled flag', () => {
    expect(sut.root).toBe('/sc');
    const found = sut.readInstance('orders', '6c3a2f4e-1d2b-4c5d-9e8f-0a1b2c3d4e5f', Buffer.from(SPRING_JSON));
    expect(found?.service).toBe('orders');
    expect(found?.instance).toMatchObject({ ip: '10.0.1.9', port: 8080, enabled: true });
    expect(found?.instance.metadata).toEqual({ zone: 'a', instance_status: 'UP' });
    const out = Buffer.from(SPRING_JSON.replace('"UP"', '"OUT_OF_SERVICE"'));
    expect(sut.readInstance('orders', 'x', out)?.instance.enabled).toBe(false);
  });

  it('should write copies with the Spring payload, uriSpec and a status, and read them back exactly', () => {
    const c = copy({ serviceName: 'orders', enabled: false, metadata: { zone: 'b', syncTaskId: 't1' } });
    const place = sut.placeCopy(c, 0);
    const json = JSON.parse(place.data.toString()) as Record<string, any>;
    expect(json.payload['@class']).toBe('org.springframework.cloud.zookeeper.discovery.ZookeeperInstance');
    expect(json.payload.metadata.instance_status).toBe('OUT_OF_SERVICE');
    expect(json.uriSpec.parts).toHaveLength(5);
    expect(sut.readCopy(place.dir, place.node, place.data)).toEqual(c);
  });
});

describe(normalizeRoot.name, () => {
  it('should make a root path of a prefix', () => {
    expect(normalizeRoot('dubbo')).toBe('/dubbo');
    expect(normalizeRoot('/a//b/')).toBe('/a/b');
    expect(normalizeRoot('/')).toBe('/');
  });
});
