import { Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClusterRouting, MemberLeavingError, MemberUnreachableError } from '@/routing/cluster-routing';
import type { ForwardedHttpRequest, ForwardedHttpResponse } from '@/routing/cluster-routing';
import type { NacosParams } from './nacos-params';
import { WriteForwarder } from './write-forwarder';

/** `10.9.*` belongs to peer:1; forwardHttp does what `next` says. */
class FakeRouting extends ClusterRouting {
  readonly forwarded: Array<{ member: string; request: ForwardedHttpRequest }> = [];
  next: () => Promise<ForwardedHttpResponse> = () => Promise.resolve({ status: 200, headers: {}, body: 'ok' });

  selfId(): string {
    return 'self:1';
  }
  initialized(): boolean {
    return true;
  }
  responsibleMember(tag: string): string | undefined {
    return tag.startsWith('10.9.') ? 'peer:1' : undefined;
  }
  isResponsibleForClient(): boolean {
    return true;
  }
  forwardHttp(member: string, request: ForwardedHttpRequest): Promise<ForwardedHttpResponse> {
    this.forwarded.push({ member, request });
    return this.next();
  }
  replicated(): Promise<void> {
    return Promise.resolve();
  }
}

/** What the forwarder did to the reply. */
interface Sent {
  status?: number;
  type?: string;
  headers: Record<string, string>;
  body?: unknown;
}

function fakeReply(): { reply: FastifyReply; sent: Sent } {
  const sent: Sent = { headers: {} };
  const reply = {
    status(code: number) {
      sent.status = code;
      return reply;
    },
    type(value: string) {
      sent.type = value;
      return reply;
    },
    header(name: string, value: string) {
      sent.headers[name] = value;
      return reply;
    },
    send(body: unknown) {
      sent.body = body;
      return Promise.resolve(reply);
    },
  };
  return { reply: reply as unknown as FastifyReply, sent };
}

function fakeRequest(headers: Record<string, string> = {}): FastifyRequest {
  return { method: 'POST', url: '/nacos/v1/ns/instance?serviceName=x', headers } as unknown as FastifyRequest;
}

const params = { toForm: () => 'serviceName=x&ip=10.9.0.1&port=80' } as unknown as NacosParams;

describe(WriteForwarder.name, () => {
  let routing: FakeRouting;
  let sut: WriteForwarder;

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(() => {
    routing = new FakeRouting();
    sut = new WriteForwarder(routing);
  });

  it('should handle a write here when this node is responsible', async () => {
    const { reply, sent } = fakeReply();

    expect(await sut.relayIfElsewhere(fakeRequest(), reply, params, '10.1.0.1:80')).toBe(false);

    expect(routing.forwarded).toEqual([]);
    expect(sent.status).toBeUndefined();
  });

  it('should relay the responsible member’s answer unchanged, whatever its status', async () => {
    routing.next = () => Promise.resolve({ status: 503, headers: { 'Content-Type': 'text/x-peer' }, body: 'busy' });
    const { reply, sent } = fakeReply();

    expect(await sut.relayIfElsewhere(fakeRequest(), reply, params, '10.9.0.1:80')).toBe(true);

    expect(sent).toMatchObject({ status: 503, body: 'busy', headers: { 'content-type': 'text/x-peer' } });
    expect(routing.forwarded[0]).toMatchObject({
      member: 'peer:1',
      request: { method: 'POST', url: '/nacos/v1/ns/instance', body: 'serviceName=x&ip=10.9.0.1&port=80' },
    });
  });

  it.each([
    ['did not answer', new MemberUnreachableError('peer:1', 'refused: connect ECONNREFUSED')],
    ['timed out', new MemberUnreachableError('peer:1', 'timeout: Deadline exceeded')],
    ['is SUSPICIOUS already', new MemberUnreachableError('peer:1', 'SUSPICIOUS')],
    ['is shutting down', new MemberLeavingError('peer:1')],
  ])(
    'should handle the write here as a stand-in when the responsible member %s, never answering 5xx',
    async (_n, err) => {
      routing.next = () => Promise.reject(err);
      const { reply, sent } = fakeReply();

      expect(await sut.relayIfElsewhere(fakeRequest(), reply, params, '10.9.0.1:80')).toBe(false);

      expect(sent.status).toBeUndefined();
      expect(sent.body).toBeUndefined();
    },
  );

  it('should answer 500 when the peer answered the call but not with an HTTP response (misconfiguration)', async () => {
    routing.next = () => Promise.reject(new Error('unauthenticated: a valid Distro token is required'));
    const { reply, sent } = fakeReply();

    expect(await sut.relayIfElsewhere(fakeRequest(), reply, params, '10.9.0.1:80')).toBe(true);

    expect(sent).toMatchObject({ status: 500, body: 'caused: failed to forward request to peer:1;' });
  });

  it('should never forward a request that already is a forward', async () => {
    const { reply } = fakeReply();

    expect(await sut.relayIfElsewhere(fakeRequest({ 'x-distro-forwarded': '1' }), reply, params, '10.9.0.1:80')).toBe(
      false,
    );

    expect(routing.forwarded).toEqual([]);
  });

  it('should refuse, not apply, a forward its sender has given up on, and apply one still in time', async () => {
    const late = fakeReply();
    const expired = { 'x-distro-forwarded': '1', 'x-distro-forward-deadline': String(Date.now() - 1) };

    expect(await sut.relayIfElsewhere(fakeRequest(expired), late.reply, params, '10.1.0.1:80')).toBe(true);
    expect(late.sent).toMatchObject({
      status: 504,
      body: 'caused: the forwarding node gave up on this write; not applied;',
    });

    const inTime = fakeReply();
    const ahead = { 'x-distro-forwarded': '1', 'x-distro-forward-deadline': String(Date.now() + 60_000) };
    expect(await sut.relayIfElsewhere(fakeRequest(ahead), inTime.reply, params, '10.1.0.1:80')).toBe(false);
    expect(inTime.sent.status).toBeUndefined();
  });

  it('should ignore a deadline on a request that is not a forward', async () => {
    const { reply, sent } = fakeReply();
    const headers = { 'x-distro-forward-deadline': String(Date.now() - 1) };

    expect(await sut.relayIfElsewhere(fakeRequest(headers), reply, params, '10.1.0.1:80')).toBe(false);
    expect(sent.status).toBeUndefined();
  });
});
