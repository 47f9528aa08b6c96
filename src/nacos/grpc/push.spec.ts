import { Registry, serviceKey } from '@/registry';
import { ConnectionTable } from './connections';
import type { ConnectionStream, NacosConnection } from './connections';
import { decodePayload } from './payload';
import type { WirePayload } from './payload';
import { nacosProto, serviceClient } from '@/common/protos';
import { FAN_OUT_TURN_MS, PushDispatcher } from './push';
import type { GrpcSubscription, PushOptions } from './push';
import { PushTally } from '@/nacos/push-tally';

const deserialize = serviceClient(nacosProto(), 'BiRequestStream').service.requestBiStream.responseDeserialize;
const KEY = serviceKey('public', 'DEFAULT_GROUP', 'orders');

interface Subscriber {
  connection: NacosConnection;
  /** The raw buffers written to this connection, in order. */
  writes: Buffer[];
}

interface Push {
  requestId: string;
  ports: number[];
  clusters: string;
}

function pushOf(bytes: Buffer): Push {
  const { type, body } = decodePayload(deserialize(bytes) as WirePayload);
  expect(type).toBe('NotifySubscriberRequest');
  const info = body.serviceInfo as { hosts: Array<{ port: number }>; clusters: string };
  return { requestId: body.requestId as string, ports: info.hosts.map((h) => h.port), clusters: info.clusters };
}

function setup(options: Partial<PushOptions> = {}) {
  let clock = 0;
  const registry = new Registry();
  const connections = new ConnectionTable();
  const sut = new PushDispatcher(
    registry,
    connections,
    { delayMs: 50, ackTimeoutMs: 1000, maxRetries: 2, ...options },
    () => clock,
  );
  sut.start();
  let peers = 0;
  const subscribe = (clusters: string[] = []): Subscriber => {
    const writes: Buffer[] = [];
    const stream = { write: (bytes: Buffer) => writes.push(bytes) } as unknown as ConnectionStream;
    const connection = connections.register(`ipv4:127.0.0.1:${++peers}`, stream, {});
    const subscription: GrpcSubscription = { connectionId: connection.id, clusters };
    registry.subscribe(KEY, connection.id, subscription);
    return { connection, writes };
  };
  const register = (port: number, clusterName = 'DEFAULT'): void => {
    registry.registerInstance('writer', 'connection', KEY, { ip: '10.0.0.1', port, clusterName });
  };
  const ack = (subscriber: Subscriber, push: Push, resultCode = 200): boolean =>
    connections.settle(subscriber.connection, {
      type: 'NotifySubscriberResponse',
      clientIp: '',
      headers: {},
      body: { requestId: push.requestId, resultCode },
    });
  /** Lets the immediate and timers due within `ms` run, advancing the injected clock too. */
  const elapse = async (ms = 0): Promise<void> => {
    clock += ms;
    await jest.advanceTimersByTimeAsync(ms);
  };
  const advanceClock = (ms: number): void => {
    clock += ms;
  };
  return { sut, registry, connections, subscribe, register, ack, elapse, advanceClock };
}

