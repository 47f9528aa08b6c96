import { grpcAddresses, httpAddresses } from './cluster-addresses';

describe(grpcAddresses.name, () => {
  it('should add 1000 to the HTTP port as Nacos clients do, unless the gRPC port is given', () => {
    expect(grpcAddresses(['ds-a-0.ds-a:8848', '10.0.0.1:18848/20000', '[::1]:8848'])).toEqual([
      'ds-a-0.ds-a:9848',
      '10.0.0.1:20000',
      '[::1]:9848',
    ]);
  });
});

describe(httpAddresses.name, () => {
  it('should keep host:httpPort and drop a named gRPC port', () => {
    expect(httpAddresses(['ds-a-0.ds-a:8848', '10.0.0.1:18848/20000', '[::1]:8848'])).toEqual([
      'ds-a-0.ds-a:8848',
      '10.0.0.1:18848',
      '[::1]:8848',
    ]);
  });
});
