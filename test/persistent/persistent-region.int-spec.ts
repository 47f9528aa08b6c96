import { Client } from 'pg';
import { freePorts } from '../../tools/support/free-ports';
import { versionAt } from '../../src/registry';
import { eventually } from '../../tools/support/eventually';
import { DistroRouting } from '../../src/distro/distro-routing';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { distroEnv } from '../support/distro-cluster';
import { TcpProxy } from '../support/tcp-proxy';
import { NacosClients, call, listHosts } from '../nacos-http/support';
import { sharedDatabase } from './region-database';
import type { SharedDatabase } from './region-database';

const V1 = '/nacos/v1/ns';

/** What a node lists for a service: `ip:port w=<weight> h=<healthy> <metadata>`, sorted. */
async function listed(node: TestNode, serviceName: string): Promise<string[]> {
  const hosts = await listHosts(node.base, serviceName);
  return hosts
    .map((h) => `${h.ip}:${h.port} w=${h.weight} h=${h.healthy} e=${h.ephemeral} ${JSON.stringify(h.metadata)}`)
    .sort();
}

/** A region of three in-process nodes on one database, restarted all at once (every node killed). */
describe('persistent instances in a region of three nodes', () => {
  let db: SharedDatabase;
  let ports: number[];
  let members: string[];
  let nodes: TestNode[] = [];
  let clients: NacosClients | undefined;

  const env = (port: number) =>
    distroEnv(port, members, {
      DATABASE_URL: db.url,
      DATABASE_POOL_SIZE: '3',
      NACOS_PERSISTENT_RELOAD_MS: '300',
      LOG_LEVEL: 'warn',
    });

  /** Starts the three nodes (the first alone: it migrates), and waits until each serves Nacos calls. */
  const startRegion = async (): Promise<void> => {
    nodes = [];
    for (const port of ports) nodes.push(await startTestNode(env(port)));
    await eventually(() => nodes.every((n) => n.app.get(DistroRouting).initialized()), { timeoutMs: 20000 });
  };

  const stopRegion = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.close()));
    nodes = [];
  };

  const v1 = (node: TestNode, method: string, path: string, params: Record<string, string>) =>
    call(node.base, method, `${V1}${path}`, params, { form: true });

  beforeAll(async () => {
    db = await sharedDatabase();
    ports = await freePorts(3);
    members = ports.map((p) => `127.0.0.1:${p}`);
    await startRegion();
  });

  afterAll(async () => {
    clients?.stop();
    await stopRegion();
    await db?.drop();
  });

  it('should keep registered, updated and deregistered instances through a restart of every node', async () => {
    const [a, b, c] = nodes;
    for (const [node, ip] of [
      [a, '10.77.0.1'],
      [b, '10.77.0.2'],
      [c, '10.77.0.3'],
    ] as const) {
      const res = await v1(node, 'POST', '/instance', {
        serviceName: 'durable',
        ip,
        port: '8080',
        ephemeral: 'false',
        weight: '2',
        metadata: '{"zone":"a"}',
      });
      expect([res.status, res.text]).toEqual([200, 'ok']);
    }
    // The real npm client registers one too (ephemeral false: it sends no beats).
    clients = NacosClients.start();
    await clients.create('app', a.base);
    await clients.registerInstance('app', 'durable', { ip: '10.77.0.4', port: 8080, ephemeral: false });
    // A write is on the node that took it at once and on the others when Distro brings it there (milliseconds,
    // longer on a loaded machine); an update through another node finds it only then (docs/nacos-http.md).
    await eventually(
      async () => (await Promise.all(nodes.map((node) => listed(node, 'durable')))).every((l) => l.length === 4),
      { timeoutMs: 20000, what: 'every node to list the four persistent instances' },
    );
    expect(
      (
        await v1(c, 'PUT', '/instance', {
          serviceName: 'durable',
          ip: '10.77.0.2',
          port: '8080',
          ephemeral: 'false',
          weight: '7',
        })
      ).text,
    ).toBe('ok');
    expect(
      (
        await v1(b, 'DELETE', '/instance', {
          serviceName: 'durable',
          ip: '10.77.0.3',
          port: '8080',
          ephemeral: 'false',
        })
      ).text,
    ).toBe('ok');
    const expected = [
      '10.77.0.1:8080 w=2 h=true e=false {"zone":"a"}',
      '10.77.0.2:8080 w=7 h=true e=false {"zone":"a"}',
      '10.77.0.4:8080 w=1 h=true e=false {}',
    ];
    await eventually(async () => {
      for (const node of nodes) expect(await listed(node, 'durable')).toEqual(expected);
    });

    await clients.close('app');
    await stopRegion();
    await startRegion();

    for (const node of nodes) expect(await listed(node, 'durable')).toEqual(expected);
  });

  it('should not bring back an instance deregistered before a restart, nor lose the others', async () => {
    const [a, b] = nodes;
    await v1(a, 'POST', '/instance', { serviceName: 'gone', ip: '10.77.1.1', port: '80', ephemeral: 'false' });
    await v1(b, 'POST', '/instance', { serviceName: 'gone', ip: '10.77.1.2', port: '80', ephemeral: 'false' });
    // Deregistered through a node that is not the first writer: the tombstone is newer on every node and in the database.
    const res = await v1(b, 'DELETE', '/instance', {
      serviceName: 'gone',
      ip: '10.77.1.1',
      port: '80',
      ephemeral: 'false',
    });
    expect([res.status, res.text]).toEqual([200, 'ok']);
    await eventually(async () => {
      for (const node of nodes)
        expect((await listed(node, 'gone')).map((h) => h.split(' ')[0])).toEqual(['10.77.1.2:80']);
    });

    await stopRegion();
    await startRegion();

    for (const node of nodes) {
      expect((await listed(node, 'gone')).map((h) => h.split(' ')[0])).toEqual(['10.77.1.2:80']);
      expect((await listed(node, 'durable')).length).toBe(3);
    }
  });

  it('should settle two nodes writing one instance at once on the same winner, in the database and on every node', async () => {
    const [a, b] = nodes;
    // Marked as forwards, each node applies its write itself, as two stand-ins would.
    const forwarded = { 'x-distro-forwarded': '1' };
    const write = (node: TestNode, weight: string) =>
      call(
        node.base,
        'POST',
        `${V1}/instance`,
        { serviceName: 'contested', ip: '10.77.3.1', port: '80', ephemeral: 'false', weight },
        { form: true, headers: forwarded },
      );
    const answers = await Promise.all([write(a, '3'), write(b, '4'), write(a, '5'), write(b, '6')]);
    expect(answers.map((r) => r.text)).toEqual(['ok', 'ok', 'ok', 'ok']);
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      const [row] = (
        await pg.query<{ weight: number }>(`SELECT weight FROM persistent_instance WHERE service_name = 'contested'`)
      ).rows;
      await eventually(async () => {
        for (const node of nodes) {
          expect((await listed(node, 'contested')).map((h) => h.split(' ')[1])).toEqual([`w=${row.weight}`]);
        }
      });
    } finally {
      await pg.end();
    }
  });

  it('should take a row committed by a node that died before applying it, at the next reload', async () => {
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      await pg.query(
        `INSERT INTO persistent_instance (namespace, group_name, service_name, cluster_name, ip, port, weight, version, writer)
         VALUES ('public', 'DEFAULT_GROUP', 'orphan', 'DEFAULT', '10.77.4.1', 80, 4, $1, 'gone:1')`,
        [versionAt(Date.now())],
      );
    } finally {
      await pg.end();
    }
    await eventually(async () => {
      for (const node of nodes) expect(await listed(node, 'orphan')).toEqual(['10.77.4.1:80 w=4 h=true e=false {}']);
    });
  });

  it('should keep ephemeral instances out of the database: a full restart forgets them', async () => {
    const [a] = nodes;
    await v1(a, 'POST', '/instance', { serviceName: 'fleeting', ip: '10.77.2.1', port: '80' });
    await eventually(async () => {
      for (const node of nodes) expect(await listed(node, 'fleeting')).toHaveLength(1);
    });
    await stopRegion();
    await startRegion();
    for (const node of nodes) expect(await listed(node, 'fleeting')).toEqual([]);
  });
});

