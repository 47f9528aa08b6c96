/**
 * How many task leases one replica should hold: an even share of every task over the live
 * replicas. Pure arithmetic, so the spreading rule is unit-tested apart from Postgres.
 */
export interface BalanceInput {
  tasks: number;
  liveWorkers: number;
  held: number;
}

export interface BalanceDecision {
  /** Leases to take from the pool of unowned or expired ones this round. */
  claim: number;
  /** Leases to hand back so a newly joined replica can take them. */
  release: number;
  share: number;
}

/** Never claims more than `maxClaimPerRound` at once, so a replica that starts alone does not grab everything before its peers' first heartbeats. */
export function balanceLeases(input: BalanceInput, maxClaimPerRound = Number.POSITIVE_INFINITY): BalanceDecision {
  const live = Math.max(1, input.liveWorkers);
  const share = Math.ceil(input.tasks / live);
  if (input.held > share) return { claim: 0, release: input.held - share, share };
  return { claim: Math.min(share - input.held, maxClaimPerRound), release: 0, share };
}
