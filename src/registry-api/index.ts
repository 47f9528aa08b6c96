/**
 * The registry API for sync tasks (proto/registry/v1), server side: RegistryApiService, served on the
 * Nacos gRPC port, and the message types its client (src/sync/adapters/registry-api.client.ts) shares.
 */
export { RegistryApiService } from './registry-api.service';
export type { RegistryApiOptions } from './registry-api.service';
export * from './registry-api.types';
