/**
 * JSON shapes of the Nacos 2.x gRPC client protocol, as carried in `Payload.body.value`. Field
 * names follow the Nacos Java classes (`com.alibaba.nacos.api.*.remote.request|response`), which
 * the SDKs of every language mirror. Shared by the server (src/nacos/grpc) and our client
 * (src/sync/adapters/nacos-grpc-client).
 */
import type { HostView, ServiceInfoView } from '@/nacos/view/service-info';

/**
 * The `errorCode` of a gRPC error response: Nacos's NacosException constants (its ResponseCode is
 * the `resultCode`, RESULT_SUCCESS / RESULT_FAIL below). Not the HTTP v2 codes (NacosV2ErrorCode).
 */
export enum NacosExceptionCode {
  BadRequest = 400,
  NoRight = 403,
  ServerError = 500,
  /** The server is still starting (here: Distro has not loaded its snapshot). */
  ServerStarting = 300,
  /** The request came on a connection the server does not know: the client must reconnect. */
  ConnectionUnregistered = 301,
  /** No handler for `metadata.type`. */
  NoHandler = 302,
  /** The payload could not be parsed. */
  ParseError = 502,
}

export const RESULT_SUCCESS = 200;
export const RESULT_FAIL = 500;

export interface NacosRequestBase {
  requestId?: string;
  headers?: Record<string, string>;
  module?: string;
}

export interface NacosResponseBase {
  resultCode: number;
  errorCode: number;
  message: string | null;
  requestId: string | null;
  success: boolean;
}

/** Naming requests name one service: `serviceName` without group, `groupName`, `namespace`. */
export interface NamingRequestBase extends NacosRequestBase {
  namespace?: string;
  serviceName?: string;
  groupName?: string;
}

/** An instance as the SDKs send it. */
export interface NacosInstance {
  instanceId?: string | null;
  ip: string;
  port: number;
  weight?: number;
  healthy?: boolean;
  enabled?: boolean;
  ephemeral?: boolean;
  clusterName?: string | null;
  serviceName?: string | null;
  metadata?: Record<string, string> | null;
}

/** A host in a ServiceInfo, with the Nacos heartbeat fields the SDKs expect (the shape HTTP answers too). */
export type NacosHost = HostView;

/** What queries answer and pushes carry (the HTTP shape); `name` is ungrouped, `groupName` set. */
export type NacosServiceInfo = ServiceInfoView;

// ---- client → server ---------------------------------------------------------------------------

export type ServerCheckRequest = NacosRequestBase;
export type HealthCheckRequest = NacosRequestBase;

export interface ConnectionSetupRequest extends NacosRequestBase {
  clientVersion?: string;
  tenant?: string;
  labels?: Record<string, string>;
  abilityTable?: Record<string, boolean>;
}

export interface InstanceRequest extends NamingRequestBase {
  type: 'registerInstance' | 'deregisterInstance';
  instance: NacosInstance;
}

/** Nacos 2.3+: a persistent instance (client `ip:port#false`), registered or deregistered over gRPC. */
export interface PersistentInstanceRequest extends NamingRequestBase {
  type: 'registerInstance' | 'deregisterInstance';
  instance: NacosInstance;
}

export interface BatchInstanceRequest extends NamingRequestBase {
  type: 'batchRegisterInstance' | 'batchDeregisterInstance';
  instances: NacosInstance[];
}

export interface ServiceQueryRequest extends NamingRequestBase {
  cluster?: string;
  healthyOnly?: boolean;
  udpPort?: number;
}

export interface SubscribeServiceRequest extends NamingRequestBase {
  subscribe: boolean;
  clusters?: string;
}

export interface ServiceListRequest extends NamingRequestBase {
  pageNo?: number;
  pageSize?: number;
  selector?: string | null;
}

// ---- server → client (on the stream) ----------------------------------------------------------

export type ClientDetectionRequest = NacosRequestBase;

export interface NotifySubscriberRequest extends NamingRequestBase {
  serviceInfo: NacosServiceInfo;
}

export interface ConnectResetRequest extends NacosRequestBase {
  serverIp?: string | null;
  serverPort?: string | null;
}

// ---- responses -----------------------------------------------------------------------------------

export interface ServerCheckResponse extends NacosResponseBase {
  connectionId: string;
  supportAbilityNegotiation: boolean;
}

export type HealthCheckResponse = NacosResponseBase;
export type ClientDetectionResponse = NacosResponseBase;
export type NotifySubscriberResponse = NacosResponseBase;
export type ConnectResetResponse = NacosResponseBase;
export type ErrorResponse = NacosResponseBase;

export interface InstanceResponse extends NacosResponseBase {
  type: string;
}

export type BatchInstanceResponse = InstanceResponse;

export interface QueryServiceResponse extends NacosResponseBase {
  serviceInfo: NacosServiceInfo;
}

export type SubscribeServiceResponse = QueryServiceResponse;

export interface ServiceListResponse extends NacosResponseBase {
  count: number;
  serviceNames: string[];
}

/** Request type name → its body; the response type names mirror Nacos's classes. */
export interface NacosRequests {
  ServerCheckRequest: ServerCheckRequest;
  HealthCheckRequest: HealthCheckRequest;
  InstanceRequest: InstanceRequest;
  PersistentInstanceRequest: PersistentInstanceRequest;
  BatchInstanceRequest: BatchInstanceRequest;
  ServiceQueryRequest: ServiceQueryRequest;
  SubscribeServiceRequest: SubscribeServiceRequest;
  ServiceListRequest: ServiceListRequest;
}

export interface NacosResponses {
  ServerCheckRequest: ServerCheckResponse;
  HealthCheckRequest: HealthCheckResponse;
  InstanceRequest: InstanceResponse;
  PersistentInstanceRequest: InstanceResponse;
  BatchInstanceRequest: BatchInstanceResponse;
  ServiceQueryRequest: QueryServiceResponse;
  SubscribeServiceRequest: SubscribeServiceResponse;
  ServiceListRequest: ServiceListResponse;
}

/** A successful response body with the common fields filled in. */
export function okResponse<T extends object>(requestId: string | undefined, fields: T): NacosResponseBase & T {
  return {
    resultCode: RESULT_SUCCESS,
    errorCode: 0,
    message: null,
    requestId: requestId ?? null,
    success: true,
    ...fields,
  };
}

/** A Nacos ErrorResponse body. */
export function errorResponse(requestId: string | undefined, errorCode: number, message: string): ErrorResponse {
  return { resultCode: RESULT_FAIL, errorCode, message, requestId: requestId ?? null, success: false };
}
