import { DistroRouting } from '../../src/distro/distro-routing';
import { DistroService } from '../../src/distro/distro.service';
import type { TestNode } from '../support/app';
import { clusterUp, startCluster } from '../support/distro-cluster';
import { call } from '../nacos-http/support';

const V1 = '/nacos/v1/ns';
const PASSWORD = 'subscribers-password-1';
/** UDP ports nothing listens on: the pollers' pushes are lost, their subscriptions stay. */
const UDP_PORTS = [47_921, 47_922, 47_923];

interface SubscribersAnswer {
  status: number;
  unansweredHeader: string | null;
  body: { subscribers: Array<{ addrStr: string; serviceName: string }>; count: number; unansweredMembers?: string[] };
}

/**
 * `/nacos/v1/ns/service/subscribers` over a 3-node region: each node holds the subscribers that talk to
 * it, and any node answers for all of them (Nacos's `aggregation=true`), over the authenticated peer
 * channel, with the caller's Nacos credentials; a stopped node is left out and named, never waited for.
 * Nacos 3's `/nacos/v3/admin/ns/service/subscribers` gathers the same way.
 */
describe('service subscribers aggregated over the region (3 in-process nodes, Nacos auth on)', () => {
  let nodes: TestNode[];
  let members: string[];
  let token: string;

  const subscribers = async (node: TestNode, params: Record<string, string>): Promise<SubscribersAnswer> => {
    const query = new URLSearchParams({ serviceName: 'agg-orders', ...params });
    const res = await fetch(`${node.base}${V1}/service/subscribers?${query.toString()}`);
    const text = await res.text();
    return {
      status: res.status,
      unansweredHeader: res.headers.get('x-distro-unanswered-members'),
      body: res.status === 200 ? (JSON.parse(text) as SubscribersAnswer['body']) : (text as never),
    };
  };

  beforeAll(async () => {
    ({ nodes, members } = await startCluster(3, {
      NACOS_AUTH_ENABLED: 'true',
      NACOS_AUTH_USERS: `nacos:${PASSWORD}`,
      NACOS_AUTH_SECRET: 'subscribers-aggregation-secret-0123456789',
    }));
    await clusterUp(nodes);
    const login = await call(nodes[0].base, 'POST', '/nacos/v1/auth/login', { username: 'nacos', password: PASSWORD });
    token = (login.json() as { accessToken: string }).accessToken;
    // One v1 poller per node, each subscribing where it polls (a UDP subscription lives on that node only).
    for (const [i, node] of nodes.entries()) {
      const res = await call(node.base, 'GET', `${V1}/instance/list`, {
        serviceName: i === 2 ? 'agg-orders-v2' : 'agg-orders',
        udpPort: String(UDP_PORTS[i]),
        clientIP: `10.62.0.${i + 1}`,
        accessToken: token,
      });
      expect(res.status).toBe(200);
    }
  });

  afterAll(async () => {
    await Promise.all((nodes ?? []).map((n) => n.close()));
  });

  it("should answer on any node with every node's subscribers, merged and paged after merging", async () => {
    for (const node of nodes) {
      const all = await subscribers(node, { accessToken: token });
      expect(all.status).toBe(200);
      expect(all.unansweredHeader).toBeNull();
      expect(all.body.count).toBe(3);
      expect(all.body.unansweredMembers).toBeUndefined();
      expect(all.body.subscribers.map((s) => `${s.serviceName} ${s.addrStr}`)).toEqual([
        `DEFAULT_GROUP@@agg-orders 10.62.0.1:${UDP_PORTS[0]}`,
        `DEFAULT_GROUP@@agg-orders 10.62.0.2:${UDP_PORTS[1]}`,
        `DEFAULT_GROUP@@agg-orders-v2 10.62.0.3:${UDP_PORTS[2]}`,
      ]);
    }
    const second = await subscribers(nodes[2], { accessToken: token, pageNo: '2', pageSize: '2' });
    expect(second.body).toMatchObject({ count: 3, subscribers: [{ addrStr: `10.62.0.3:${UDP_PORTS[2]}` }] });
  });

  it("should answer with the node's own subscribers alone with aggregation=false", async () => {
    const own = await subscribers(nodes[1], { accessToken: token, aggregation: 'false' });

    expect(own.body.count).toBe(1);
    expect(own.body.subscribers[0].addrStr).toBe(`10.62.0.2:${UDP_PORTS[1]}`);
  });

  it("should answer Nacos 3's admin subscribers of one service over the region too, that service exactly", async () => {
    const query = new URLSearchParams({ serviceName: 'agg-orders', accessToken: token });
    const res = await fetch(`${nodes[2].base}/nacos/v3/admin/ns/service/subscribers?${query.toString()}`);
    const body = (await res.json()) as {
      code: number;
      data: { totalCount: number; pageItems: Array<{ serviceName: string; ip: string; port: number }> };
    };

    expect(res.status).toBe(200);
    expect(body.code).toBe(0);
    // Node 2's own poller watches agg-orders-v2: not this service, so only nodes 0 and 1 hold subscribers of it.
    expect(body.data.totalCount).toBe(2);
    expect(body.data.pageItems.map((s) => `${s.serviceName} ${s.ip}:${s.port}`)).toEqual([
      `agg-orders 10.62.0.1:${UDP_PORTS[0]}`,
      `agg-orders 10.62.0.2:${UDP_PORTS[1]}`,
    ]);
  });

  it('should ask the members with the credentials the caller sent as the accessToken header (Nacos 3 clients)', async () => {
    const headerOnly = { headers: { accessToken: token } };
    const v1 = await fetch(`${nodes[0].base}${V1}/service/subscribers?serviceName=agg-orders`, headerOnly);
    const v3 = await fetch(`${nodes[0].base}/nacos/v3/admin/ns/service/subscribers?serviceName=agg-orders`, headerOnly);

    expect(v1.headers.get('x-distro-unanswered-members')).toBeNull();
    expect(((await v1.json()) as SubscribersAnswer['body']).count).toBe(3);
    expect(((await v3.json()) as { data: { totalCount: number } }).data.totalCount).toBe(2);
  });

  it('should keep the auth rules: refused without credentials, before any member is asked', async () => {
    const refused = await subscribers(nodes[0], {});

    expect(refused.status).toBe(403);
  });

  it('should not wait past the forward deadline for a node that is slow, naming it', async () => {
    // Node 1 stays UP (it answers probes and syncs) but takes 2 s over every request replayed on it.
    const distro: DistroService = nodes[1].app.get(DistroService);
    const service = distro as unknown as { replay: (r: unknown) => Promise<unknown> };
    const replay = service.replay.bind(service);
    service.replay = async (request) => {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      return replay(request);
    };
    try {
      const started = Date.now();
      const partial = await subscribers(nodes[0], { accessToken: token });
      const elapsed = Date.now() - started;

      expect(partial.status).toBe(200);
      expect(partial.body.subscribers.map((s) => s.addrStr)).toEqual([
        `10.62.0.1:${UDP_PORTS[0]}`,
        `10.62.0.3:${UDP_PORTS[2]}`,
      ]);
      expect(partial.body.unansweredMembers).toEqual([members[1]]);
      expect(partial.unansweredHeader).toBe(members[1]);
      // DISTRO_FORWARD_TIMEOUT_MS is 500 ms; the slow node's 2 s are not waited for.
      expect(elapsed).toBeLessThan(1500);
      // A slow answer to a read changes nothing about the member: it stays UP, no stand-in begins.
      expect(
        nodes[0].app
          .get(DistroRouting)
          .members()
          .find((m) => m.id === members[1])?.state,
      ).toBe('UP');
    } finally {
      service.replay = replay;
    }
  });

  it('should answer at once with what it gathered when a node is stopped, naming the node', async () => {
    await nodes[2].close();

    const started = Date.now();
    const partial = await subscribers(nodes[0], { accessToken: token });
    const elapsed = Date.now() - started;

    expect(partial.status).toBe(200);
    expect(partial.body.count).toBe(2);
    expect(partial.body.unansweredMembers).toEqual([members[2]]);
    expect(partial.unansweredHeader).toBe(members[2]);
    // At most the forward deadline (500 ms) for the stopped node, however it fails.
    expect(elapsed).toBeLessThan(1500);
  });
});
