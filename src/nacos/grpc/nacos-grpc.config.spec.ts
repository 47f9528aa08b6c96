import { AppConfig } from '@/config';
import { readSection } from '@/config/read-env';
import { NacosGrpcConfig } from './nacos-grpc.config';

describe(NacosGrpcConfig.name, () => {
  it('should take NACOS_GRPC_PORT as set, else HTTP_PORT + 1000', () => {
    expect(AppConfig.fromEnv({ NACOS_GRPC_PORT: '7000' }).nacosGrpc.port).toBe(7000);
    expect(AppConfig.fromEnv({ HTTP_PORT: '10000' }).nacosGrpc.port).toBe(11000);
    expect(AppConfig.fromEnv({ HTTP_PORT: '0' }).nacosGrpc.port).toBe(0);
  });

  it('should keep message sizes within what gRPC and Nacos clients take', () => {
    expect(readSection(NacosGrpcConfig, { NACOS_GRPC_MAX_MESSAGE_BYTES: '1024' }).problems).toEqual([
      expect.stringMatching(/^NACOS_GRPC_MAX_MESSAGE_BYTES must be between 65536 and 268435456, got 1024/),
    ]);
  });
});

describe('RegistryApiConfig', () => {
  const ADMIN = 'admin-token-0123456789';
  const REGISTRY = 'registry-token-0123456789';

  it('should guard the registry API with its own token, else the admin token, else leave it open', () => {
    expect(AppConfig.fromEnv({ REGISTRY_API_TOKEN: REGISTRY, ADMIN_TOKEN: ADMIN }).registryApi.token).toBe(REGISTRY);
    expect(AppConfig.fromEnv({ ADMIN_TOKEN: ADMIN }).registryApi.token).toBe(ADMIN);
    expect(AppConfig.fromEnv({}).registryApi.token).toBeUndefined();
  });
});
