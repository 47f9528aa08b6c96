import { EventEmitter } from 'node:events';
import type * as grpc from '@grpc/grpc-js';
import { RESULT_SUCCESS } from './messages';
import type { ConnectionSetupRequest, NacosResponseBase } from './messages';
import { encodeJson, serializePayload } from './payload';
import type { DecodedPayload, WirePayload } from './payload';

export type ConnectionStream = grpc.ServerDuplexStream<WirePayload, WirePayload>;

/** A client connection: one HTTP/2 transport with its bi-stream, registered by ConnectionSetupRequest. */
export interface NacosConnection {
  readonly id: string;
  /** `ipv4:1.2.3.4:5678` as gRPC reports the transport's remote end. */
  readonly peer: string;
  readonly clientIp: string;
  readonly stream: ConnectionStream;
  readonly clientVersion: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  lastActiveAt: number;
}

/** A server request serialized once (see ConnectionTable.prepare). */
export interface PreparedRequest {
  type: string;
  requestId: string;
  bytes: Buffer;
}

/**
 * Whoever waits for the client's answer to a server request. Pushes pass one object per delivery
 * and keep their own deadline (one timer per push, not per subscriber); requests set `timer`.
 */
export interface AnswerWaiter {
  resolve(response: NacosResponseBase): void;
  reject(error: Error): void;
  timer?: NodeJS.Timeout;
}

interface ConnectionState {
  connection: NacosConnection;
  pending: Map<string, AnswerWaiter>;
}

/** A handshake id not yet bound to a stream is forgotten after this long (a client that never set up). */
const UNBOUND_ID_TTL_MS = 60_000;

export interface ConnectionEvents {
  closed: [connection: NacosConnection, reason: string];
}

/**
 * The connections of this node. The connection id belongs to the transport (remote ip:port), as in
 * Nacos: ServerCheckRequest and the stream arrive on the same HTTP/2 connection, in either order
 * (the Java SDK checks first, the Rust SDK sets up the stream first), and both see the same id.
 */
export class ConnectionTable extends EventEmitter<ConnectionEvents> {
  private readonly idsByPeer = new Map<string, { id: string; at: number }>();
  private readonly byPeer = new Map<string, ConnectionState>();
  private readonly byId = new Map<string, ConnectionState>();
  private sequence = 0;

  constructor(private readonly clock: () => number = Date.now) {
    super();
  }

  /** The connection id of a transport, created on first sight (`<ms>_<ip>_<port>` as Nacos). */
  idForPeer(peer: string): string {
    const existing = this.byPeer.get(peer)?.connection.id ?? this.idsByPeer.get(peer)?.id;
    if (existing !== undefined) return existing;
    const { ip, port } = splitPeer(peer);
    const id = `${this.clock()}_${ip}_${port}_${++this.sequence}`;
    this.idsByPeer.set(peer, { id, at: this.clock() });
    return id;
  }

  /** Registers the stream of a transport; a previous stream of the same transport is closed first. */
  register(peer: string, stream: ConnectionStream, setup: ConnectionSetupRequest): NacosConnection {
    const previous = this.byPeer.get(peer);
    if (previous !== undefined) this.unregister(previous.connection.id, 'replaced by a new stream');
    const id = this.idForPeer(peer);
    this.idsByPeer.delete(peer);
    const connection: NacosConnection = {
      id,
      peer,
      clientIp: splitPeer(peer).ip,
      stream,
      clientVersion: typeof setup.clientVersion === 'string' ? setup.clientVersion : '',
      namespace: typeof setup.tenant === 'string' ? setup.tenant : '',
      labels: typeof setup.labels === 'object' && setup.labels !== null ? { ...setup.labels } : {},
      lastActiveAt: this.clock(),
    };
    const state = { connection, pending: new Map<string, AnswerWaiter>() };
    this.byPeer.set(peer, state);
    this.byId.set(id, state);
    return connection;
  }

  /** Forgets a connection, fails its outstanding server requests and emits `closed`; false if unknown. */
  unregister(id: string, reason: string): boolean {
    const state = this.byId.get(id);
    if (state === undefined) return false;
    this.byId.delete(id);
    if (this.byPeer.get(state.connection.peer) === state) this.byPeer.delete(state.connection.peer);
    for (const pending of state.pending.values()) {
      if (pending.timer !== undefined) clearTimeout(pending.timer);
      pending.reject(new Error(`connection closed: ${reason}`));
    }
    state.pending.clear();
    this.emit('closed', state.connection, reason);
    return true;
  }

  byTransport(peer: string): NacosConnection | undefined {
    return this.byPeer.get(peer)?.connection;
  }

