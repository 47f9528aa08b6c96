import { Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClusterRouting, MemberUnreachableError, forwardExpired } from '@/routing/cluster-routing';
import type { ForwardedHttpRequest } from '@/routing/cluster-routing';
import type { NacosParams } from './nacos-params';

/** Marks a request one node replayed on another, so it is never forwarded twice. */
export const FORWARDED_HEADER = 'x-distro-forwarded';
/** Nacos marks server-to-server calls with this user agent and never re-proxies them. */
export const NACOS_SERVER_AGENT = 'Nacos-Server';

/** True when the request already is a forward from another node. */
export function isForwarded(request: Pick<FastifyRequest, 'headers'>): boolean {
  const agent = request.headers['user-agent'];
  return request.headers[FORWARDED_HEADER] === '1' || (typeof agent === 'string' && agent.includes(NACOS_SERVER_AGENT));
}

/**
 * Sends v1/v2 writes and beats to the node responsible for their `ip:port` (as Nacos's
 * DistroFilter does), and relays that node's answer unchanged, whatever its status. When that node
 * gives no answer (dead, paused, shutting down, or already SUSPICIOUS), this node handles the write
 * itself as a stand-in: a client never gets a 5xx, or waits long, because another node died.
 */
@Injectable()
export class WriteForwarder {
  private readonly logger = new Logger(WriteForwarder.name);

  constructor(private readonly routing: ClusterRouting) {}

  /** The member to forward to, or undefined when this node handles the write. */
  target(request: Pick<FastifyRequest, 'headers'>, tag: string | undefined): string | undefined {
    if (tag === undefined || isForwarded(request)) return undefined;
    return this.routing.responsibleMember(tag);
  }

  /**
   * Forwards when another member is responsible; returns true when the reply was sent that way,
   * false when the caller handles the write here (this node is responsible, or stands in).
   */
  async relayIfElsewhere(
    request: FastifyRequest,
    reply: FastifyReply,
    params: NacosParams,
    tag: string | undefined,
  ): Promise<boolean> {
    if (isForwarded(request) && forwardExpired(request.headers)) {
      // The sender stopped waiting and stood in: applying this now could undo a later write it
      // acknowledged. The caller applies synchronously after this returns, so nothing can pass
      // between this check and the write but the process itself pausing.
      await reply
        .status(504)
        .type('text/plain')
        .send('caused: the forwarding node gave up on this write; not applied;');
      return true;
    }
    const member = this.target(request, tag);
    if (member === undefined) return false;
    const path = request.url.split('?')[0] ?? request.url;
    const forwarded: ForwardedHttpRequest = {
      method: request.method,
      url: path,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'user-agent': NACOS_SERVER_AGENT,
        [FORWARDED_HEADER]: '1',
      },
      body: params.toForm(),
    };
    try {
      const answer = await this.routing.forwardHttp(member, forwarded);
      const contentType = Object.entries(answer.headers).find(([name]) => name.toLowerCase() === 'content-type')?.[1];
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
