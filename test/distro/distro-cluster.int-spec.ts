import { Client, Metadata, Server, ServerCredentials, credentials, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { DistroRouting } from '../../src/distro/distro-routing';
import { CLIENT_DATA_TYPE } from '../../src/distro/distro-types';
import { distroMethods } from '../../src/distro/grpc/distro-proto';
import { DistroGrpcClient } from '../../src/distro/grpc/distro-grpc-client';
import { encodeClientData } from '../../src/distro/naming/client-data-codec';
import { ipPortClientId, versionAt } from '../../src/registry';
import type { ClientSyncData, ServiceKey } from '../../src/registry';
import type { TestNode } from '../support/app';
import { eventually } from '../../tools/support/eventually';
import {
  DISTRO_TEST_TOKEN,
  distroLogs,
  logged,
  registryDigest,
  registryOf,
  startCluster,
} from '../support/distro-cluster';

const orders: ServiceKey = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'orders' };

function routingOf(node: TestNode): DistroRouting {
  return node.app.get(DistroRouting);
}

/** The node responsible for `ip:port`, as every node's mapper agrees. */
function responsibleFor(nodes: TestNode[], ip: string, port: number): TestNode {
  const node = nodes.find((n) => routingOf(n).responsibleMember(`${ip}:${port}`) === undefined);
  if (!node) throw new Error('no responsible node');
  return node;
}

function ipsOn(node: TestNode, key: ServiceKey = orders): string[] {
  return registryOf(node)
    .listInstances(key)
    .map((i) => `${i.ip}:${i.port}`)
    .sort();
}

function peerClient(self: string, token: string): DistroGrpcClient {
  return new DistroGrpcClient({
    self,
    type: CLIENT_DATA_TYPE,
    token,
    callTimeoutMs: 3000,
    probeTimeoutMs: 1000,
    snapshotTimeoutMs: 3000,
  });
}

function rawCall(
  target: string,
  path: string,
  payload: Buffer,
  token = DISTRO_TEST_TOKEN,
): Promise<ServiceError | undefined> {
  const client = new Client(target, credentials.createInsecure());
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      payload,
      metadata,
      { deadline: Date.now() + 3000 },
      (error) => {
        client.close();
        resolve(error ?? undefined);
      },
    );
  });
}

