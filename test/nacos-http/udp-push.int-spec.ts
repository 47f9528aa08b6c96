import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { gunzipSync } from 'node:zlib';
import { UdpPushService } from '@/nacos/udp/udp-push.service';
import { Registry, serviceKey } from '@/registry';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { eventually } from '../../tools/support/eventually';
import { call } from './support';

/**
 * Subscribers poll once here: a TTL longer than any test (a burst takes a while on a busy machine) keeps
 * them, and the expiry test moves the sweep's clock past it instead of waiting.
 */
const SUBSCRIBER_TTL_MS = 60_000;

interface Packet {
  gzipped: boolean;
  type: string;
  lastRefTime: number;
  data: { name: string; clusters: string; hosts: Array<{ ip: string; port: number }> };
}

/** A v1 push receiver that records packets and acknowledges them only when told to. */
class FakeSubscriber {
  readonly packets: Packet[] = [];
  ack = true;
  private constructor(readonly socket: Socket) {
    socket.on('message', (message, remote) => {
      const gzipped = message[0] === 0x1f && message[1] === 0x8b;
      const raw = JSON.parse((gzipped ? gunzipSync(message) : message).toString()) as {
        type: string;
        lastRefTime: number;
        data: string;
      };
      this.packets.push({
        gzipped,
        type: raw.type,
        lastRefTime: raw.lastRefTime,
        data: JSON.parse(raw.data) as Packet['data'],
      });
      if (this.ack)
        socket.send(
          JSON.stringify({ type: 'push-ack', lastRefTime: raw.lastRefTime, data: '' }),
          remote.port,
          remote.address,
        );
    });
  }

  static async open(): Promise<FakeSubscriber> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new FakeSubscriber(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  close(): void {
    this.socket.close();
  }
}

describe('UDP push to v1 subscribers', () => {
  let node: TestNode;
  const subscribers: FakeSubscriber[] = [];

  async function subscribe(serviceName: string, extra: Record<string, string> = {}): Promise<FakeSubscriber> {
    const sut = await FakeSubscriber.open();
    subscribers.push(sut);
    const res = await call(node.base, 'GET', '/nacos/v1/ns/instance/list', {
      serviceName,
      udpPort: String(sut.port),
      clientIP: '127.0.0.1',
      ...extra,
    });
    expect(res.status).toBe(200);
    return sut;
  }

  /** What nacos_udp_push_total says for one result (sent, retried, acked, failed) on the node. */
  async function pushes(result: string): Promise<number> {
    const text = await (await fetch(`${node.base}/metrics`)).text();
    return Number(new RegExp(`^nacos_udp_push_total\\{result="${result}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  }

  const register = (serviceName: string, ip: string, port = 80, extra: Record<string, string> = {}) =>
    call(node.base, 'POST', '/nacos/v1/ns/instance', { serviceName, ip, port: String(port), ...extra });

  beforeAll(async () => {
    node = await startTestNode({
      DATA_DIR: 'memory',
      NACOS_UDP_PUSH_DELAY_MS: '300',
      NACOS_UDP_PUSH_RETRIES: '2',
      NACOS_UDP_SUBSCRIBER_TTL_MS: String(SUBSCRIBER_TTL_MS),
    });
  });

  afterAll(async () => {
    for (const each of subscribers) each.close();
    await node?.close();
  });

  it('should push a dom packet with the changed ServiceInfo', async () => {
    const sut = await subscribe('DEFAULT_GROUP@@dom');
    await register('dom', '10.0.0.1');
    const packet = await eventually(() => sut.packets[0] ?? false, { timeoutMs: 3000, what: 'a push' });
    expect(packet).toMatchObject({ type: 'dom', gzipped: false });
    expect(packet.data).toMatchObject({
      name: 'DEFAULT_GROUP@@dom',
      clusters: '',
      hosts: [{ ip: '10.0.0.1', port: 80 }],
    });
  });

  it('should coalesce a burst of 1,000 registrations into a handful of packets, gzipped when large', async () => {
    const sut = await subscribe('burst');
    const ports = Array.from({ length: 1000 }, (_, i) => 1000 + i);
    const workers = Array.from({ length: 20 }, async (_, w) => {
      for (let i = w; i < ports.length; i += 20)
        expect((await register('burst', '10.1.0.1', ports[i])).status).toBe(200);
    });
    await Promise.all(workers);
    const last = await eventually(
      () => {
        const largest = Math.max(0, ...sut.packets.map((packet) => packet.data.hosts.length));
        if (largest < 1000) throw new Error(`${sut.packets.length} packets, the largest with ${largest} instances`);
        return sut.packets.find((packet) => packet.data.hosts.length === 1000)!;
      },
      {
        timeoutMs: 30_000,
        what: 'a push with all 1,000 instances',
      },
    );
    expect(last.gzipped).toBe(true);
    // 1,000 changes: at most one packet per 300 ms window, however slow the machine makes the burst.
    expect(sut.packets.length).toBeLessThanOrEqual(50);
  });

  it('should resend an unacknowledged push a few times, then give up', async () => {
    const sut = await subscribe('unacked');
    sut.ack = false;
    const failedBefore = await pushes('failed');
    await register('unacked', '10.2.0.1');
    // The node counts the push as failed when it gives up, after its last resend: nothing more can come.
    await eventually(async () => (await pushes('failed')) > failedBefore, { what: 'the node to give up' });
    expect(sut.packets).toHaveLength(3);
    expect(new Set(sut.packets.map((packet) => packet.lastRefTime)).size).toBe(1);
  });

  it('should not resend an acknowledged push', async () => {
    const sut = await subscribe('acked');
    const ackedBefore = await pushes('acked');
    await register('acked', '10.3.0.1');
    await eventually(() => sut.packets[0] ?? false, { timeoutMs: 3000, what: 'a push' });
    // Once the node has taken the ack it holds no resend for this push (the unacked case shows one would come).
    await eventually(async () => (await pushes('acked')) > ackedBefore, { what: 'the node to take the ack' });
    expect(sut.packets).toHaveLength(1);
  });

  it('should push only the clusters the subscriber asked for', async () => {
    const sut = await subscribe('clustered', { clusters: 'EAST' });
    await register('clustered', '10.4.0.1', 80, { clusterName: 'WEST' });
    await register('clustered', '10.4.0.2', 80, { clusterName: 'EAST' });
    const packet = await eventually(() => sut.packets.find((each) => each.data.hosts.length > 0) ?? false, {
      timeoutMs: 3000,
      what: 'a push',
    });
    expect(packet.data.clusters).toBe('EAST');
    expect(packet.data.hosts.map((host) => host.ip)).toEqual(['10.4.0.2']);
  });

  it('should stop pushing to a subscriber that stopped polling', async () => {
    const silent = await subscribe('expiring');
    const expiring = serviceKey('public', 'DEFAULT_GROUP', 'expiring');
    expect(node.app.get(Registry).subscribers(expiring).size).toBe(1);
    // The sweep as it runs once the subscriber has been silent past NACOS_UDP_SUBSCRIBER_TTL_MS: its clock is
    // a parameter, so the test moves it instead of waiting.
    node.app.get(UdpPushService).expireSubscribers(Date.now() + SUBSCRIBER_TTL_MS + 1);
    expect(node.app.get(Registry).subscribers(expiring).size).toBe(0);
    const polling = await subscribe('expiring');
    await register('expiring', '10.5.0.1');
    await eventually(() => polling.packets[0] ?? false, {
      timeoutMs: 3000,
      what: 'a push to the subscriber that polls',
    });
    expect(silent.packets).toHaveLength(0);
  });
});
