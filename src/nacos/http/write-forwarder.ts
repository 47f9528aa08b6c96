import { Inject, Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClusterRouting, MemberUnreachableError, NOT_APPLIED_HEADER, forwardDeadline } from '@/routing/cluster-routing';
import { LateWriteError, Registry } from '@/registry';
import type { NamingRegistry } from '@/registry';
import type { ForwardedHttpRequest } from '@/routing/cluster-routing';
import type { NacosParams } from './nacos-params';
import { credentialHeaders } from './naming-access.guard';

/** Marks a request one node replayed on another, so it is never forwarded twice. */
export const FORWARDED_HEADER = 'x-distro-forwarded';
/** Nacos marks server-to-server calls with this user agent and never re-proxies them. */
export const NACOS_SERVER_AGENT = 'Nacos-Server';

/** True when the request already is a forward from another node. */
export function isForwarded(request: Pick<FastifyRequest, 'headers'>): boolean {
  const agent = request.headers['user-agent'];
  return request.headers[FORWARDED_HEADER] === '1' || (typeof agent === 'string' && agent.includes(NACOS_SERVER_AGENT));
}

/** What `handle` applied on this node, or undefined when the reply has been sent already. */
export type Handled<T> = { value: T } | undefined;

/**
 * Sends v1/v2 writes and beats to the node responsible for their `ip:port` (as Nacos's
 * DistroFilter does), and relays that node's answer unchanged, whatever its status. When that node
 * gives no answer (dead, paused, shutting down, or already SUSPICIOUS), this node handles the write
 * itself as a stand-in: a client never gets a 5xx, or waits long, because another node died.
 *
 * A forward this node receives is applied only if it can be stamped before its sender's deadline
 * (Registry.writeBefore), so it never undoes what the sender acknowledged after giving up on it.
 */
@Injectable()
export class WriteForwarder {
  private readonly logger = new Logger(WriteForwarder.name);

  constructor(
    private readonly routing: ClusterRouting,
    @Inject(Registry) private readonly registry: NamingRegistry,
  ) {}

  /** The member to forward to, or undefined when this node handles the write. */
  target(request: Pick<FastifyRequest, 'headers'>, tag: string | undefined): string | undefined {
    if (tag === undefined || isForwarded(request)) return undefined;
    return this.routing.responsibleMember(tag);
  }

  /**
   * Handles one write: relays it to the responsible member when that is another one and it answers
   * (its reply is sent, undefined returned), or applies it here with the synchronous `apply` and
   * returns what that gave. A forward whose deadline this node's clock has passed is answered 504 and
   * not applied (undefined).
   */
  async handle<T>(
    request: FastifyRequest,
    reply: FastifyReply,
    params: NacosParams,
    tag: string | undefined,
    apply: () => T,
  ): Promise<Handled<T>> {
    if (await this.relayIfElsewhere(request, reply, params, tag)) return undefined;
    const deadline = isForwarded(request) ? forwardDeadline(request.headers) : undefined;
    if (deadline === undefined) return { value: apply() };
    try {
      return { value: this.registry.writeBefore(deadline, apply) };
    } catch (err) {
      if (!(err instanceof LateWriteError)) throw err;
      // The sender stopped waiting (or its clock runs behind this one's) and handles the write itself.
      await reply
        .status(504)
        .header(NOT_APPLIED_HEADER, 'late')
        .type('text/plain')
        .send('caused: the forwarding node gave up on this write; not applied;');
      return undefined;
    }
  }

  /**
   * Forwards when another member is responsible; returns true when the reply was sent that way,
   * false when this node handles the write (it is responsible, or stands in).
   */
  private async relayIfElsewhere(
    request: FastifyRequest,
    reply: FastifyReply,
    params: NacosParams,
    tag: string | undefined,
  ): Promise<boolean> {
    const member = this.target(request, tag);
    if (member === undefined) return false;
    const path = request.url.split('?')[0] ?? request.url;
    const forwarded: ForwardedHttpRequest = {
      method: request.method,
      url: path,
      headers: {
        // The responsible node checks the caller's identity again: a token sent as the header goes along.
        ...credentialHeaders(request),
        'content-type': 'application/x-www-form-urlencoded',
        'user-agent': NACOS_SERVER_AGENT,
        [FORWARDED_HEADER]: '1',
      },
      body: params.toForm(),
    };
    try {
      const answer = await this.routing.forwardHttp(member, forwarded);
      const header = (name: string) => Object.entries(answer.headers).find(([key]) => key.toLowerCase() === name)?.[1];
      if (answer.status === 504 && header(NOT_APPLIED_HEADER) !== undefined) {
        // It answered in time but could not stamp the write before the deadline we sent (its clock runs
        // ahead of ours): nothing was applied there, so it is handled here.
        this.logger.debug({ peer: member, tag }, 'responsible node did not apply the write in time: standing in');
        return false;
      }
      const contentType = header('content-type');
      if (contentType !== undefined) void reply.header('content-type', contentType);
      await reply.status(answer.status).send(answer.body);
    } catch (err) {
      if (err instanceof MemberUnreachableError) {
        // No answer (or it is shutting down): handled here; the routing logged it once per peer.
        this.logger.debug({ peer: member, tag, reason: err.reason }, 'responsible node did not answer: standing in');
        return false;
      }
      // The peer answered, just not with an HTTP response (a wrong token, not a member): misconfiguration.
      this.logger.warn({ peer: member, tag, err }, 'forwarding a Nacos write to the responsible node failed');
      await reply.status(500).type('text/plain').send(`caused: failed to forward request to ${member};`);
    }
    return true;
  }
}
