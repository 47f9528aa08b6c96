/** Messages of proto/registry/v1/registry.proto as @grpc/proto-loader presents them (keepCase, defaults). */

export interface RegistryInstance {
  ip: string;
  port: number;
  weight: number;
  healthy: boolean;
  enabled: boolean;
  cluster_name: string;
  metadata: Record<string, string>;
  instance_id: string;
  /** Field 9: a persistent instance (absent from older peers, read as false). */
  persistent?: boolean;
}

export interface RegistryPublication {
  namespace: string;
  group: string;
  service: string;
  instance: RegistryInstance | null;
}

export interface RegistrySelector {
  namespace: string;
  group_pattern: string;
  service_pattern: string;
}

export interface PublishRequest {
  task_id: string;
  publications: RegistryPublication[];
  ttl_ms: number;
  replace: boolean;
}

export interface PublishResponse {
  client_id: string;
  revision: number;
  expires_at_ms: number;
  publication_count: number;
}

export interface RenewRequest {
  task_id: string;
  ttl_ms: number;
}

export interface RenewResponse {
  client_id: string;
  expires_at_ms: number;
}

export interface WithdrawRequest {
  task_id: string;
  all: boolean;
  publications: RegistryPublication[];
}

export interface WithdrawResponse {
  removed: number;
}

export interface ListRequest {
  selector: RegistrySelector | null;
  task_id: string;
  page_size: number;
  page_token: string;
}

export interface ServiceSnapshot {
  namespace: string;
  group: string;
  service: string;
  revision: number;
  instances: RegistryInstance[];
}

export interface ListResponse {
  services: ServiceSnapshot[];
  next_page_token: string;
}

export interface WatchRequest {
  selector: RegistrySelector | null;
}

export interface WatchEvent {
  service: ServiceSnapshot;
  snapshot: boolean;
}

/** The client id of a sync task's publications. */
export function syncClientId(taskId: string): string {
  return `sync:${taskId}`;
}
