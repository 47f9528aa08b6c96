import { Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  ClusterRouting,
  MemberLeavingError,
  MemberUnreachableError,
  NOT_APPLIED_HEADER,
} from '@/routing/cluster-routing';
import { Registry } from '@/registry';
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
  let registry: Registry;
  let sut: WriteForwarder;
  const orders = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'orders' };

  /** Handles a write of 10.x.x.x:80 that registers it here when it is applied here. */
  function handle(tag: string, headers: Record<string, string> = {}) {
    const { reply, sent } = fakeReply();
    const apply = jest.fn(() =>
      registry.registerInstance(`${tag}#true`, 'ipport', orders, { ip: '10.0.0.1', port: 80 }),
    );
    return { sent, apply, result: sut.handle(fakeRequest(headers), reply, params, tag, apply) };
  }

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(() => {
    routing = new FakeRouting();
    registry = new Registry();
    sut = new WriteForwarder(routing, registry);
  });

  it('should apply a write here when this node is responsible', async () => {
    const { result, sent, apply } = handle('10.1.0.1:80');

    expect(await result).toEqual({ value: true });

    expect(apply).toHaveBeenCalledTimes(1);
    expect(routing.forwarded).toEqual([]);
    expect(sent.status).toBeUndefined();
  });

  it('should relay the responsible member’s answer unchanged, whatever its status', async () => {
    routing.next = () => Promise.resolve({ status: 503, headers: { 'Content-Type': 'text/x-peer' }, body: 'busy' });
    const { result, sent, apply } = handle('10.9.0.1:80');

    expect(await result).toBeUndefined();

    expect(apply).not.toHaveBeenCalled();
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
    'should apply the write here as a stand-in when the responsible member %s, never answering 5xx',
    async (_n, err) => {
      routing.next = () => Promise.reject(err);
      const { result, sent, apply } = handle('10.9.0.1:80');

      expect(await result).toEqual({ value: true });

      expect(apply).toHaveBeenCalledTimes(1);
      expect(sent.status).toBeUndefined();
      expect(sent.body).toBeUndefined();
    },
  );

  it('should stand in when the responsible member answers that it could not apply the write in time', async () => {
    routing.next = () =>
      Promise.resolve({ status: 504, headers: { [NOT_APPLIED_HEADER]: 'late' }, body: 'caused: …; not applied;' });
    const { result, sent, apply } = handle('10.9.0.1:80');

    expect(await result).toEqual({ value: true });
    expect(apply).toHaveBeenCalledTimes(1);
    expect(sent.status).toBeUndefined();
  });

  it('should answer 500 when the peer answered the call but not with an HTTP response (misconfiguration)', async () => {
    routing.next = () => Promise.reject(new Error('unauthenticated: a valid Distro token is required'));
    const { result, sent, apply } = handle('10.9.0.1:80');

    expect(await result).toBeUndefined();

    expect(apply).not.toHaveBeenCalled();
    expect(sent).toMatchObject({ status: 500, body: 'caused: failed to forward request to peer:1;' });
  });

  it('should never forward a request that already is a forward', async () => {
    const { result, apply } = handle('10.9.0.1:80', { 'x-distro-forwarded': '1' });

    expect(await result).toEqual({ value: true });

    expect(apply).toHaveBeenCalledTimes(1);
    expect(routing.forwarded).toEqual([]);
  });

  it('should refuse, not apply, a forward its sender has given up on, and apply one still in time', async () => {
    const expired = { 'x-distro-forwarded': '1', 'x-distro-forward-deadline': String(Date.now() - 1) };
    const late = handle('10.1.0.1:80', expired);

    expect(await late.result).toBeUndefined();
    expect(late.apply).not.toHaveBeenCalled();
    expect(late.sent).toMatchObject({
      status: 504,
      headers: { [NOT_APPLIED_HEADER]: 'late' },
      body: 'caused: the forwarding node gave up on this write; not applied;',
    });
    expect(registry.listInstances(orders)).toEqual([]);

    const ahead = { 'x-distro-forwarded': '1', 'x-distro-forward-deadline': String(Date.now() + 60_000) };
    const inTime = handle('10.1.0.1:80', ahead);
    expect(await inTime.result).toEqual({ value: true });
    expect(inTime.sent.status).toBeUndefined();
    expect(registry.listInstances(orders)).toHaveLength(1);
  });

  it('should stamp an applied forward as of when it began, even when the process pauses in the middle', async () => {
    const began = Date.now();
    const headers = { 'x-distro-forwarded': '1', 'x-distro-forward-deadline': String(began + 60_000) };
    const { reply } = fakeReply();

    await sut.handle(fakeRequest(headers), reply, params, '10.1.0.1:80', () => {
      registry.registerInstance('a#true', 'ipport', orders, { ip: '10.0.0.1', port: 80 });
      const paused = Date.now() + 2;
      while (Date.now() < paused); // the clock moves on in the middle of the write
      registry.registerInstance('a#true', 'ipport', orders, { ip: '10.0.0.2', port: 80 });
    });

    const versions = registry.exportClient('a#true')?.publications.map((p) => p.version) ?? [];
    const [first = 0, second] = versions;
    expect(versions).toHaveLength(2);
    expect(second).toBe(first + 1);
  });

  it('should ignore a deadline on a request that is not a forward', async () => {
    const { result, sent } = handle('10.1.0.1:80', { 'x-distro-forward-deadline': String(Date.now() - 1) });

    expect(await result).toEqual({ value: true });
    expect(sent.status).toBeUndefined();
  });
});
