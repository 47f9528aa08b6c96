import { balanceLeases } from './lease-balancer';

describe(balanceLeases.name, () => {
  it('should give each of three replicas three of nine tasks', () => {
    expect(balanceLeases({ tasks: 9, liveWorkers: 3, held: 0 })).toEqual({ claim: 3, release: 0, share: 3 });
    expect(balanceLeases({ tasks: 9, liveWorkers: 3, held: 3 })).toEqual({ claim: 0, release: 0, share: 3 });
  });

  it('should release the excess when a replica joins', () => {
    expect(balanceLeases({ tasks: 9, liveWorkers: 2, held: 5 }).release).toBe(0);
    expect(balanceLeases({ tasks: 9, liveWorkers: 3, held: 5 })).toEqual({ claim: 0, release: 2, share: 3 });
  });

  it('should round the share up so every task finds a holder', () => {
    expect(balanceLeases({ tasks: 10, liveWorkers: 3, held: 0 }).claim).toBe(4);
  });

  it('should take everything when it is the only replica, bounded per round', () => {
    expect(balanceLeases({ tasks: 50, liveWorkers: 0, held: 0 }).claim).toBe(50);
    expect(balanceLeases({ tasks: 50, liveWorkers: 1, held: 0 }, 20).claim).toBe(20);
  });

  it('should hold nothing when there are no tasks', () => {
    expect(balanceLeases({ tasks: 0, liveWorkers: 2, held: 0 })).toEqual({ claim: 0, release: 0, share: 0 });
  });
});
