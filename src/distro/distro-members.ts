import type { MemberState } from './distro-types';

/** Failed probes after which a SUSPICIOUS member is DOWN (Nacos: more than 3 failed reports). */
export const DOWN_AFTER_FAILURES = 3;

export interface MemberStatus {
  id: string;
  state: MemberState;
  /** ms epoch of the last successful call to it, if any. */
  lastContact?: number;
  lastError?: string;
  failures: number;
  /** The peer said it has loaded its snapshot (from the last probe). */
  initialized?: boolean;
}

export interface MembershipLog {
  info(fields: Record<string, unknown>, message: string): void;
}

/**
 * The peers of this region and their states: UP → SUSPICIOUS after one failed probe (or one
 * forwarded write the peer did not answer, see `suspect`) → DOWN after three failed probes; back to
 * UP on any success. Listeners hear about every change so responsibility is recomputed.
 */
export class DistroMembers {
  private readonly members = new Map<string, MemberStatus>();
  private readonly listeners: Array<() => void> = [];

  constructor(
    readonly self: string,
    private readonly log: MembershipLog,
    private readonly clock: () => number = Date.now,
  ) {}

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Replaces the peer list (self is ignored); new peers start UP until a probe says otherwise. */
  setPeers(ids: readonly string[]): void {
    const wanted = new Set(ids.filter((id) => id !== this.self));
    let changed = false;
    for (const id of [...this.members.keys()]) {
      if (!wanted.has(id)) {
        this.members.delete(id);
        this.log.info({ peer: id }, `Distro member ${id} left`);
        changed = true;
      }
    }
    for (const id of wanted) {
      if (this.members.has(id)) continue;
      this.members.set(id, { id, state: 'UP', failures: 0 });
      this.log.info({ peer: id }, `Distro member ${id} joined (UP until probed)`);
      changed = true;
    }
    if (changed) this.notify();
  }

  /** A call to the peer succeeded. */
  recordSuccess(id: string, initialized?: boolean): void {
    const member = this.members.get(id);
    if (!member) return;
    member.lastContact = this.clock();
    member.failures = 0;
    // A peer that just loaded its data is worth telling about: a waiting snapshot loader retries now.
    const becameInitialized = initialized === true && member.initialized !== true;
    if (initialized !== undefined) member.initialized = initialized;
    if (member.state !== 'UP') this.transition(member, 'UP');
    else if (becameInitialized) this.notify();
  }

  /** A probe failed: one failure makes a member SUSPICIOUS, three make it DOWN. */
  recordFailure(id: string, error: string): void {
    const member = this.members.get(id);
    if (!member) return;
    member.failures++;
    member.lastError = error;
    this.transition(member, member.failures >= DOWN_AFTER_FAILURES ? 'DOWN' : 'SUSPICIOUS');
  }

  /**
   * A call that is not a probe got no answer (connection refused, deadline passed, the peer is
   * shutting down). An UP member turns SUSPICIOUS at once, as after one failed probe, so callers
   * stop waiting on it before the next probe; returns true when it did. It counts as that one
   * failure only: a burst of such calls cannot take a member DOWN faster than probes would, and a
   * member already SUSPICIOUS or DOWN keeps its state and count (the probes carry on from there).
   */
  suspect(id: string, error: string): boolean {
    const member = this.members.get(id);
    if (!member) return false;
    member.lastError = error;
    if (member.state !== 'UP') return false;
    member.failures = Math.max(member.failures, 1);
    this.transition(member, 'SUSPICIOUS');
    return true;
  }

  /** Notes the last error of a non-probe call without changing the state. */
  noteError(id: string, error: string): void {
    const member = this.members.get(id);
    if (member) member.lastError = error;
  }

  has(id: string): boolean {
    return this.members.has(id);
  }

  get(id: string): MemberStatus | undefined {
    return this.members.get(id);
  }

  peers(): MemberStatus[] {
    return [...this.members.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  /** UP and SUSPICIOUS members, self included: the responsibility list. */
  healthy(): string[] {
    const out = [this.self];
    for (const m of this.members.values()) if (m.state !== 'DOWN') out.push(m.id);
    return out.sort();
  }

  private transition(member: MemberStatus, next: MemberState): void {
    if (member.state === next) return;
    const previous = member.state;
    member.state = next;
    this.log.info(
      { peer: member.id, from: previous, to: next, error: member.lastError },
      `Distro member ${member.id} ${previous} -> ${next}`,
    );
    this.notify();
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}
