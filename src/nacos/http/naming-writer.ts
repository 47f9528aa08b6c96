import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { asV2 } from './nacos-errors';
import { NacosParams } from './nacos-params';
import { BEAT_OK, NacosNamingService } from './naming.service';
import type { BeatResult } from './naming.service';
import { WriteForwarder } from './write-forwarder';
import type { Maintenance } from './instance-maintainer';

/** The `{code, message, data}` envelope Nacos's v2 and v3 APIs answer with (its Result). */
export interface V2Result<T> {
  code: number;
  message: string;
  data: T;
}

export function success<T>(data: T): V2Result<T> {
  return { code: 0, message: 'success', data };
}

/** How an edge answers a refused request: `asV1` (plain text) or `asV2` (the envelope). */
export type ErrorMapper = <T>(fn: () => T) => T;

/** Sends `answer` in the envelope. */
export function sendEnvelope<T>(reply: FastifyReply, answer: T): Promise<unknown> {
  return Promise.resolve(reply.send(success(answer)));
}

/** Sends `answer` as Nacos's v1 plain text. */
export function sendText(reply: FastifyReply, answer: string): Promise<unknown> {
  return Promise.resolve(reply.type('text/plain;charset=UTF-8').send(answer));
}

/**
 * The instance writes of every Nacos HTTP edge (v1, v2, v3): forwarded to the node responsible for
 * their `ip:port` (Distro routing), applied there, answered once replicated — in the words of the edge
 * that took them (`errors`, `send`).
 */
@Injectable()
export class NamingWriter {
  constructor(
    private readonly naming: NacosNamingService,
    private readonly forwarder: WriteForwarder,
  ) {}

  /** Register, deregister or update; answered `ok`. */
  async write(
    request: FastifyRequest,
    reply: FastifyReply,
    apply: (params: NacosParams) => void | Promise<void>,
    errors: ErrorMapper = asV2,
    send: (reply: FastifyReply, answer: 'ok') => Promise<unknown> = sendEnvelope,
  ): Promise<void> {
    const params = NacosParams.fromRequest(request);
    const handled = await this.forwarder.handle(request, reply, params, this.naming.writeTag(params), () =>
      errors(() => apply(params)),
    );
    if (handled === undefined) return;
    // A persistent write answers once its database commit is done (rejects, not applied, otherwise).
    await handled.value;
    await this.naming.replicated(params);
    await send(reply.status(200), 'ok');
  }

  /**
   * A change to an existing instance (PATCH, partial update, manual health): forwarded like `write`,
   * `run` on the node that handles it, answered by `send` once the clients it changed are replicated.
   */
  async maintain<T>(
    request: FastifyRequest,
    reply: FastifyReply,
    run: (params: NacosParams) => Maintenance<T>,
    send: (reply: FastifyReply, answer: T) => Promise<unknown>,
    errors: ErrorMapper = asV2,
  ): Promise<void> {
    const params = NacosParams.fromRequest(request);
    const handled = await this.forwarder.handle(request, reply, params, this.naming.writeTag(params), () =>
      errors(() => run(params)),
    );
    if (handled === undefined) return;
    const result = await handled.value;
    await this.naming.replicatedClients(result.clientIds);
    await send(reply.status(200), result.answer);
  }

  /**
   * A heartbeat, forwarded like a write; the caller answers with the result (undefined when the
   * responsible node answered already). A beat that found or registered the instance is replicated first.
   */
  async beat(
    request: FastifyRequest,
    reply: FastifyReply,
    errors: ErrorMapper,
    run: (params: NacosParams) => BeatResult = (params) => this.naming.beat(params),
  ): Promise<BeatResult | undefined> {
    const params = NacosParams.fromRequest(request);
    const handled = await this.forwarder.handle(request, reply, params, this.naming.writeTag(params), () =>
      errors(() => run(params)),
    );
    if (handled === undefined) return undefined;
    if (handled.value.code === BEAT_OK) await this.naming.replicated(params, true);
    return handled.value;
  }
}