/** A node whose database goes away: persistent writes are refused, not acknowledged; ephemeral ones go on. */
describe('persistent writes while the database is down', () => {
  let db: SharedDatabase;
  let proxy: TcpProxy;
  let node: TestNode;

  beforeAll(async () => {
    db = await sharedDatabase();
    const target = new URL(db.url);
    proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
    target.host = `127.0.0.1:${proxy.port}`;
    node = await startTestNode({
      DATABASE_URL: target.toString(),
      DATABASE_POOL_SIZE: '2',
      NACOS_PERSISTENT_WRITE_TIMEOUT_MS: '1500',
      LOG_LEVEL: 'warn',
    });
  });

  afterAll(async () => {
    await node?.close();
    await proxy?.stop();
    await db?.drop();
  });

  const v1 = (method: string, params: Record<string, string>) =>
    call(node.base, method, `${V1}/instance`, params, { form: true });
  const v2 = (method: string, params: Record<string, string>) =>
    call(node.base, method, '/nacos/v2/ns/instance', params, { form: true });

  it('should answer 503 with a clear Nacos error, keep nothing, and take the write again once it is back', async () => {
    expect((await v1('POST', { serviceName: 'kept', ip: '10.78.0.1', port: '80', ephemeral: 'false' })).text).toBe(
      'ok',
    );
    proxy.cut();

    const refused = await v1('POST', { serviceName: 'outage', ip: '10.78.0.2', port: '80', ephemeral: 'false' });
    expect(refused.status).toBe(503);
    expect(refused.text).toMatch(
      /^caused: the region's database .*; the persistent instance write is not acknowledged, retry it;$/,
    );
    expect(refused.text).not.toMatch(/\bat \w+ \(/); // no stack
    const refusedV2 = await v2('DELETE', { serviceName: 'kept', ip: '10.78.0.1', port: '80', ephemeral: 'false' });
    expect([refusedV2.status, (refusedV2.json() as { code: number }).code]).toEqual([503, 30000]);
    expect(await listHosts(node.base, 'outage')).toEqual([]);
    expect((await listHosts(node.base, 'kept')).map((h) => h.ip)).toEqual(['10.78.0.1']);
    // Ephemeral instances never touch the database.
    expect((await v1('POST', { serviceName: 'light', ip: '10.78.0.3', port: '80' })).text).toBe('ok');
    expect((await listHosts(node.base, 'light')).map((h) => h.ip)).toEqual(['10.78.0.3']);

    proxy.restore();
    await eventually(
      async () =>
        expect(
          (await v1('POST', { serviceName: 'outage', ip: '10.78.0.2', port: '80', ephemeral: 'false' })).text,
        ).toBe('ok'),
      { timeoutMs: 15000 },
    );
    expect((await listHosts(node.base, 'outage')).map((h) => h.ip)).toEqual(['10.78.0.2']);
    const metrics = await (await fetch(`${node.base}/metrics`)).text();
    expect(metrics).toMatch(/^nacos_persistent_writes_total\{result="refused"\} [2-9]/m);
    expect(metrics).toMatch(/^nacos_persistent_writes_total\{result="stored"\} [2-9]/m);
  });
});
