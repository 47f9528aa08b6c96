/** The naming core: import from here, not from the files behind it. */
export * from './model';
export { Registry } from './registry';
export type { DistroRegistryView, NamingRegistry } from './distro-view';
export type { ExpiryReport, ExpiryTimeouts } from './liveness';
export { HEART_BEAT_TIMEOUT_KEY, IP_DELETE_TIMEOUT_KEY } from './liveness';
export { TypedEmitter } from './events';
export type { ClientChangedEvent, EventSource, Listener, RegistryEvents, ServiceChangedEvent } from './events';
export { EMPTY_METADATA } from './instance';
export { wildcard } from './wildcard';
export * from './version';
export type { ReplicatedClient } from './client';