describe(PushDispatcher.name, () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('should push the first change of a quiet service in the next turn, without waiting for the window', async () => {
    const { register, subscribe, elapse } = setup();
    const subscriber = subscribe();

    register(8080);
    register(8081);
    expect(subscriber.writes).toHaveLength(0);
    await elapse(0);

    expect(subscriber.writes.map(pushOf).map((p) => p.ports)).toEqual([[8080, 8081]]);
  });

  it('should push nothing while the pushEnabled switch is off, and the next change once it is on', async () => {
    let enabled = false;
    const { register, subscribe, elapse } = setup({ enabled: () => enabled });
    const subscriber = subscribe();
    register(8080);
    await elapse(100);
    expect(subscriber.writes).toHaveLength(0);

    enabled = true;
    register(8081);
    await elapse(0);
    expect(subscriber.writes.map(pushOf).map((p) => p.ports)).toEqual([[8080, 8081]]);
  });

  it('should coalesce the changes within the window after a push into one push at its end', async () => {
    const { register, subscribe, elapse } = setup({ delayMs: 50 });
    const subscriber = subscribe();
    register(8080);
    await elapse(0);

    register(8081);
    await elapse(10);
    register(8082);
    await elapse(30);
    expect(subscriber.writes).toHaveLength(1);
    await elapse(10);

    expect(subscriber.writes.map(pushOf).map((p) => p.ports)).toEqual([[8080], [8080, 8081, 8082]]);
  });

  it('should serialize a push once and write the same bytes to every subscriber with the same cluster filter', async () => {
    const { register, subscribe, elapse } = setup();
    const all = [subscribe(), subscribe(), subscribe()];
    const onlyB = subscribe(['B']);

    register(8080, 'A');
    register(9090, 'B');
    await elapse(0);

    expect(all.map((s) => s.writes.length)).toEqual([1, 1, 1]);
    expect(all[1].writes[0]).toBe(all[0].writes[0]);
    expect(all[2].writes[0]).toBe(all[0].writes[0]);
    expect(pushOf(all[0].writes[0]).ports).toEqual([8080, 9090]);
    expect(onlyB.writes[0]).not.toBe(all[0].writes[0]);
    expect(pushOf(onlyB.writes[0])).toEqual(expect.objectContaining({ ports: [9090], clusters: 'B' }));
  });

  it('should count acknowledgements and retry, after the deadline, only the subscribers that stayed silent', async () => {
    const tally = new PushTally();
    const { sut, register, subscribe, ack, elapse } = setup({ ackTimeoutMs: 1000, delayMs: 0, tally });
    const answering = subscribe();
    const silent = subscribe();
    register(8080);
    await elapse(0);
    expect(ack(answering, pushOf(answering.writes[0]))).toBe(true);

    await elapse(999);
    expect(silent.writes).toHaveLength(1);
    await elapse(1);

    expect(answering.writes).toHaveLength(1);
    expect(silent.writes).toHaveLength(2);
    expect(pushOf(silent.writes[1]).requestId).not.toBe(pushOf(silent.writes[0]).requestId);
    expect(sut.stats).toEqual(expect.objectContaining({ sent: 3, acked: 1, failed: 1 }));
    expect(tally.state()).toEqual({ succeed: 2, total: 3, ratio: 2 / 3 });
    // The retry's answer is awaited like the first push's.
    expect(ack(silent, pushOf(silent.writes[1]))).toBe(true);
    expect(ack(silent, pushOf(silent.writes[0]))).toBe(false);
  });

  it('should retry an unacknowledged push with the current state at most maxRetries times', async () => {
    const { sut, registry, register, subscribe, ack, elapse } = setup({
      ackTimeoutMs: 1000,
      maxRetries: 2,
      delayMs: 0,
    });
    const answering = subscribe();
    const silent = subscribe();
    register(8080);
    await elapse(0);
    ack(answering, pushOf(answering.writes[0]));
    // A change the first push missed and that, within the same service, the retry must carry.
    registry.updateInstance('writer', KEY, 'DEFAULT', '10.0.0.1', 8080, { weight: 2 });
    await elapse(0);
    ack(answering, pushOf(answering.writes[1]));
    expect(silent.writes).toHaveLength(2);

    await elapse(1000);
    expect(silent.writes).toHaveLength(3);
    expect(answering.writes).toHaveLength(2);
    await elapse(1000);
    await elapse(1000);

    expect(silent.writes).toHaveLength(4);
    expect(sut.stats).toEqual(expect.objectContaining({ sent: 6, acked: 2, failed: 4 }));
  });

  it('should not retry a push that a newer push of the service replaced, nor to a closed connection', async () => {
    const { sut, register, subscribe, connections, elapse } = setup({ ackTimeoutMs: 1000, delayMs: 0 });
    const silent = subscribe();
    const closing = subscribe();
    register(8080);
    await elapse(0);
    await elapse(500);
    register(8081);
    await elapse(0);
    connections.unregister(closing.connection.id, 'gone');

    await elapse(500);
    expect(silent.writes.map(pushOf).map((p) => p.ports)).toEqual([[8080], [8080, 8081]]);
    await elapse(500);

    expect(silent.writes.map(pushOf).map((p) => p.ports)).toEqual([[8080], [8080, 8081], [8080, 8081]]);
    expect(closing.writes).toHaveLength(2);
    expect(sut.stats.failed).toBe(4);
  });

  it('should retry at once a push the client refused', async () => {
    const { sut, register, subscribe, ack, elapse } = setup({ ackTimeoutMs: 1000, delayMs: 0 });
    const refusing = subscribe();
    register(8080);
    await elapse(0);

    expect(ack(refusing, pushOf(refusing.writes[0]), 500)).toBe(true);
    await elapse(0);

    expect(refusing.writes).toHaveLength(2);
    expect(sut.stats).toEqual(expect.objectContaining({ sent: 2, failed: 1 }));
  });

  it('should yield to the event loop when a fan-out writes longer than one turn', async () => {
    const { sut, register, subscribe, advanceClock } = setup();
    const subscribers = Array.from({ length: 4 }, () => subscribe());
    // Every write takes a whole turn, so each turn writes one.
    for (const each of subscribers) {
      const stream = each.connection.stream as unknown as { write: (bytes: Buffer) => number };
      const write = stream.write;
      stream.write = (bytes) => {
        advanceClock(FAN_OUT_TURN_MS);
        return write(bytes);
      };
    }
    register(8080);

    await jest.advanceTimersToNextTimerAsync();
    const afterFirstTurn = subscribers.filter((s) => s.writes.length > 0).length;
    await jest.advanceTimersToNextTimerAsync(3);

    expect(afterFirstTurn).toBe(1);
    expect(subscribers.every((s) => s.writes.length === 1)).toBe(true);
    expect(sut.stats.sent).toBe(4);
  });
});
