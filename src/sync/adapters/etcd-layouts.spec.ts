import type { CopyRecord } from '../reconcile/copy-plan';
import { EtcdLayout, GrpcNamingLayout, KratosLayout, parseHostPort } from './etcd-layouts';

const copy = (over: Partial<CopyRecord> = {}): CopyRecord => ({
  namespace: 'public',
  groupName: 'DEFAULT_GROUP',
  serviceName: 'orders',
  clusterName: 'DEFAULT',
  ip: '10.0.0.7',
  port: 9000,
  weight: 1,
  healthy: true,
  enabled: true,
  metadata: { zone: 'a', sourceClusterId: 'c1', syncTaskId: 't1' },
  ...over,
});

/** What reading back the key and value a copy is written as gives, as a copy again. */
function roundTrip(layout: EtcdLayout, c: CopyRecord): CopyRecord[] {
  const { key, value } = layout.write(c);
  return layout.read(key, value).map(({ service, instance }) => ({
    namespace: service.namespace,
    groupName: service.group,
    serviceName: service.name,
    ...instance,
  }));
}

describe(GrpcNamingLayout.name, () => {
  const sut = EtcdLayout.of('grpc-naming', null, 'public');

  describe('read', () => {
    it('should read a registration as gRPC-go endpoints.Manager writes it', () => {
      // endpoints.Manager.AddEndpoint(ctx, "orders/10.0.0.7:9000", Endpoint{Addr: "10.0.0.7:9000"})
      expect(sut.read('orders/10.0.0.7:9000', '{"Op":0,"Addr":"10.0.0.7:9000","Metadata":null}')).toEqual([
        {
          service: { namespace: 'public', group: 'DEFAULT_GROUP', name: 'orders' },
          instance: {
            ip: '10.0.0.7',
            port: 9000,
            weight: 1,
            healthy: true,
            enabled: true,
            clusterName: 'DEFAULT',
            metadata: {},
          },
        },
      ]);
    });

    it('should take a nested target as the service name (everything up to the last slash)', () => {
      const [entry] = sut.read('prod/billing/orders/[fd00::7]:9000', '{"Op":0,"Addr":"[fd00::7]:9000"}');
      expect(entry.service.name).toBe('prod/billing/orders');
      expect(entry.instance).toMatchObject({ ip: 'fd00::7', port: 9000 });
    });

    it('should turn object metadata into text values and other metadata into one key', () => {
      expect(
        sut.read('a/1.1.1.1:1', '{"Addr":"1.1.1.1:1","Metadata":{"v":2,"t":"x","n":null}}')[0].instance.metadata,
      ).toEqual({
        v: '2',
        t: 'x',
      });
      expect(sut.read('a/1.1.1.1:1', '{"Addr":"1.1.1.1:1","Metadata":"blue"}')[0].instance.metadata).toEqual({
        metadata: 'blue',
      });
    });

    it.each([
      ['a value that is not JSON', 'a/1.1.1.1:1', 'hello'],
      ['a delete operation', 'a/1.1.1.1:1', '{"Op":1,"Addr":"1.1.1.1:1"}'],
      ['an address without a port', 'a/1.1.1.1', '{"Op":0,"Addr":"1.1.1.1"}'],
      ['a port out of range', 'a/1.1.1.1:70000', '{"Op":0,"Addr":"1.1.1.1:70000"}'],
      ['a key without a service', '1.1.1.1:1', '{"Op":0,"Addr":"1.1.1.1:1"}'],
      ['a Kratos value', '/microservices/x/1', '{"id":"1","name":"x","endpoints":["grpc://1.1.1.1:1"]}'],
    ])('should skip %s', (_what, key, value) => {
      expect(sut.read(key, value)).toEqual([]);
    });
  });

  describe('write', () => {
    it('should write a copy as gRPC-go reads it, marks in the metadata', () => {
      expect(sut.write(copy())).toEqual({
        key: 'orders/10.0.0.7:9000',
        value: '{"Op":0,"Addr":"10.0.0.7:9000","Metadata":{"zone":"a","sourceClusterId":"c1","syncTaskId":"t1"}}',
      });
    });

    it('should put the prefix before the service and a group other than the default in the name', () => {
      const layout = EtcdLayout.of('grpc-naming', 'services/', 'public');
      expect(layout.write(copy({ groupName: 'G1' })).key).toBe('services/G1@@orders/10.0.0.7:9000');
      expect(layout.servicePrefix({ namespace: 'public', group: 'G1', name: 'orders' })).toBe('services/G1@@orders/');
    });

    it.each([
      ['a plain copy', copy()],
      [
        'a copy with every field off its default',
        copy({ clusterName: 'c2', weight: 0.5, healthy: false, enabled: false, groupName: 'G' }),
      ],
      ['an IPv6 copy', copy({ ip: 'fd00::1' })],
    ])('should read %s back exactly as written', (_what, c) => {
      expect(roundTrip(sut, c)).toEqual([c]);
    });
  });
});