  get(id: string): NacosConnection | undefined {
    return this.byId.get(id)?.connection;
  }

  all(): IterableIterator<NacosConnection> {
    return [...this.byId.values()].map((state) => state.connection).values();
  }

  get size(): number {
    return this.byId.size;
  }

  touch(connection: NacosConnection): void {
    connection.lastActiveAt = this.clock();
  }

  /**
   * Serializes a server request once: `json` is the body without its requestId, which is spliced
   * in here. A push to a thousand subscribers is built once and written a thousand times; the
   * requestId is shared, which is fine because acknowledgements are matched per connection.
   */
  prepare(type: string, json: string): PreparedRequest {
    const requestId = String(++this.sequence);
    const body = json === '{}' ? `{"requestId":"${requestId}"}` : `{"requestId":"${requestId}",${json.slice(1)}`;
    return { type, requestId, bytes: serializePayload(encodeJson(type, body)) };
  }

  /** Sends a server request and resolves with the client's response; rejects on timeout or when the connection goes. */
  request(connection: NacosConnection, type: string, json: string, timeoutMs: number): Promise<NacosResponseBase> {
    return this.send(connection, this.prepare(type, json), timeoutMs);
  }

  /** Sends a prepared request on the connection's stream (see `prepare`). */
  send(connection: NacosConnection, prepared: PreparedRequest, timeoutMs: number): Promise<NacosResponseBase> {
    const { requestId, type } = prepared;
    return new Promise<NacosResponseBase>((resolve, reject) => {
      const waiter: AnswerWaiter = { resolve, reject };
      const failure = this.post(connection, prepared, waiter);
      if (failure !== undefined) return reject(failure);
      waiter.timer = setTimeout(() => {
        this.forget(connection, requestId);
        reject(new Error(`no answer to ${type} within ${timeoutMs} ms`));
      }, timeoutMs);
    });
  }

  /**
   * Writes a prepared request and hands its answer to `waiter`, with no deadline of its own: the
   * caller calls `forget` when it stops waiting. Returns the error when the write failed.
   */
  post(connection: NacosConnection, prepared: PreparedRequest, waiter: AnswerWaiter): Error | undefined {
    const state = this.byId.get(connection.id);
    if (state === undefined) return new Error('connection is closed');
    state.pending.set(prepared.requestId, waiter);
    try {
      // The stream serializer passes Buffers through (see serializePayload).
      connection.stream.write(prepared.bytes as unknown as WirePayload);
      return undefined;
    } catch (err) {
      state.pending.delete(prepared.requestId);
      return err instanceof Error ? err : new Error(String(err));
    }
  }

  /** Stops waiting for the answer to a request (its waiter is not called); false when none was awaited. */
  forget(connection: NacosConnection, requestId: string): boolean {
    const state = this.byId.get(connection.id);
    const waiter = state?.pending.get(requestId);
    if (state === undefined || waiter === undefined) return false;
    state.pending.delete(requestId);
    if (waiter.timer !== undefined) clearTimeout(waiter.timer);
    return true;
  }

  /** A response the client sent on the stream to one of our requests; false when nobody waits for it. */
  settle(connection: NacosConnection, payload: DecodedPayload): boolean {
    const state = this.byId.get(connection.id);
    const requestId = payload.body.requestId;
    if (state === undefined || typeof requestId !== 'string') return false;
    const pending = state.pending.get(requestId);
    if (pending === undefined) return false;
    state.pending.delete(requestId);
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    const response = payload.body as unknown as NacosResponseBase;
    if (response.resultCode === RESULT_SUCCESS || response.success === true) pending.resolve(response);
    else pending.reject(new Error(`client answered ${payload.type} with ${String(response.message)}`));
    return true;
  }

  /** Drops handshake ids that never got a stream; returns how many. */
  sweepUnbound(now = this.clock()): number {
    let dropped = 0;
    for (const [peer, entry] of this.idsByPeer) {
      if (now - entry.at > UNBOUND_ID_TTL_MS) {
        this.idsByPeer.delete(peer);
        dropped++;
      }
    }
    return dropped;
  }
}

/** `ipv4:1.2.3.4:5678` / `ipv6:[::1]:5678` / `1.2.3.4:5678` → ip and port. */
export function splitPeer(peer: string): { ip: string; port: string } {
  const bare = peer.replace(/^ipv[46]:/, '');
  const at = bare.lastIndexOf(':');
  if (at < 0) return { ip: bare, port: '0' };
  return { ip: bare.slice(0, at).replace(/^\[|\]$/g, ''), port: bare.slice(at + 1) };
}
