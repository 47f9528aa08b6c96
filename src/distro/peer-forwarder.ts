import { MemberLeavingError, MemberUnreachableError } from '@/routing/cluster-routing';
import type { ForwardedHttpRequest, ForwardedHttpResponse } from '@/routing/cluster-routing';
import type { DistroMembers } from './distro-members';
import { PeerCallError } from './distro-types';
import { LEAVING_DETAILS } from './grpc/distro-grpc-server';

export interface ForwardLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** Told about every write this node handles as a stand-in for `peer` (metrics). */
export interface StandInObserver {
  standInWrite?(peer: string): void;
}

/** Replays a request on a peer (the gRPC Forward call, with its own short deadline). */
export type ForwardCall = (member: string, request: ForwardedHttpRequest) => Promise<ForwardedHttpResponse>;

/**
 * The error to hand the asking edge when `error` means the peer gave no answer at all (connection
 * refused or dropped, deadline passed, shutting down); undefined when the peer did answer, only
 * not with an HTTP response (unauthenticated, not a member, a bad payload): that is a
 * misconfiguration to report, not a dead peer to stand in for.
 */
export function unanswered(member: string, error: unknown): MemberUnreachableError | undefined {
  if (error instanceof MemberUnreachableError) return error;
  if (!(error instanceof PeerCallError)) return undefined;
  if (error.reason === 'refused' && error.message.endsWith(LEAVING_DETAILS)) return new MemberLeavingError(member);
  if (error.reason === 'refused' || error.reason === 'timeout')
    return new MemberUnreachableError(member, error.message);
  return undefined;
}

/**
 * Forwards Nacos writes to the member responsible for them, and decides when not to. A forward the
 * peer does not answer marks it SUSPICIOUS at once (DistroMembers.suspect) and is rejected with
 * MemberUnreachableError, so the edge applies the write here as a stand-in; from then on, while the
 * member is SUSPICIOUS or DOWN, its writes are not sent to it at all, so no client waits for a dead
 * peer more than once. When the member is UP again (a probe, or any other call, succeeded) its
 * writes are forwarded again. Responsibility itself is untouched: the member stays on the
 * UP+SUSPICIOUS list (heartbeat expiry, replication) until probes take it DOWN.
 *
 * One warn line per peer when standing in begins, one info line when it ends; never one per write.
 */
export class PeerForwarder {
  /** Members this node currently stands in for, with the reason logged when it began. */
  private readonly standingIn = new Map<string, string>();

  constructor(
    private readonly members: DistroMembers,
    private readonly call: ForwardCall,
    private readonly log: ForwardLog,
    private readonly observer: StandInObserver = {},
  ) {
    members.onChange(() => this.membersChanged());
  }

  /** True while this node handles `member`'s writes itself. */
  isStandingIn(member: string): boolean {
    return this.standingIn.has(member);
  }

  /**
   * The member's answer, whatever its HTTP status; rejects with MemberUnreachableError (or
   * MemberLeavingError) when the caller must handle the write itself, and with the original error
   * when the peer answered the call with something other than an HTTP response.
   */
  async forward(member: string, request: ForwardedHttpRequest): Promise<ForwardedHttpResponse> {
    const status = this.members.get(member);
    if (status !== undefined && status.state !== 'UP') {
      const reason = status.lastError === undefined ? status.state : `${status.state}: ${status.lastError}`;
      throw this.standIn(member, new MemberUnreachableError(member, reason), false);
    }
    try {
      return await this.call(member, request);
    } catch (error) {
      const failure = unanswered(member, error);
      if (failure === undefined) throw error;
      this.members.suspect(member, failure.reason);
      throw this.standIn(member, failure, true);
    }
  }

  private standIn(member: string, error: MemberUnreachableError, tried: boolean): MemberUnreachableError {
    this.observer.standInWrite?.(member);
    if (!this.standingIn.has(member)) {
      this.standingIn.set(member, error.reason);
      const what = tried ? `forwarding to ${member} failed` : `not forwarding to ${member}`;
      this.log.warn(
        { peer: member, reason: error.reason },
        `${what} (${error.reason}); handling its writes here as a stand-in until it answers probes`,
      );
    }
    return error;
  }

  private membersChanged(): void {
    for (const member of [...this.standingIn.keys()]) {
      const status = this.members.get(member);
      if (status !== undefined && status.state !== 'UP') continue;
      this.standingIn.delete(member);
      if (status !== undefined)
        this.log.info({ peer: member }, `${member} answers again; forwarding its writes to it again`);
    }
  }
}
