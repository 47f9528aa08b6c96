import { Injectable } from '@nestjs/common';

/**
 * On a forwarded request, the moment (epoch ms, the sender's clock) after which its sender has given up on
 * it and may have answered the client as a stand-in. The responsible node applies the write only if it can
 * stamp it by then, with its versions fixed before the write begins (Registry.writeBefore): a node paused
 * anywhere on the way (a long GC pause, SIGSTOP) would otherwise apply it after waking with a newer version
 * than a later write the stand-in acknowledged, and undo it.
 */
export const FORWARD_DEADLINE_HEADER = 'x-distro-forward-deadline';

/**
 * Marks the answer of a responsible node that did not apply a forward because its deadline had passed
 * (status 504): a sender still waiting handles the write itself, as when the node did not answer.
 */
export const NOT_APPLIED_HEADER = 'x-distro-not-applied';

/** The forward deadline a request carries (undefined when absent or malformed). */
export function forwardDeadline(headers: Record<string, string | string[] | undefined>): number | undefined {
  const value = headers[FORWARD_DEADLINE_HEADER];
  const deadline = typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(deadline) && deadline > 0 ? deadline : undefined;
}

/** An HTTP request replayed on the responsible node (v1 writes and beats, as Nacos proxies them). */
export interface ForwardedHttpRequest {
  method: string;
  /** Path and query string, e.g. `/nacos/v1/ns/instance?ip=...`. */
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export interface ForwardedHttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * The member responsible for a request gave no answer to it: the connection was refused, the
 * forward deadline passed, or it is already known not to answer (SUSPICIOUS or DOWN, so it was not
 * even tried). The asking node handles the request itself as a stand-in; nothing failed for the
 * client. (A peer that was only slow may still apply a request whose deadline passed: the stand-in
 * applies the same write, and Distro settles the two copies.)
 */
export class MemberUnreachableError extends Error {
  constructor(
    readonly member: string,
    /** Why, in an operator's words, e.g. `refused: …`, `timeout: …`, `SUSPICIOUS`. */
    readonly reason: string,
  ) {
    super(`member ${member} did not answer (${reason})`);
    this.name = 'MemberUnreachableError';
  }
}

/**
 * The member asked to replay a request is shutting down: it refused before touching anything, so
 * the asking node may handle the request itself (responsibility is about to move to it anyway).
 */
export class MemberLeavingError extends MemberUnreachableError {
  constructor(member: string) {
    super(member, 'shutting down');
    this.message = `member ${member} is shutting down`;
    this.name = 'MemberLeavingError';
  }
}

/** How a node finds its members (ClusterRouting.lookup), in Nacos's names. */
export type MemberLookup = 'file' | 'address-server' | 'standalone';

/** A member of the region as the Nacos operator views show it (`/operator/servers`). */
export interface ClusterMember {
  /** The member id, `host:distroPort` (or 'standalone'). */
  id: string;
  state: 'UP' | 'SUSPICIOUS' | 'DOWN';
  /** True for the node answering. */
  self: boolean;
  /** ms epoch of the last successful call to it (peers only, once reached). */
  lastContact?: number;
  /** Consecutive failed probes (peers only). */
  failures: number;
}

/**
 * Which node of the region is responsible for what, and how to reach it. The Nacos edges ask it
 * where a v1 write belongs and whether beat expiry is theirs to run; Distro implements it. A port:
 * it lives outside distro/ so that its users never import Distro to reach it.
 */
export abstract class ClusterRouting {
  /** This node's member id (its Distro address), or 'standalone'. */
  abstract selfId(): string;
  /** False until the Distro snapshot is loaded; Nacos reads and writes wait for it. */
  abstract initialized(): boolean;
  /** The member responsible for an ip-port tag `ip:port`; undefined when it is this node. */
  abstract responsibleMember(ipPortTag: string): string | undefined;
  /** True when this node runs heartbeat expiry for the client (ip-port clients it is responsible for). */
  abstract isResponsibleForClient(clientId: string): boolean;
  /**
   * Replays a request on another member and returns that member's answer, whatever its status.
   * Rejects with MemberUnreachableError (or MemberLeavingError) when the member gave no answer and
   * the caller should handle the request itself.
   */
  abstract forwardHttp(member: string, request: ForwardedHttpRequest): Promise<ForwardedHttpResponse>;
  /**
   * Resolves once this node's newest change of a client has reached at least one other member (or
   * none is reachable, or a short deadline passed): a write is answered after it, so what a node
   * acknowledged survives that node being killed right after.
   */
  abstract replicated(clientId: string): Promise<void>;

  /**
   * Asks another member a read-only Nacos request and returns its answer, whatever its status: how a
   * node gathers a view each member holds on its own (subscribers), as Nacos asks every member with
   * `aggregation=false`. Over the same authenticated peer channel and short deadline as a forward, but
   * nothing else happens: no stand-in, no change of the member's state. Rejects with
   * MemberUnreachableError when the member gave no answer (down, slow, refused).
   */
  askMember(member: string, _request: ForwardedHttpRequest): Promise<ForwardedHttpResponse> {
    return Promise.reject(new MemberUnreachableError(member, 'not a member of this region'));
  }

  /**
   * How the member list is found, in Nacos's lookup names: `file`, a fixed list (DISTRO_MEMBERS, as
   * Nacos's cluster.conf); `address-server`, a name looked up again and again (DISTRO_MEMBERS_DNS,
   * as Nacos's address server); `standalone`, no peers.
   */
  lookup(): MemberLookup {
    return 'standalone';
  }

  /**
   * Members reported up by an operator or a tool (Nacos's `PUT /cluster/node/list`) are probed now
   * rather than at the next interval: a report is a reason to look, not evidence. An answer brings a
   * member UP; a failed probe made on a report is not counted, so reports never take a member DOWN.
   * Returns the ids that are peers of this node (the others are not members here and are ignored).
   */
  checkMembers(_ids: readonly string[]): string[] {
    return [];
  }

  /** The members of the region, self first; a node without peers lists itself alone. */
  members(): ClusterMember[] {
    return [{ id: this.selfId(), state: 'UP', self: true, failures: 0 }];
  }
}

/** One node, responsible for everything: what a node without peers is. */
@Injectable()
export class StandaloneRouting extends ClusterRouting {
  selfId(): string {
    return 'standalone';
  }

  initialized(): boolean {
    return true;
  }

  responsibleMember(): string | undefined {
    return undefined;
  }

  isResponsibleForClient(): boolean {
    return true;
  }

  forwardHttp(member: string): Promise<ForwardedHttpResponse> {
    return Promise.reject(new Error(`standalone node has no member ${member} to forward to`));
  }

  replicated(): Promise<void> {
    return Promise.resolve();
  }
}
