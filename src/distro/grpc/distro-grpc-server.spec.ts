import { connect } from 'node:http2';
import { Client, Metadata, credentials, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import type { DistroPeerHandler } from './distro-grpc-server';
import { DistroGrpcServer } from './distro-grpc-server';
import { FORWARD_DEADLINE_HEADER } from '@/routing/cluster-routing';
import type { ForwardedHttpRequest } from '@/routing/cluster-routing';
import { FLOW_CONTROL_WINDOW, distroMethods } from './distro-proto';

const TOKEN = 'distro-token-0123456789';
/** Bytes protobuf cannot decode (a tag with wire type 7). */
const UNDECODABLE = Buffer.from([0xff, 0xff, 0xff, 0x0f]);

/** A handler that fails the test if any call reaches it. */
const unreachable = (): never => {
  throw new Error('the handler must not be reached');
};
const handler: DistroPeerHandler = {
  self: '127.0.0.1:1',
  initialized: () => true,
  isMember: () => true,
  knowsType: () => true,
  sync: unreachable,
  verifyBuckets: unreachable,
  verifyEntries: unreachable,
  snapshot: unreachable,
  forward: unreachable,
};

/** A grpc-js client with an identity serializer: `bytes` go out as they are. */
function rawCall(port: number, method: string, bytes: Buffer, token: string | undefined): Promise<ServiceError | 'ok'> {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  const metadata = new Metadata();
  if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
  const path = `/distro.v2.DistroPeer/${method}`;
  const identity = (b: Buffer): Buffer => b;
  return new Promise((resolve) => {
    const done = (result: ServiceError | 'ok'): void => {
      client.close();
      resolve(result);
    };
    if (method === 'Snapshot') {
      const call = client.makeServerStreamRequest(path, identity, identity, bytes, metadata);
      call.on('data', () => undefined);
      call.on('error', (err: ServiceError) => done(err));
      call.on('end', () => done('ok'));
    } else {
      client.makeUnaryRequest(path, identity, identity, bytes, metadata, (err) => done(err ?? 'ok'));
    }
  });
}

describe(DistroGrpcServer.name, () => {
  let sut: DistroGrpcServer;
  let port: number;
  const refused: string[] = [];

  beforeAll(async () => {
    sut = new DistroGrpcServer(handler, TOKEN, { debug: () => undefined, warn: () => undefined });
    sut.onRefused = (reason) => refused.push(reason);
    port = await sut.start('127.0.0.1', 0);
  });

  afterAll(async () => {
    await sut.stop();
  });

  describe('undecodable bytes (issue 16)', () => {
    it.each(['Sync', 'Verify', 'Probe', 'Forward', 'Snapshot'])(
      '%s: should answer UNAUTHENTICATED before decoding without the token, INVALID_ARGUMENT with it',
      async (method) => {
        refused.length = 0;
        const anonymous = await rawCall(port, method, UNDECODABLE, undefined);
        const wrong = await rawCall(port, method, UNDECODABLE, 'not-the-token-0123456789');
        const authorized = await rawCall(port, method, UNDECODABLE, TOKEN);

        expect(anonymous).toEqual(expect.objectContaining({ code: status.UNAUTHENTICATED }));
        expect(wrong).toEqual(expect.objectContaining({ code: status.UNAUTHENTICATED }));
        expect(authorized).toEqual(expect.objectContaining({ code: status.INVALID_ARGUMENT }));
        expect(refused).toEqual(['unauthenticated', 'unauthenticated', 'invalid payload']);
      },
    );
  });

  describe('flow control', () => {
    it('should let a peer send FLOW_CONTROL_WINDOW bytes, per call and per connection, before waiting for a window update', async () => {
      const session = connect(`http://127.0.0.1:${port}`);
      try {
        // The server's SETTINGS carry the per-call window; its WINDOW_UPDATE on the connection follows.
        await new Promise((resolve) => session.once('remoteSettings', resolve));
        const deadline = Date.now() + 5000;
        while ((session.state.remoteWindowSize ?? 0) < FLOW_CONTROL_WINDOW && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }

        expect(FLOW_CONTROL_WINDOW).toBeGreaterThan(65_535);
        expect(session.remoteSettings.initialWindowSize).toBe(FLOW_CONTROL_WINDOW);
        expect(session.state.remoteWindowSize).toBe(FLOW_CONTROL_WINDOW);
      } finally {
        session.close();
      }
    });
  });

  it("should hand a forward's deadline on to the write, to be checked again right before it is applied", async () => {
    const received: ForwardedHttpRequest[] = [];
    const forwarding = new DistroGrpcServer(
      {
        ...handler,
        forward: (request) => {
          received.push(request);
          return Promise.resolve({ status: 200, headers: {}, body: 'ok' });
        },
      },
      TOKEN,
      { debug: () => undefined, warn: () => undefined },
    );
    const forwardingPort = await forwarding.start('127.0.0.1', 0);
    try {
      const deadlineMs = Date.now() + 60_000;
      const bytes = distroMethods.Forward.requestSerialize({
        from: '127.0.0.1:2',
        method: 'POST',
        url: '/nacos/v1/ns/instance',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.from('serviceName=s&ip=10.0.0.1&port=80'),
        deadlineMs,
      });

      expect(await rawCall(forwardingPort, 'Forward', bytes, TOKEN)).toBe('ok');

      expect(received[0]?.headers).toEqual({
        'content-type': 'application/x-www-form-urlencoded',
        [FORWARD_DEADLINE_HEADER]: String(deadlineMs),
      });
    } finally {
      await forwarding.stop();
    }
  });
});
