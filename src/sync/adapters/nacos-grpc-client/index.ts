/** Our Nacos 2.x gRPC client (naming), which the nacos adapter speaks through: import from here. */
export { NacosNamingClient } from './nacos-naming-client';
export type { NacosNamingClientOptions, ServiceListener, ServiceRef } from './nacos-naming-client';
export { NacosClientError, NacosTransport } from './nacos-grpc-transport';
export type { NacosTransportOptions } from './nacos-grpc-transport';
export type { NacosInstance, NacosServiceInfo, NacosHost } from '@/nacos/grpc/messages';
