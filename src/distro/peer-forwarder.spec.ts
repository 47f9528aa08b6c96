import { MemberLeavingError, MemberUnreachableError } from '@/routing/cluster-routing';
import type { ForwardedHttpRequest, ForwardedHttpResponse } from '@/routing/cluster-routing';
import { DistroMembers } from './distro-members';
import { PeerCallError } from './distro-types';
import { LEAVING_DETAILS } from './grpc/distro-grpc-server';
import { PeerForwarder } from './peer-forwarder';

const REQUEST: ForwardedHttpRequest = { method: 'POST', url: '/nacos/v1/ns/instance', headers: {}, body: 'ip=1.1.1.1' };
const OK: ForwardedHttpResponse = { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' };

describe(PeerForwarder.name, () => {
  let members: DistroMembers;
  let calls: string[];
  /** What the next calls to the peer do: answer, or fail the way the gRPC client fails. */
  let outcome: () => Promise<ForwardedHttpResponse>;
  let warnings: string[];
  let infos: string[];
  let standIns: string[];
  let sut: PeerForwarder;

  beforeEach(() => {
    members = new DistroMembers('a:1', { info: () => undefined });
    members.setPeers(['a:1', 'b:1', 'c:1']);
    calls = [];
    outcome = () => Promise.resolve(OK);
    warnings = [];
    infos = [];
    standIns = [];
    sut = new PeerForwarder(
      members,
      (member) => {
        calls.push(member);
        return outcome();
      },
      { warn: (_f, m) => warnings.push(m), info: (_f, m) => infos.push(m) },
      { standInWrite: (peer) => standIns.push(peer) },
    );
  });

  const failWith = (error: Error) => () => Promise.reject(error);

  it('should relay whatever HTTP answer the peer gave, errors included, and leave it UP', async () => {
    outcome = () => Promise.resolve({ status: 503, headers: {}, body: 'server is DOWN now' });

    await expect(sut.forward('b:1', REQUEST)).resolves.toMatchObject({ status: 503, body: 'server is DOWN now' });

    expect(calls).toEqual(['b:1']);
    expect(members.get('b:1')?.state).toBe('UP');
    expect(warnings).toEqual([]);
    expect(standIns).toEqual([]);
  });

  it.each([
    ['refused', new PeerCallError('refused', 'connect ECONNREFUSED 127.0.0.1:1')],
    ['timeout', new PeerCallError('timeout', 'Deadline exceeded after 0.501s')],
  ])('should mark a peer that did not answer (%s) SUSPICIOUS and tell the caller to stand in', async (_name, error) => {
    outcome = failWith(error);

    const rejection = sut.forward('b:1', REQUEST);

    await expect(rejection).rejects.toBeInstanceOf(MemberUnreachableError);
    await expect(rejection).rejects.toMatchObject({ member: 'b:1', reason: error.message });
    expect(members.get('b:1')).toMatchObject({ state: 'SUSPICIOUS', lastError: error.message });
    expect(warnings).toEqual([
      `forwarding to b:1 failed (${error.message}); handling its writes here as a stand-in until it answers probes`,
    ]);
    expect(standIns).toEqual(['b:1']);
    expect(sut.isStandingIn('b:1')).toBe(true);
  });

  it('should not send writes to a SUSPICIOUS peer at all, and warn only once', async () => {
    outcome = failWith(new PeerCallError('refused', 'connect ECONNREFUSED'));
    await expect(sut.forward('b:1', REQUEST)).rejects.toBeInstanceOf(MemberUnreachableError);
    outcome = () => Promise.resolve(OK);

    for (let i = 0; i < 5; i++)
      await expect(sut.forward('b:1', REQUEST)).rejects.toBeInstanceOf(MemberUnreachableError);

    expect(calls).toEqual(['b:1']);
    expect(warnings).toHaveLength(1);
    expect(standIns).toHaveLength(6);
  });

  it('should stand in for a peer probes found SUSPICIOUS before any write was forwarded to it', async () => {
    members.recordFailure('b:1', 'timeout: probe');

    await expect(sut.forward('b:1', REQUEST)).rejects.toMatchObject({ reason: 'SUSPICIOUS: timeout: probe' });
    await expect(sut.forward('b:1', REQUEST)).rejects.toBeInstanceOf(MemberUnreachableError);

    expect(calls).toEqual([]);
    expect(warnings).toEqual([
      'not forwarding to b:1 (SUSPICIOUS: timeout: probe); handling its writes here as a stand-in until it answers probes',
    ]);
  });

  it('should forward again once the peer answers a probe, and warn again at the next failure', async () => {
    outcome = failWith(new PeerCallError('timeout', 'Deadline exceeded'));
    await expect(sut.forward('b:1', REQUEST)).rejects.toBeInstanceOf(MemberUnreachableError);

    // A paused peer resumed: a probe succeeds.
    members.recordSuccess('b:1', true);
    outcome = () => Promise.resolve(OK);

    await expect(sut.forward('b:1', REQUEST)).resolves.toEqual(OK);
    expect(calls).toEqual(['b:1', 'b:1']);
    expect(infos).toEqual(['b:1 answers again; forwarding its writes to it again']);
    expect(sut.isStandingIn('b:1')).toBe(false);

    outcome = failWith(new PeerCallError('refused', 'connect ECONNREFUSED'));
    await expect(sut.forward('b:1', REQUEST)).rejects.toBeInstanceOf(MemberUnreachableError);
    expect(warnings).toHaveLength(2);
  });

  it('should keep standing in, without a new line, while probes take the peer from SUSPICIOUS to DOWN', async () => {
    outcome = failWith(new PeerCallError('refused', 'connect ECONNREFUSED'));
    await expect(sut.forward('b:1', REQUEST)).rejects.toBeInstanceOf(MemberUnreachableError);

    members.recordFailure('b:1', 'refused');
    members.recordFailure('b:1', 'refused');
    expect(members.get('b:1')?.state).toBe('DOWN');
    expect(sut.isStandingIn('b:1')).toBe(true);
    await expect(sut.forward('b:1', REQUEST)).rejects.toBeInstanceOf(MemberUnreachableError);

    members.recordSuccess('b:1');
    expect(sut.isStandingIn('b:1')).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(infos).toHaveLength(1);
  });

  it('should count concurrent unanswered forwards as one failure: SUSPICIOUS, not DOWN', async () => {
    let fail: (error: Error) => void = () => undefined;
    const pending = new Promise<ForwardedHttpResponse>((_resolve, reject) => (fail = reject));
    outcome = () => pending;

    const forwards = Array.from({ length: 5 }, () => sut.forward('b:1', REQUEST));
    fail(new PeerCallError('timeout', 'Deadline exceeded'));

    for (const forward of forwards) await expect(forward).rejects.toBeInstanceOf(MemberUnreachableError);
    expect(calls).toHaveLength(5);
    expect(members.get('b:1')).toMatchObject({ state: 'SUSPICIOUS', failures: 1 });
    expect(warnings).toHaveLength(1);
  });

  it('should treat a peer that is shutting down as one not answering', async () => {
    outcome = failWith(new PeerCallError('refused', LEAVING_DETAILS));

    await expect(sut.forward('b:1', REQUEST)).rejects.toBeInstanceOf(MemberLeavingError);

    expect(members.get('b:1')?.state).toBe('SUSPICIOUS');
    expect(warnings).toEqual([
      'forwarding to b:1 failed (shutting down); handling its writes here as a stand-in until it answers probes',
    ]);
  });

  it.each([
    ['unauthenticated', new PeerCallError('unauthenticated', 'a valid Distro token is required')],
    ['a bad response', new PeerCallError('bad response', 'PERMISSION_DENIED: not a member')],
    ['a local error', new Error('boom')],
  ])('should pass %s through unchanged: the peer answered, so there is nothing to stand in for', async (_n, error) => {
    outcome = failWith(error);

    await expect(sut.forward('b:1', REQUEST)).rejects.toBe(error);

    expect(members.get('b:1')?.state).toBe('UP');
    expect(warnings).toEqual([]);
    expect(standIns).toEqual([]);
  });

  it('should stand in for one peer without touching the others', async () => {
    outcome = failWith(new PeerCallError('refused', 'connect ECONNREFUSED'));
    await expect(sut.forward('b:1', REQUEST)).rejects.toBeInstanceOf(MemberUnreachableError);
    outcome = () => Promise.resolve(OK);

    await expect(sut.forward('c:1', REQUEST)).resolves.toEqual(OK);

    expect(members.get('c:1')?.state).toBe('UP');
    expect(sut.isStandingIn('c:1')).toBe(false);
  });

  it('should forget a peer that left the member list', async () => {
    outcome = failWith(new PeerCallError('refused', 'connect ECONNREFUSED'));
    await expect(sut.forward('b:1', REQUEST)).rejects.toBeInstanceOf(MemberUnreachableError);

    members.setPeers(['a:1', 'c:1']);

    expect(sut.isStandingIn('b:1')).toBe(false);
    expect(infos).toEqual([]);
  });
});