describe(KratosLayout.name, () => {
  const sut = EtcdLayout.of('kratos', null, 'public');
  // As Kratos's etcd registry marshals a ServiceInstance.
  const native =
    '{"id":"a1b2","name":"helloworld","version":"v1.2.0","metadata":{"region":"sh"},' +
    '"endpoints":["grpc://10.0.0.7:9000?isSecure=false","http://10.0.0.7:8000?isSecure=false"]}';

  it("should default the prefix to Kratos's /microservices namespace and join it with a slash", () => {
    expect(sut.prefix).toBe('/microservices/');
    expect(EtcdLayout.of('kratos', '/apps', 'public').prefix).toBe('/apps/');
  });

  it("should read each endpoint as Kratos's Nacos registry registers it: <name>.<scheme>, kind and version", () => {
    expect(sut.read('/microservices/helloworld/a1b2', native)).toEqual([
      {
        service: { namespace: 'public', group: 'DEFAULT_GROUP', name: 'helloworld.grpc' },
        instance: expect.objectContaining({
          ip: '10.0.0.7',
          port: 9000,
          metadata: { region: 'sh', kind: 'grpc', version: 'v1.2.0' },
        }),
      },
      {
        service: { namespace: 'public', group: 'DEFAULT_GROUP', name: 'helloworld.http' },
        instance: expect.objectContaining({
          ip: '10.0.0.7',
          port: 8000,
          metadata: { region: 'sh', kind: 'http', version: 'v1.2.0' },
        }),
      },
    ]);
  });

  it('should skip a value without endpoints and endpoints it cannot read', () => {
    expect(sut.read('/microservices/x/1', '{"id":"1","name":"x"}')).toEqual([]);
    expect(sut.read('/microservices/x/1', '{"id":"1","name":"x","endpoints":["nonsense",7]}')).toEqual([]);
  });

  it('should write a Kratos-named service as one instance of its name with one endpoint', () => {
    const c = copy({ serviceName: 'helloworld.grpc', metadata: { kind: 'grpc', version: 'v1', syncTaskId: 't1' } });
    const { key, value } = sut.write(c);
    expect(key).toBe('/microservices/helloworld/10.0.0.7:9000');
    expect(JSON.parse(value)).toEqual({
      id: '10.0.0.7:9000',
      name: 'helloworld',
      version: 'v1',
      metadata: { kind: 'grpc', version: 'v1', syncTaskId: 't1', 'nacos.service': 'helloworld.grpc' },
      endpoints: ['grpc://10.0.0.7:9000'],
    });
  });

  it('should write any other service under its whole name with a grpc endpoint', () => {
    const { key, value } = sut.write(copy({ serviceName: 'orders' }));
    expect(key).toBe('/microservices/orders/10.0.0.7:9000');
    expect(JSON.parse(value)).toMatchObject({ name: 'orders', endpoints: ['grpc://10.0.0.7:9000'] });
  });

  it.each([
    ['a Kratos-named copy', copy({ serviceName: 'helloworld.http', metadata: { kind: 'http', version: '' } })],
    ['a plain service', copy()],
    [
      'a copy with every field off its default',
      copy({ clusterName: 'c2', weight: 3, healthy: false, enabled: false, groupName: 'G' }),
    ],
  ])('should read %s back exactly as written', (_what, c) => {
    expect(roundTrip(sut, c)).toEqual([c]);
  });
});

describe('the reserved path', () => {
  it('should keep fences under <prefix>/.distro-sync/ and read nothing there, whatever the value', () => {
    const registration = '{"Op":0,"Addr":"10.0.0.7:9000","Metadata":null}';
    const bare = EtcdLayout.of('grpc-naming', null, 'public');
    expect(bare.fenceKey('t1')).toBe('.distro-sync/fence/t1');
    expect(bare.read('.distro-sync/fence/10.0.0.7:9000', registration)).toEqual([]);
    expect(bare.read('orders/10.0.0.7:9000', registration)).toHaveLength(1);
    const prefixed = EtcdLayout.of('grpc-naming', 'svc', 'public');
    expect(prefixed.fenceKey('t1')).toBe('svc/.distro-sync/fence/t1');
    expect(prefixed.isReserved('svc/.distro-sync/fence/t1')).toBe(true);
    expect(prefixed.isReserved('svc.distro-sync/fence/t1')).toBe(false);
    const kratos = EtcdLayout.of('kratos', null, 'public');
    expect(kratos.fenceKey('t1')).toBe('/microservices/.distro-sync/fence/t1');
    const endpoints = '{"id":"a","name":"x","version":"","metadata":{},"endpoints":["grpc://10.0.0.7:9000"]}';
    expect(kratos.read('/microservices/.distro-sync/a', endpoints)).toEqual([]);
  });
});

describe(parseHostPort.name, () => {
  it.each([
    ['10.0.0.7:80', { ip: '10.0.0.7', port: 80 }],
    ['svc.local:8080', { ip: 'svc.local', port: 8080 }],
    ['[::1]:1', { ip: '::1', port: 1 }],
    ['::1:80', undefined],
    ['host:0', undefined],
    ['host', undefined],
  ])('%s', (text, expected) => {
    expect(parseHostPort(text)).toEqual(expected);
  });
});
