import { join } from 'node:path';
import { eventually } from '../../tools/support/eventually';
import { spawnNode } from '../support/node-process';
import type { NodeProcess } from '../support/node-process';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';
import { K8S } from './deploy-tree';
import { kustomize } from './kustomize';
import { RenderedRegion } from './rendered-region';
import { TestDnsServer } from './test-dns-server';

/** Loopback addresses standing in for the pod IPs the headless Service would list. */
const POD_IPS = ['127.0.0.11', '127.0.0.12', '127.0.0.13'];
const SECRETS = {
  DISTRO_TOKEN: 'distro-token-0123456789',
  ADMIN_TOKEN: 'admin-token-0123456789',
  SECRET_KEY: 'secret-key-0123456789abcdef0123456789abcdef',
};

interface DistroStatus {
  self: string;
  initialized: boolean;
  members: Array<{ id: string; state: string }>;
}

/**
 * The pods of the region-a overlay, as processes: the environment the StatefulSet gives each pod
 * (its ConfigMap and Secret keys), each process on its own loopback address as a pod has its own
 * IP, and the headless Service's DNS answer served by a test DNS server listing those addresses.
 */
describe('three pods configured as the StatefulSet configures them', () => {
  const region = new RenderedRegion(kustomize(join(K8S, 'overlays', 'region-a')));
  const podEnv = region.plainEnv(region.app);
  const httpPort = Number(podEnv.HTTP_PORT);
  let db: TestDatabase;
  let dns: TestDnsServer;
  const pods: NodeProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    dns = await TestDnsServer.start({ [podEnv.DISTRO_MEMBERS_DNS]: POD_IPS });
    for (const ip of POD_IPS) {
      pods.push(
        spawnNode({
          ...podEnv,
          ...SECRETS,
          DATABASE_URL: db.url,
          // What differs from a pod: the address it binds (a pod binds 0.0.0.0 on its own IP) and
          // the DNS server answering the headless Service's name.
          HOST: ip,
          DISTRO_DNS_SERVER: dns.address,
        }),
      );
    }
    await Promise.all(pods.map((pod) => pod.ready));
  });

  afterAll(async () => {
    for (const pod of pods) pod.kill('SIGKILL');
    await Promise.all(pods.map((pod) => pod.exited));
    await dns?.stop();
    await db?.drop();
  });

  it('should discover each other through the headless Service name and form one cluster', async () => {
    const expected = POD_IPS.map((ip) => `${ip}:${podEnv.DISTRO_PORT}`).sort();
    for (const ip of POD_IPS) {
      const status = await eventually(
        async () => {
          const res = await fetch(`http://${ip}:${httpPort}/api/v1/distro`, {
            headers: { authorization: `Bearer ${SECRETS.ADMIN_TOKEN}` },
          });
          const body = (await res.json()) as DistroStatus;
          const up = body.members.filter((m) => m.state === 'UP' && m.id !== body.self).length;
          return body.initialized && up === 2 && body;
        },
        { timeoutMs: 60000, intervalMs: 250, what: `${ip} seeing both peers UP` },
      );
      expect(status.self).toBe(`${ip}:${podEnv.DISTRO_PORT}`);
      expect(
        [status.self, ...status.members.map((m) => m.id)].filter((id, i, all) => all.indexOf(id) === i).sort(),
      ).toEqual(expected);
    }
    expect(dns.queries).toContain(podEnv.DISTRO_MEMBERS_DNS.toLowerCase());
  });

  it('should report ready on the readiness probe path', async () => {
    const path = region.app.readinessProbe!.httpGet!.path!;
    for (const ip of POD_IPS) {
      await eventually(async () => (await fetch(`http://${ip}:${httpPort}${path}`)).status === 200, {
        timeoutMs: 30000,
        intervalMs: 250,
        what: `${ip} ready`,
      });
    }
  });

  it('should replicate an instance registered on one pod to the others', async () => {
    const service = `deploy-check-${Date.now()}`;
    const register = await fetch(
      `http://${POD_IPS[0]}:${httpPort}/nacos/v1/ns/instance?serviceName=${service}&ip=10.1.2.3&port=8080&ephemeral=true`,
      { method: 'POST' },
    );
    expect(register.status).toBe(200);
    for (const ip of POD_IPS.slice(1)) {
      await eventually(
        async () => {
          const res = await fetch(`http://${ip}:${httpPort}/nacos/v1/ns/instance/list?serviceName=${service}`);
          const body = (await res.json()) as { hosts?: Array<{ ip: string; port: number }> };
          return body.hosts?.some((h) => h.ip === '10.1.2.3' && h.port === 8080) === true;
        },
        { timeoutMs: 20000, intervalMs: 250, what: `${service} visible on ${ip}` },
      );
    }
  });
});