describe('Distro cluster (3 in-process nodes)', () => {
  let nodes: TestNode[];
  let members: string[];

  beforeAll(async () => {
    ({ nodes, members } = await startCluster(3));
    await eventually(() => nodes.every((n) => routingOf(n).initialized()), { timeoutMs: 15000 });
    await eventually(
      () =>
        nodes.every((n) =>
          routingOf(n)
            .runtime!.members.peers()
            .every((p) => p.state === 'UP'),
        ),
      { timeoutMs: 10000 },
    );
  });

  afterAll(async () => {
    await Promise.all((nodes ?? []).map((n) => n.close()));
  });

  describe('sync', () => {
    it('should show an instance registered on its responsible node on every node within 1 s', async () => {
      const owner = responsibleFor(nodes, '10.1.0.1', 8080);
      const started = Date.now();
      registryOf(owner).registerInstance(ipPortClientId('10.1.0.1', 8080), 'ipport', orders, {
        ip: '10.1.0.1',
        port: 8080,
      });

      await eventually(() => nodes.every((n) => ipsOn(n).includes('10.1.0.1:8080')), {
        timeoutMs: 1000,
        intervalMs: 5,
      });
      expect(Date.now() - started).toBeLessThan(1000);
      const receivers = nodes.filter((n) => n !== owner);
      await eventually(() =>
        receivers.every((n) =>
          logged(
            nodes,
            routingOf(n).selfId(),
            `Received distro client sync data ${ipPortClientId('10.1.0.1', 8080)}, revision=`,
          ),
        ),
      );
    });

    it('should remove a deregistered instance from every node', async () => {
      const owner = responsibleFor(nodes, '10.1.0.2', 8080);
      const clientId = ipPortClientId('10.1.0.2', 8080);
      registryOf(owner).registerInstance(clientId, 'ipport', orders, { ip: '10.1.0.2', port: 8080 });
      await eventually(() => nodes.every((n) => ipsOn(n).includes('10.1.0.2:8080')), { timeoutMs: 2000 });

      registryOf(owner).deregisterInstance(clientId, orders, 'DEFAULT', '10.1.0.2', 8080);

      await eventually(() => nodes.every((n) => !ipsOn(n).includes('10.1.0.2:8080')), { timeoutMs: 2000 });
    });

    it('should replicate a connection client from the node holding it, with that node as owner', async () => {
      const holder = nodes[1];
      registryOf(holder).registerInstance(
        'conn-1',
        'connection',
        orders,
        { ip: '10.2.0.1', port: 9000 },
        { owner: routingOf(holder).selfId() },
      );

      await eventually(() => nodes.every((n) => ipsOn(n).includes('10.2.0.1:9000')), { timeoutMs: 2000 });
      expect(registryOf(nodes[0]).getClient('conn-1')).toMatchObject({
        local: false,
        owner: routingOf(holder).selfId(),
      });
    });

    it('should coalesce many registrations into few sync calls', async () => {
      const holder = nodes[2];
      for (let i = 0; i < 200; i++) {
        registryOf(holder).registerInstance(
          `bulk-${i}`,
          'connection',
          orders,
          { ip: '10.3.0.1', port: 1000 + i },
          { owner: routingOf(holder).selfId() },
        );
      }
      await eventually(() => nodes.every((n) => ipsOn(n).filter((a) => a.startsWith('10.3.0.1:')).length === 200), {
        timeoutMs: 3000,
      });
      const metrics = await (await fetch(`${holder.base}/metrics`)).text();
      const calls = [...metrics.matchAll(/^distro_sync_rpcs_total\{peer="[^"]+",result="ok"\} (\d+)/gm)].map((m) =>
        Number(m[1]),
      );
      // 200 clients to 2 peers plus the earlier tests: a handful of calls per peer, not 200.
      expect(Math.max(...calls)).toBeLessThan(40);
    });
  });

  describe('convergence', () => {
    it('should give every node the same registry content', async () => {
      await eventually(() => new Set(nodes.map((n) => registryDigest(registryOf(n)))).size === 1, { timeoutMs: 5000 });
      expect(registryDigest(registryOf(nodes[0]))).toContain('10.1.0.1:8080');
    });
  });

  describe('security', () => {
    it('should reject a call with a wrong token, log the peer address and change nothing', async () => {
      const target = nodes[0];
      const before = registryDigest(registryOf(target));
      const intruder = peerClient(members[1], 'not-the-right-token-at-all');
      const version = versionAt(Date.now());
      const data: ClientSyncData = {
        clientId: 'evil',
        kind: 'connection',
        revision: version,
        owner: members[1],
        metaVersion: version,
        metaWriter: members[1],
        publications: [
          {
            namespace: 'public',
            group: 'DEFAULT_GROUP',
            service: 'orders',
            instance: { ip: '6.6.6.6', port: 66 },
            version,
            writer: members[1],
          },
        ],
      };

      await expect(intruder.sync(members[0], [encodeClientData(data)])).rejects.toMatchObject({
        reason: 'unauthenticated',
      });
      intruder.close();

      expect(registryDigest(registryOf(target))).toBe(before);
      const line = distroLogs(nodes, members[0]).find((l) => String(l.msg).includes('UNAUTHENTICATED'));
      expect(line?.peer).toMatch(/127\.0\.0\.1:\d+/);
      expect(JSON.stringify(nodes.flatMap((n) => n.logs))).not.toContain('not-the-right-token-at-all');
    });

    it("should merge any member's copy by version: an older one changes nothing, a newer one wins on every node it reaches", async () => {
      const target = nodes[0];
      const key: ServiceKey = { ...orders, name: 'merge' };
      const ip = '10.77.0.1';
      // Written on the responsible node: the newest write so far.
      const owner = responsibleFor(nodes, ip, 80);
      registryOf(owner).registerInstance(ipPortClientId(ip, 80), 'ipport', key, {
        ip,
        port: 80,
        metadata: { v: 'current' },
      });
      await eventually(() =>
        nodes.every((n) => registryOf(n).getInstance(key, 'DEFAULT', ip, 80)?.metadata.v === 'current'),
      );
      const current = registryOf(target).exportClient(ipPortClientId(ip, 80))!;
      const copy = (v: string, version: number, writer: string): ClientSyncData => ({
        clientId: ipPortClientId(ip, 80),
        kind: 'ipport',
        revision: version,
        publications: [
          {
            namespace: 'public',
            group: 'DEFAULT_GROUP',
            service: 'merge',
            instance: { ip, port: 80, metadata: { v } },
            version,
            writer,
          },
        ],
      });
      // Any member may send it (a stand-in, a restarted node): nothing is refused, versions decide.
      const sender = members.find((m) => m !== members[0])!;
      const peer = peerClient(sender, DISTRO_TEST_TOKEN);

      const stale = await peer.sync(members[0], [encodeClientData(copy('stale', current.revision - 1, sender))]);
      expect(stale.applied).toBe(0);
      expect(registryOf(target).getInstance(key, 'DEFAULT', ip, 80)?.metadata.v).toBe('current');

      const newer = await peer.sync(members[0], [encodeClientData(copy('newer', current.revision + 2048, sender))]);
      peer.close();
      expect(newer.applied).toBe(1);
      expect(registryOf(target).getInstance(key, 'DEFAULT', ip, 80)?.metadata.v).toBe('newer');
      // The other nodes get it from the sender's own sync, or the next verify round: here, verify.
      await Promise.all(nodes.map((n) => routingOf(n).runtime!.engine.verifyRound()));
      await eventually(() =>
        nodes.every((n) => registryOf(n).getInstance(key, 'DEFAULT', ip, 80)?.metadata.v === 'newer'),
      );
    });

    it('should refuse a forwarded write that arrives after its sender gave up, and apply it in time', async () => {
      const target = nodes[0];
      const forward = (deadlineMs: number, ip: string) =>
        distroMethods.Forward.requestSerialize({
          from: members[1],
          method: 'POST',
          url: '/nacos/v1/ns/instance',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: Buffer.from(`serviceName=late&ip=${ip}&port=80`),
          deadlineMs,
        });
      const late: ServiceKey = { ...orders, name: 'late' };

      const refused = await rawCall(members[0], '/distro.v2.DistroPeer/Forward', forward(Date.now() - 1, '10.88.0.1'));
      expect(refused?.code).toBe(status.DEADLINE_EXCEEDED);
      expect(registryOf(target).listInstances(late)).toEqual([]);

      const deadline = Date.now() + 2000;
      const taken = await rawCall(members[0], '/distro.v2.DistroPeer/Forward', forward(deadline, '10.88.0.2'));
      expect(taken).toBeUndefined();
      expect(
        registryOf(target)
          .listInstances(late)
          .map((i) => i.ip),
      ).toEqual(['10.88.0.2']);
      // Stamped before the sender's deadline, so older than anything it stamps once it stops waiting.
      const [stamped] = registryOf(target).exportClient('10.88.0.2:80#true')?.publications ?? [];
      expect(stamped?.version).toBeLessThan(versionAt(deadline + 1));
    });

    it('should report a peer that does not serve this Distro protocol version as incompatible, and refuse a v1 call', async () => {
      const old = new Server();
      const port = await new Promise<number>((resolve, reject) =>
        old.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
      );
      const client = peerClient(members[0], DISTRO_TEST_TOKEN);
      try {
        await expect(client.probe(`127.0.0.1:${port}`)).rejects.toMatchObject({
          reason: 'incompatible',
          message: expect.stringContaining('does not serve distro.v2.DistroPeer'),
        });
      } finally {
        client.close();
        old.forceShutdown();
      }
      // A v1 node calling us: nothing on that path, so nothing is applied.
      const v1 = await rawCall(members[0], '/distro.v1.DistroPeer/Sync', Buffer.alloc(0));
      expect(v1?.code).toBe(status.UNIMPLEMENTED);
    });

    it('should answer fuzzed payloads with INVALID_ARGUMENT and stay up unchanged', async () => {
      const target = nodes[0];
      const before = registryDigest(registryOf(target));
      let seed = 42;
      const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
      const codes = new Set<status>();
      for (let i = 0; i < 30; i++) {
        const payload = Buffer.from(
          Array.from({ length: 1 + Math.floor(random() * 200) }, () => Math.floor(random() * 256)),
        );
        for (const method of ['Sync', 'Verify']) {
          const error = await rawCall(members[0], `/distro.v2.DistroPeer/${method}`, payload);
          codes.add(error?.code ?? status.OK);
        }
      }
      // Garbage either fails to decode (INVALID_ARGUMENT) or names no member (PERMISSION_DENIED); never applied.
      expect([...codes].every((c) => c === status.INVALID_ARGUMENT || c === status.PERMISSION_DENIED)).toBe(true);
      expect(codes.has(status.INVALID_ARGUMENT)).toBe(true);
      expect(registryDigest(registryOf(target))).toBe(before);
      expect((await fetch(`${target.base}/health/ready`)).status).toBe(200);
    });
  });

  describe('GET /api/v1/distro', () => {
    it('should show members with state, queue depth and the client counts', async () => {
      const response = await fetch(`${nodes[0].base}/api/v1/distro`);
      const body = (await response.json()) as Record<string, unknown> & { members: Array<Record<string, unknown>> };

      expect(response.status).toBe(200);
      expect(body).toMatchObject({ clustered: true, self: members[0], initialized: true });
      expect(body.members.map((m) => m.id)).toEqual([members[1], members[2]].sort());
      expect(body.members[0]).toMatchObject({ state: 'UP', queueDepth: 0 });
      expect(typeof body.members[0].lastContact).toBe('string');
      expect((body.ownedClients as number) + (body.replicatedClients as number)).toBe(
        registryOf(nodes[0]).counts().clients,
      );
    });

    it('should expose the Distro metrics', async () => {
      const text = await (await fetch(`${nodes[2].base}/metrics`)).text();

      expect(text).toContain('distro_members{state="UP"} 2');
      expect(text).toMatch(/distro_seconds_since_last_sync\{peer="127\.0\.0\.1:\d+"\}/);
      expect(text).toContain('distro_verify_rpcs_total');
    });
  });
});
