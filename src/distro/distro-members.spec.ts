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

  it('should tell listeners about every join, leave and state change', () => {
    const before = changes;
    sut.recordFailure('c:1', 'timeout');
    sut.setPeers(['b:1']);

    expect(changes).toBe(before + 2);
    expect(lines).toContain('Distro member c:1 left');
  });
});
