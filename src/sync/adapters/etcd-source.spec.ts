import { EtcdLayout } from './etcd-layouts';
import { EtcdServiceView } from './etcd-source';

const addr = (ip: string): string => `{"Op":0,"Addr":"${ip}:80"}`;
const kratos = (...endpoints: string[]): string =>
  JSON.stringify({ id: '1', name: 'hello', version: 'v1', metadata: {}, endpoints });

describe(EtcdServiceView.name, () => {
  const ips = (sut: EtcdServiceView, id: string): string[] => sut.instances(id).map((i) => `${i.ip}:${i.port}`);

  it('should keep each service as the instances of all its keys, and say which services a change touched', () => {
    const sut = new EtcdServiceView(EtcdLayout.of('grpc-naming', null, 'public'));
    expect([...sut.put('orders/10.0.0.1:80', addr('10.0.0.1'))]).toEqual(['public##DEFAULT_GROUP@@orders']);
    sut.put('orders/10.0.0.2:80', addr('10.0.0.2'));
    sut.put('billing/10.0.0.3:80', addr('10.0.0.3'));
    expect(ips(sut, 'public##DEFAULT_GROUP@@orders')).toEqual(['10.0.0.1:80', '10.0.0.2:80']);
    expect([...sut.delete('orders/10.0.0.1:80')]).toEqual(['public##DEFAULT_GROUP@@orders']);
    expect(ips(sut, 'public##DEFAULT_GROUP@@orders')).toEqual(['10.0.0.2:80']);
    expect([...sut.put('junk/x', 'not json')]).toEqual([]);
  });

  it('should keep the key of a service whose last instance went until it is forgotten', () => {
    const sut = new EtcdServiceView(EtcdLayout.of('grpc-naming', null, 'public'));
    sut.put('orders/10.0.0.1:80', addr('10.0.0.1'));
    sut.delete('orders/10.0.0.1:80');
    expect(sut.key('public##DEFAULT_GROUP@@orders')).toEqual({
      namespace: 'public',
      group: 'DEFAULT_GROUP',
      name: 'orders',
    });
    expect(sut.instances('public##DEFAULT_GROUP@@orders')).toEqual([]);
    sut.forget('public##DEFAULT_GROUP@@orders');
    expect(sut.key('public##DEFAULT_GROUP@@orders')).toBeUndefined();
  });

  it('should move a Kratos instance between services when its endpoints change', () => {
    const sut = new EtcdServiceView(EtcdLayout.of('kratos', null, 'public'));
    const grpc = 'public##DEFAULT_GROUP@@hello.grpc';
    const http = 'public##DEFAULT_GROUP@@hello.http';
    expect(
      [...sut.put('/microservices/hello/1', kratos('grpc://10.0.0.1:9000', 'http://10.0.0.1:8000'))].sort(),
    ).toEqual([grpc, http]);
    expect([...sut.put('/microservices/hello/1', kratos('grpc://10.0.0.1:9000'))].sort()).toEqual([grpc, http]);
    expect(ips(sut, http)).toEqual([]);
    expect(ips(sut, grpc)).toEqual(['10.0.0.1:9000']);
  });

  it('should report, on a fresh read, exactly the services that changed, vanished or appeared', () => {
    const sut = new EtcdServiceView(EtcdLayout.of('grpc-naming', null, 'public'));
    sut.put('same/10.0.0.1:80', addr('10.0.0.1'));
    sut.put('changed/10.0.0.2:80', addr('10.0.0.2'));
    sut.put('gone/10.0.0.3:80', addr('10.0.0.3'));
    const kv = (key: string, value: string) => ({ key, value, modRevision: '1', lease: '0' });
    const changed = sut.replace([
      kv('same/10.0.0.1:80', addr('10.0.0.1')),
      kv('changed/10.0.0.2:80', '{"Op":0,"Addr":"10.0.0.2:80","Metadata":{"v":"2"}}'),
      kv('new/10.0.0.4:80', addr('10.0.0.4')),
    ]);
    expect([...changed].sort()).toEqual([
      'public##DEFAULT_GROUP@@changed',
      'public##DEFAULT_GROUP@@gone',
      'public##DEFAULT_GROUP@@new',
    ]);
    expect(sut.key('public##DEFAULT_GROUP@@gone')).toBeDefined();
  });
});
