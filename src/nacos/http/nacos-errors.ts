import { HttpException } from '@nestjs/common';
import { PersistentStoreError } from '@/persistent/persistent-store-error';

/** Nacos v2 error codes (com.alibaba.nacos.api.model.v2.ErrorCode) that the HTTP naming API answers. */
export enum NacosV2ErrorCode {
  ParameterMissing = 10000,
  AccessDenied = 10001,
  ParameterValidateError = 20002,
  ResourceNotFound = 20004,
  ServiceNameError = 21000,
  WeightError = 21001,
  InstanceMetadataError = 21002,
  InstanceNotFound = 21003,
  InstanceError = 21004,
  ServiceMetadataError = 21005,
  SelectorError = 21006,
  ServiceAlreadyExist = 21007,
  ServiceNotExist = 21008,
  ServiceDeleteFailure = 21009,
  IllegalNamespace = 22000,
  NamespaceNotExist = 22001,
  NamespaceAlreadyExist = 22002,
  IllegalState = 23000,
  ServerError = 30000,
}

const ABSTRACTS: Record<NacosV2ErrorCode, string> = {
  [NacosV2ErrorCode.ParameterMissing]: 'parameter missing',
  [NacosV2ErrorCode.AccessDenied]: 'access denied',
  [NacosV2ErrorCode.ParameterValidateError]: 'parameter validate error',
  [NacosV2ErrorCode.ResourceNotFound]: 'resource not found',
  [NacosV2ErrorCode.ServiceNameError]: 'service name error',
  [NacosV2ErrorCode.WeightError]: 'weight error',
  [NacosV2ErrorCode.InstanceMetadataError]: 'instance metadata error',
  [NacosV2ErrorCode.InstanceNotFound]: 'instance not found',
  [NacosV2ErrorCode.InstanceError]: 'instance error',
  [NacosV2ErrorCode.ServiceMetadataError]: 'service metadata error',
  [NacosV2ErrorCode.SelectorError]: 'selector error',
  [NacosV2ErrorCode.ServiceAlreadyExist]: 'service already exist',
  [NacosV2ErrorCode.ServiceNotExist]: 'service not exist',
  [NacosV2ErrorCode.ServiceDeleteFailure]: 'service delete failure',
  [NacosV2ErrorCode.IllegalNamespace]: 'illegal namespace',
  [NacosV2ErrorCode.NamespaceNotExist]: 'namespace not exist',
  [NacosV2ErrorCode.NamespaceAlreadyExist]: 'namespace already exist',
  [NacosV2ErrorCode.IllegalState]: 'illegal state',
  [NacosV2ErrorCode.ServerError]: 'server error',
};

/**
 * A refused naming request, transport-neutral: v1 renders it as Nacos's text body
 * (`caused: <message>;`), v2 as the `{code, message, data}` envelope.
 */
export class NacosRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: NacosV2ErrorCode,
    message: string,
    /** The v1 body when it is not `caused: <message>;` (Nacos's runtime exceptions). */
    private readonly v1Body?: string,
  ) {
    super(message);
    this.name = 'NacosRequestError';
  }

  static badParam(code: NacosV2ErrorCode, message: string): NacosRequestError {
    return new NacosRequestError(400, code, message);
  }

  /** A NacosException Nacos's v1 handler writes as its bare message (no `caused:`). */
  static plain(status: number, code: NacosV2ErrorCode, message: string): NacosRequestError {
    return new NacosRequestError(status, code, message, message);
  }

  /**
   * What Nacos throws as a NacosRuntimeException (the ephemeral/persistent rule): v1 writes its
   * message `errCode: <status>, errMsg: <text> `, v2 answers code 30000 with the text.
   */
  static runtime(status: number, message: string): NacosRequestError {
    return new NacosRequestError(
      status,
      NacosV2ErrorCode.ServerError,
      message,
      `errCode: ${status}, errMsg: ${message} `,
    );
  }

  /** v1 form: plain text, as Nacos's ResponseExceptionHandler writes it. */
  toV1(): HttpException {
    return new HttpException(this.v1Body ?? `caused: ${this.message};`, this.status);
  }

  /** v2 form: the Result envelope with the detailed error code. */
  toV2(): HttpException {
    return new HttpException({ code: this.code, message: ABSTRACTS[this.code], data: this.message }, this.status);
  }
}

/** The answer of every Nacos naming route until Distro has loaded its snapshot (as Nacos 1.4–2.1). */
export const NOT_INITIALIZED_MESSAGE =
  'server is DOWN now, detailed error message: Optional[Distro protocol is not initialized]';

/**
 * A persistent write the region's database did not take, as Nacos answers a write its consistency
 * layer refused: 503 when the database is unreachable or late (worth a retry, and the clients try
 * another server), 400 when it refused the value, 500 otherwise; never acknowledged.
 */
export function persistentStoreFailure(error: PersistentStoreError): NacosRequestError {
  const status = error.kind === 'unavailable' ? 503 : error.kind === 'invalid' ? 400 : 500;
  return new NacosRequestError(status, NacosV2ErrorCode.ServerError, error.message);
}

function nacosError(error: unknown): NacosRequestError | undefined {
  if (error instanceof NacosRequestError) return error;
  if (error instanceof PersistentStoreError) return persistentStoreFailure(error);
  return undefined;
}

/**
 * Runs `fn`, turning a NacosRequestError (or a persistent write the database refused) into the v1 or
 * v2 HTTP answer; a promise `fn` returns (a persistent write) rejects with that answer.
 */
export function asV1<T>(fn: () => T): T {
  return mapped(fn, (error) => error.toV1());
}

export function asV2<T>(fn: () => T): T {
  return mapped(fn, (error) => error.toV2());
}

function mapped<T>(fn: () => T, answer: (error: NacosRequestError) => HttpException): T {
  const rethrow = (error: unknown): never => {
    const known = nacosError(error);
    throw known === undefined ? error : answer(known);
  };
  try {
    const result = fn();
    if (result instanceof Promise) return result.catch(rethrow) as T;
    return result;
  } catch (error) {
    return rethrow(error);
  }
}
