import { ConnectionTable, splitPeer } from './connections';
import type { ConnectionStream } from './connections';
import { decodePayload } from './payload';
import type { WirePayload } from './payload';
import { nacosProto, serviceClient } from '@/common/protos';

/** Records what the table writes; the bytes are decoded with the real Payload codec. */
function recordingStream(): { stream: ConnectionStream; written: ReturnType<typeof decodePayload>[] } {
  const deserialize = serviceClient(nacosProto(), 'BiRequestStream').service.requestBiStream.responseDeserialize;
  const written: ReturnType<typeof decodePayload>[] = [];
  const stream = {
    write: (bytes: Buffer) => written.push(decodePayload(deserialize(bytes) as WirePayload)),
  } as unknown as ConnectionStream;
  return { stream, written };
}

describe(ConnectionTable.name, () => {
  describe('idForPeer', () => {
    it('should give the handshake and the stream of one transport the same id, and another transport another', () => {
      const sut = new ConnectionTable(() => 1000);

      const checked = sut.idForPeer('ipv4:127.0.0.1:5000');
      const registered = sut.register('ipv4:127.0.0.1:5000', recordingStream().stream, { clientVersion: 'x' });

      expect(registered.id).toBe(checked);
      expect(checked).toMatch(/^1000_127\.0\.0\.1_5000_/);
      expect(sut.idForPeer('ipv4:127.0.0.1:5001')).not.toBe(checked);
    });

    it('should forget handshake ids that never got a stream after a minute', () => {
      let now = 0;
      const sut = new ConnectionTable(() => now);
      sut.idForPeer('ipv4:10.0.0.1:1');

      now = 61_000;

      expect(sut.sweepUnbound()).toBe(1);
    });
  });

  describe('request', () => {
    it('should resolve with the matching response and fail on timeout or close', async () => {
      const sut = new ConnectionTable();
      const { stream, written } = recordingStream();
      const connection = sut.register('ipv4:127.0.0.1:6000', stream, {});
      const closed: string[] = [];
      sut.on('closed', (_c, reason) => closed.push(reason));

      const answered = sut.request(connection, 'ClientDetectionRequest', '{}', 1000);
      const requestId = written[0].body.requestId;
      sut.settle(connection, {
        type: 'ClientDetectionResponse',
        clientIp: '',
        headers: {},
        body: { requestId, resultCode: 200 },
      });
      const timedOut = sut.request(connection, 'ClientDetectionRequest', '{}', 10);
      await expect(answered).resolves.toEqual(expect.objectContaining({ resultCode: 200 }));
      await expect(timedOut).rejects.toThrow(/no answer/);

      const pending = sut.request(connection, 'NotifySubscriberRequest', '{"x":1}', 1000);
      sut.unregister(connection.id, 'gone');
      await expect(pending).rejects.toThrow(/connection closed: gone/);
      expect(written[2].body).toEqual({ requestId: expect.any(String), x: 1 });
      expect(closed).toEqual(['gone']);
      expect(sut.get(connection.id)).toBeUndefined();
    });
  });
});

describe('post', () => {
  it('should hand the answer to the waiter without a timer, stop after forget, and fail it when the connection goes', () => {
    const sut = new ConnectionTable();
    const { stream, written } = recordingStream();
    const connection = sut.register('ipv4:127.0.0.1:7000', stream, {});
    const events: string[] = [];
    const waiter = (name: string) => ({
      resolve: () => events.push(`${name} answered`),
      reject: (err: Error) => events.push(`${name} failed: ${err.message}`),
    });
    const answer = (requestId: string) =>
      sut.settle(connection, { type: 'X', clientIp: '', headers: {}, body: { requestId, resultCode: 200 } });
    const first = sut.prepare('NotifySubscriberRequest', '{"n":1}');
    const second = sut.prepare('NotifySubscriberRequest', '{"n":2}');
    const third = sut.prepare('NotifySubscriberRequest', '{"n":3}');

    expect(sut.post(connection, first, waiter('first'))).toBeUndefined();
    expect(sut.post(connection, second, waiter('second'))).toBeUndefined();
    expect(sut.post(connection, third, waiter('third'))).toBeUndefined();
    expect(answer(first.requestId)).toBe(true);
    expect(sut.forget(connection, second.requestId)).toBe(true);
    expect(answer(second.requestId)).toBe(false);
    sut.unregister(connection.id, 'gone');

    expect(written.map((each) => each.body.n)).toEqual([1, 2, 3]);
    expect(events).toEqual(['first answered', 'third failed: connection closed: gone']);
    expect(sut.post(connection, first, waiter('late'))).toEqual(new Error('connection is closed'));
  });
});

describe(splitPeer.name, () => {
  it('should split ipv4 and ipv6 peers', () => {
    expect(splitPeer('ipv4:10.1.2.3:4567')).toEqual({ ip: '10.1.2.3', port: '4567' });
    expect(splitPeer('ipv6:[::1]:80')).toEqual({ ip: '::1', port: '80' });
  });
});
