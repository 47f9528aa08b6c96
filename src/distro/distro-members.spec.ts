import { DistroMembers } from './distro-members';

describe(DistroMembers.name, () => {
  let sut: DistroMembers;
  let lines: string[];
  let changes: number;

  beforeEach(() => {
    lines = [];
    changes = 0;
    sut = new DistroMembers('a:1', { info: (_f, m) => lines.push(m) });
    sut.onChange(() => changes++);
    sut.setPeers(['a:1', 'b:1', 'c:1']);
  });

  it('should ignore self in the peer list', () => {
    expect(sut.peers().map((p) => p.id)).toEqual(['b:1', 'c:1']);
  });

  it('should go UP → SUSPICIOUS after one failure → DOWN after three, and back UP on success', () => {
    sut.recordFailure('b:1', 'refused');
    expect(sut.get('b:1')?.state).toBe('SUSPICIOUS');
    expect(sut.healthy()).toEqual(['a:1', 'b:1', 'c:1']);

    sut.recordFailure('b:1', 'refused');
    sut.recordFailure('b:1', 'refused');
    expect(sut.get('b:1')?.state).toBe('DOWN');
    expect(sut.healthy()).toEqual(['a:1', 'c:1']);

    sut.recordSuccess('b:1');
    expect(sut.get('b:1')).toMatchObject({ state: 'UP', failures: 0 });
    expect(lines).toEqual(
      expect.arrayContaining([
        'Distro member b:1 UP -> SUSPICIOUS',
        'Distro member b:1 SUSPICIOUS -> DOWN',
        'Distro member b:1 DOWN -> UP',
      ]),
    );
  });

  it('should turn an UP member SUSPICIOUS at once when a call it did not answer is reported', () => {
    const before = changes;

    expect(sut.suspect('b:1', 'refused: connect ECONNREFUSED')).toBe(true);

    expect(sut.get('b:1')).toMatchObject({
      state: 'SUSPICIOUS',
      failures: 1,
      lastError: 'refused: connect ECONNREFUSED',
    });
    expect(changes).toBe(before + 1);
    expect(lines).toContain('Distro member b:1 UP -> SUSPICIOUS');
    // Still on the responsibility list: only probes take it DOWN.
    expect(sut.healthy()).toEqual(['a:1', 'b:1', 'c:1']);
  });

  it('should count a burst of unanswered calls as one failure, never taking a member DOWN', () => {
    for (let i = 0; i < 10; i++) sut.suspect('b:1', 'timeout: deadline exceeded');

    expect(sut.get('b:1')).toMatchObject({ state: 'SUSPICIOUS', failures: 1 });
    expect(lines.filter((l) => l.startsWith('Distro member b:1 UP'))).toEqual(['Distro member b:1 UP -> SUSPICIOUS']);
  });

  it('should leave SUSPICIOUS and DOWN members to the probes, and come back UP on a success', () => {
    sut.recordFailure('b:1', 'refused');
    sut.recordFailure('b:1', 'refused');
    expect(sut.suspect('b:1', 'timeout')).toBe(false);
    expect(sut.get('b:1')).toMatchObject({ state: 'SUSPICIOUS', failures: 2, lastError: 'timeout' });

    sut.recordFailure('b:1', 'refused');
    expect(sut.suspect('b:1', 'timeout')).toBe(false);
    expect(sut.get('b:1')).toMatchObject({ state: 'DOWN', failures: 3 });

    sut.recordSuccess('b:1');
    expect(sut.get('b:1')).toMatchObject({ state: 'UP', failures: 0 });
    expect(sut.suspect('x:1', 'refused')).toBe(false);
  });

  it('should tell listeners about every join, leave and state change', () => {
    const before = changes;
    sut.recordFailure('c:1', 'timeout');
    sut.setPeers(['b:1']);

    expect(changes).toBe(before + 2);
    expect(lines).toContain('Distro member c:1 left');
  });
});
