/** The registry API for sync tasks (proto/registry/v1): its client and message types. */
export { RegistryApiClient } from './registry-api.client';
export type { PublishInstance, PublishItem, RegistryApiClientOptions, Watch } from './registry-api.client';
export * from './registry-api.types';
