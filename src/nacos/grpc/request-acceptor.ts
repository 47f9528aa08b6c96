import { Logger } from '@nestjs/common';
import type * as grpc from '@grpc/grpc-js';
import type { ClusterRouting } from '@/routing/cluster-routing';
import type { ConnectionStream, ConnectionTable } from './connections';
import { NacosExceptionCode, errorResponse, okResponse } from './messages';
import type { NacosResponseBase } from './messages';
import type { NamingHandlers } from './naming-handlers';
import { NacosRequestError } from './naming-input';
import { PayloadError, decodePayload, encodePayload } from './payload';
import type { DecodedPayload, WirePayload } from './payload';

/** Checks the credentials a request carries in its headers; a failure message, or undefined to proceed. */
export type CredentialCheck = (headers: Record<string, string>) => string | undefined;

/** Nacos's message for naming calls while Distro has not loaded its snapshot. */
export const SERVER_STARTING_MESSAGE = 'server is starting: Distro protocol is not initialized';

function responseType(requestType: string): string {
  // Nacos names the response after the request, with two historical exceptions.
  if (requestType === 'ServiceQueryRequest') return 'QueryServiceResponse';
  return requestType.replace(/Request$/, 'Response');
}

/**
 * The two RPCs of the Nacos client protocol. Unary: ServerCheckRequest is answered before any
 * connection check (the client learns its id from it); everything else needs a registered
 * connection (else 301 so the client reconnects). Stream: ConnectionSetupRequest registers the
 * connection; responses to server requests settle them; the stream's end ends the connection.
 */
export class RequestAcceptor {
  private readonly logger = new Logger(RequestAcceptor.name);

  constructor(
    private readonly connections: ConnectionTable,
    private readonly naming: NamingHandlers,
    private readonly routing: ClusterRouting,
    private readonly checkCredentials: CredentialCheck,
  ) {}

  /** `/Request/request`: never throws, every failure is a Nacos ErrorResponse. */
  request(call: grpc.ServerUnaryCall<WirePayload, WirePayload>, callback: grpc.sendUnaryData<WirePayload>): void {
    let decoded: DecodedPayload | undefined;
    let response: NacosResponseBase;
    let type = 'ErrorResponse';
    try {
      decoded = decodePayload(call.request);
      const answered = this.answer(call.getPeer(), decoded);
      if (answered instanceof Promise) {
        this.answerLater(answered, decoded, callback);
        return;
      }
      response = answered;
      if (response.success) type = responseType(decoded.type);
    } catch (err) {
      response = this.failure(err, decoded);
    }
    callback(null, encodePayload(type, response));
  }

  /** A handler that writes to the database (PersistentInstanceRequest) answers when it is done. */
  private answerLater(
    answered: Promise<NacosResponseBase>,
    decoded: DecodedPayload,
    callback: grpc.sendUnaryData<WirePayload>,
  ): void {
    answered.then(
      (response) =>
        callback(null, encodePayload(response.success ? responseType(decoded.type) : 'ErrorResponse', response)),
      (err: unknown) => callback(null, encodePayload('ErrorResponse', this.failure(err, decoded))),
    );
  }

  /** `/BiRequestStream/requestBiStream`. */
  stream(stream: ConnectionStream): void {
    const peer = stream.getPeer();
    let connectionId: string | undefined;
    const close = (reason: string): void => {
      if (connectionId !== undefined) this.connections.unregister(connectionId, reason);
      connectionId = undefined;
    };
    stream.on('data', (payload: WirePayload) => {
      let decoded: DecodedPayload;
      try {
        decoded = decodePayload(payload);
      } catch (err) {
        this.logger.debug({ peer, err: String(err) }, 'unreadable payload on the stream, ignored');
        return;
      }
      if (decoded.type === 'ConnectionSetupRequest') {
        // A repeated setup on a registered stream changes nothing (re-registering would drop its instances).
        if (connectionId !== undefined) return;
        const connection = this.connections.register(peer, stream, decoded.body);
        connectionId = connection.id;
        this.logger.log(
          { connectionId, clientIp: connection.clientIp, clientVersion: connection.clientVersion },
          'gRPC connection registered',
        );
        return;
      }
      const connection = connectionId === undefined ? undefined : this.connections.get(connectionId);
      if (connection === undefined) return;
      this.connections.touch(connection);
      if (!this.connections.settle(connection, decoded)) {
        this.logger.debug({ connectionId, type: decoded.type }, 'unexpected message on the stream, ignored');
      }
    });
    stream.on('end', () => {
      close('stream ended');
      stream.end();
    });
    stream.on('cancelled', () => close('stream cancelled'));
    stream.on('error', (err) => close(`stream error: ${err.message}`));
    stream.on('close', () => close('stream closed'));
  }

  private answer(peer: string, decoded: DecodedPayload): NacosResponseBase | Promise<NacosResponseBase> {
    const requestId = typeof decoded.body.requestId === 'string' ? decoded.body.requestId : undefined;
    if (decoded.type === 'ServerCheckRequest') {
      return okResponse(requestId, {
        connectionId: this.connections.idForPeer(peer),
        supportAbilityNegotiation: false,
      });
    }
    const connection = this.connections.byTransport(peer);
    if (connection === undefined) {
      return errorResponse(requestId, NacosExceptionCode.ConnectionUnregistered, 'Connection is unregistered.');
    }
    this.connections.touch(connection);
    if (decoded.type === 'HealthCheckRequest') return okResponse(requestId, {});
    const handler = this.naming.handlerFor(decoded.type);
    if (handler === undefined) {
      return errorResponse(requestId, NacosExceptionCode.NoHandler, `RequestHandler Not Found: ${decoded.type}`);
    }
    if (!this.routing.initialized())
      return errorResponse(requestId, NacosExceptionCode.ServerStarting, SERVER_STARTING_MESSAGE);
    const denied = this.checkCredentials(decoded.headers);
    if (denied !== undefined) return errorResponse(requestId, NacosExceptionCode.NoRight, denied);
    return handler(connection, decoded.body);
  }

  private failure(err: unknown, decoded: DecodedPayload | undefined): NacosResponseBase {
    const requestId = typeof decoded?.body.requestId === 'string' ? decoded.body.requestId : undefined;
    if (err instanceof NacosRequestError) return errorResponse(requestId, err.errorCode, err.message);
    if (err instanceof PayloadError) return errorResponse(requestId, NacosExceptionCode.ParseError, err.message);
    this.logger.error({ type: decoded?.type, err }, 'gRPC request failed');
    return errorResponse(requestId, NacosExceptionCode.ServerError, 'internal error');
  }
}
