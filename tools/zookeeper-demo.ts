/**
 * `npm run demo -- --zookeeper`: a Dubbo migration off ZooKeeper, narrated. Providers and consumers
 * registered in a ZooKeeper (started here) the way Dubbo 2.7 registers them; region B (node
 * processes speaking the Nacos protocols) with the tasks ZooKeeper -> B and B -> ZooKeeper; the
 * consumers move to B, then the providers one by one, then ZooKeeper is switched off — and both
 * sides are checked all along: no provider is ever missing for a consumer on either registry.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateMode, ZooKeeperConnection } from '@/sync/adapters/zookeeper-client';
import { dubboServiceName, javaUrlDecode, javaUrlEncode, parseDubboUrl } from '@/sync/adapters/zookeeper-layouts';
import { readOptions } from './cli-args';
import type { OptionSpec } from './cli-args';
import { LiveView } from './live-view';
import { Region } from './regions';
import { eventually } from './support/eventually';
import { startZooKeeper } from './support/zookeeper-server';
import type { ZooKeeperServer } from './support/zookeeper-server';

const OPTIONS: OptionSpec[] = [
  { name: 'nodes', kind: 'number', default: 3, min: 1, max: 5, help: 'node processes of region B' },
  { name: 'interfaces', kind: 'number', default: 4, min: 1, max: 50, help: 'Dubbo interfaces' },
  { name: 'providers', kind: 'number', default: 3, min: 1, max: 20, help: 'providers per interface' },
  { name: 'keep-logs', kind: 'flag', default: false, help: "keep the nodes' JSON logs (their folder is printed)" },
];

const DEMO_ENV = {
  LOG_LEVEL: 'info',
  DISTRO_BOOTSTRAP_WAIT_MS: '3000',
  SYNC_LEASE_RENEW_MS: '1000',
  SYNC_LEASE_TTL_MS: '4000',
  SYNC_FULL_RECONCILE_MS: '10000',
};

interface Provider {
  iface: string;
  ip: string;
  /** Its own ZooKeeper session, as each Dubbo process has one; closed when it leaves ZooKeeper. */
  session: ZooKeeperConnection | undefined;
  znode: string;
}

/** A provider URL byte for byte as Dubbo 2.7 registers it (URL.toFullString: parameters sorted). */
function providerUrl(iface: string, ip: string): string {
  return (
    `dubbo://${ip}:20880/${iface}?anyhost=true&application=${iface.split('.').pop()?.toLowerCase()}` +
    `&deprecated=false&dubbo=2.0.2&dynamic=true&generic=false&interface=${iface}&methods=get,put` +
    `&pid=4242&release=2.7.23&side=provider&timestamp=1700000000000&version=1.0.0`
  );
}

export async function runZooKeeperDemo(argv: string[]): Promise<number> {
  const options = readOptions(
    argv.filter((a) => a !== '--zookeeper'),
    'npm run demo -- --zookeeper',
    'Starts a ZooKeeper (Debian zookeeperd, free port) holding Dubbo providers and consumers, and region B\n' +
      '(node processes speaking the Nacos protocols), with the sync tasks ZooKeeper->B and B->ZooKeeper. The\n' +
      'consumers move to B, the providers move one by one, ZooKeeper is switched off; both registries are\n' +
      'checked all along. Ends by itself; Ctrl-C stops everything.',
    OPTIONS,
  );
  if (typeof options === 'number') return options;
  const nodes = options.nodes as number;
  const logDir = mkdtempSync(join(tmpdir(), 'distro-sync-zk-demo-'));
  const view = new LiveView(process.stdout, []);
  process.stdout.write(
    `distro-sync demo: a Dubbo migration off ZooKeeper onto region B (${nodes} node${nodes === 1 ? '' : 's'})\n`,
  );
  process.stdout.write(`logs: ${logDir}   Ctrl-C stops everything\n`);
  let zk: ZooKeeperServer | undefined;
  let region: Region | undefined;
  const sessions: ZooKeeperConnection[] = [];
  let cleaned: Promise<void> | undefined;
  const cleanup = (code: number): Promise<void> =>
    (cleaned ??= (async () => {
      for (const s of sessions) await s.close().catch(() => undefined);
      await region?.close().catch(() => undefined);
      await zk?.stop().catch(() => undefined);
      if (options['keep-logs'] || code !== 0) process.stdout.write(`node logs kept in ${logDir}\n`);
      else rmSync(logDir, { recursive: true, force: true });
      process.stdout.write('demo stopped: ZooKeeper and every node process have exited\n');
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      view.narrate(`${signal}: stopping`, true);
      void cleanup(130).then(() => process.exit(130));
    });
  }
  try {
    await story(
      view,
      options,
      (s) => (zk = s),
      (r) => (region = r),
      sessions,
      logDir,
    );
    await cleanup(0);
    return 0;
  } catch (err) {
    process.stderr.write(`demo failed: ${(err as Error).stack ?? String(err)}\n`);
    await cleanup(1);
    return 1;
  }
}

async function story(
  view: LiveView,
  options: Record<string, number | boolean>,
  setZk: (zk: ZooKeeperServer) => void,
  setRegion: (r: Region) => void,
  sessions: ZooKeeperConnection[],
  logDir: string,
): Promise<void> {
  const interfaces = Array.from({ length: options.interfaces as number }, (_, i) => `com.acme.Service${i}`);
  const perInterface = options.providers as number;
  const total = interfaces.length * perInterface;
  const started = Date.now();
  const seconds = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)} s`;

  view.narrate('starting ZooKeeper (Debian zookeeperd, Java) on a free port and region B');
  // A 2 s tick: sessions of 4 to 40 s, as in production; the copies' session asks for SYNC_CLIENT_TTL (30 s).
  const zk = await startZooKeeper({ tickTimeMs: 2000 });
  setZk(zk);
  const region = await Region.create({
    name: 'b',
    size: options.nodes as number,
    databaseUrl: process.env.DATABASE_URL || undefined,
    logDir,
    env: DEMO_ENV,
  });
  setRegion(region);
  await region.start();
  const b = region.nodes[0].base;
  view.narrate(`ZooKeeper on ${zk.address}; region B: ${region.nodes.map((n) => `${n.name} pid ${n.pid}`).join(', ')}`);

  const session = (): ZooKeeperConnection => {
    const s = new ZooKeeperConnection({ addresses: [zk.address], sessionTimeoutMs: 10_000 });
    sessions.push(s);
    return s;
  };
  const admin = session();
  await admin.ready();
  const providers: Provider[] = [];
  for (const [i, iface] of interfaces.entries()) {
    const dir = `/dubbo/${iface}/providers`;
    await admin.ensurePath(dir);
    await admin.ensurePath(`/dubbo/${iface}/consumers`);
    for (let p = 0; p < perInterface; p++) {
      const ip = `10.20.${i}.${p + 1}`;
      const s = session();
      const znode = `${dir}/${javaUrlEncode(providerUrl(iface, ip))}`;
      await s.create(znode, Buffer.from(ip), CreateMode.EPHEMERAL);
      providers.push({ iface, ip, session: s, znode });
    }
    const consumer = `consumer://10.30.0.${i + 1}/${iface}?application=shop&category=consumers&side=consumer`;
    await admin.create(`/dubbo/${iface}/consumers/${javaUrlEncode(consumer)}`, Buffer.alloc(0), CreateMode.EPHEMERAL);
  }
  view.narrate(
    `in ZooKeeper: ${total} Dubbo providers of ${interfaces.length} interfaces, registered as Dubbo 2.7 does ` +
      `(/dubbo/<interface>/providers/<URL>), and a consumer per interface`,
  );

  const here = await region.admin.request<{ id: string }>('POST', '/clusters', { name: 'region-b', kind: 'local' });
  const zkCluster = await region.admin.request<{ id: string }>('POST', '/clusters', {
    name: 'zk',
    kind: 'zookeeper',
    addresses: [zk.address],
    layout: 'dubbo',
  });
  const check = await region.admin.request<Record<string, unknown>>('POST', `/clusters/${zkCluster.id}/check`);
  view.narrate(
    `cluster zk (kind zookeeper, layout dubbo): ${String(check.version)}, ${String(check.services)} services, ` +
      `${String(check.instances)} instances found`,
  );
  const t0 = Date.now();
  for (const [source, target] of [
    [zkCluster.id, here.id],
    [here.id, zkCluster.id],
  ]) {
    await region.admin.request('POST', '/tasks', {
      sourceClusterId: source,
      targetClusterId: target,
      serviceName: 'providers:*',
    });
  }
  view.narrate('created the tasks zk->B and B->zk (serviceName providers:*) through the admin API');

  /** The addresses of an interface's providers in region B, as a Dubbo consumer on Nacos asks for them. */
  const inRegion = async (iface: string): Promise<string[]> => {
    const q = new URLSearchParams({ serviceName: dubboServiceName(iface, '1.0.0'), healthyOnly: 'true' });
    const res = await fetch(`${b}/nacos/v1/ns/instance/list?${q.toString()}`);
    const body = (await res.json()) as { hosts: Array<{ ip: string }> };
    return [...new Set(body.hosts.map((h) => h.ip))].sort();
  };
  /** The addresses of an interface's providers in ZooKeeper, as a Dubbo consumer there reads them. */
  const inZooKeeper = async (iface: string): Promise<string[]> => {
    const nodes = await admin.getChildren(`/dubbo/${iface}/providers`);
    return [...new Set(nodes.map((n) => parseDubboUrl(javaUrlDecode(n) ?? '')?.host ?? '?'))].sort();
  };
  const expected = (iface: string): string[] =>
    providers
      .filter((p) => p.iface === iface)
      .map((p) => p.ip)
      .sort();
  const complete = async (read: (iface: string) => Promise<string[]>): Promise<boolean> => {
    for (const iface of interfaces) if ((await read(iface)).join() !== expected(iface).join()) return false;
    return true;
  };
  await eventually(() => complete(inRegion), { timeoutMs: 60_000, intervalMs: 200, what: 'the providers in B' });
  view.narrate(
    `every provider is in region B, named as Dubbo's Nacos registry names it (${dubboServiceName(interfaces[0], '1.0.0')}), ` +
      `URL parameters as metadata: ${total}/${total} in ${seconds(t0)}`,
  );

  // A watcher checks both registries every 100 ms from here on: a consumer on either must never miss a provider.
  const gaps: string[] = [];
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      for (const [name, read] of [
        ['ZooKeeper', inZooKeeper],
        ['region B', inRegion],
      ] as const) {
        for (const iface of interfaces) {
          const got = await read(iface).catch(() => undefined);
          if (!watching) break;
          if (got && got.join() !== expected(iface).join()) gaps.push(`${name} ${iface}: ${got.join(',')}`);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();

  view.narrate('step 1: the consumers move: each subscribes to region B and finds the providers it had in ZooKeeper');
  for (const iface of interfaces) {
    const fromB = await inRegion(iface);
    const fromZk = await inZooKeeper(iface);
    if (fromB.join() !== fromZk.join()) throw new Error(`${iface}: B has ${fromB.join()}, ZooKeeper ${fromZk.join()}`);
    for (const c of await admin.getChildren(`/dubbo/${iface}/consumers`))
      await admin.remove(`/dubbo/${iface}/consumers/${c}`);
  }
  view.narrate(`${interfaces.length} consumers now read region B; their ZooKeeper consumer znodes are gone`);

  view.narrate('step 2: the providers move one by one: registered in B first, then their ZooKeeper session closes');
  const t2 = Date.now();
  // A provider on Nacos is an ephemeral instance that beats, as Dubbo's Nacos registry registers it
  // (the service also holds the ephemeral copies from ZooKeeper, and Nacos never mixes the two).
  const beating: NodeJS.Timeout[] = [];
  for (const p of providers) {
    const metadata = {
      application: 'shop',
      interface: p.iface,
      version: '1.0.0',
      methods: 'get,put',
      side: 'provider',
    };
    const q = new URLSearchParams({
      serviceName: dubboServiceName(p.iface, '1.0.0'),
      ip: p.ip,
      port: '20880',
      metadata: JSON.stringify(metadata),
    });
    const res = await fetch(`${b}/nacos/v1/ns/instance?${q.toString()}`, { method: 'POST' });
    if (!res.ok) throw new Error(`registering ${p.ip} in B: ${res.status} ${await res.text()}`);
    const beat = new URLSearchParams({ serviceName: q.get('serviceName') ?? '', ip: p.ip, port: '20880' });
    const timer = setInterval(
      () => void fetch(`${b}/nacos/v1/ns/instance/beat?${beat.toString()}`, { method: 'PUT' }).catch(() => undefined),
      5000,
    );
    timer.unref();
    beating.push(timer);
    // Consumers left on ZooKeeper keep it: B's instance is copied there before the provider leaves.
    await eventually(
      async () =>
        (await admin.getChildren(`/dubbo/${p.iface}/providers`)).some(
          (n) => n.includes(encodeURIComponent(p.ip)) && n.includes('syncTaskId'),
        ),
      { timeoutMs: 30_000, intervalMs: 100, what: `the copy of ${p.ip} in ZooKeeper` },
    );
    await p.session?.close();
    p.session = undefined;
  }
  await eventually(
    async () => {
      for (const p of providers) if ((await admin.exists(p.znode)) !== undefined) return false;
      return complete(inZooKeeper);
    },
    { timeoutMs: 30_000, intervalMs: 200, what: 'ZooKeeper holding only copies' },
  );
  view.narrate(
    `all ${total} providers are native in region B after ${seconds(t2)}; ZooKeeper lists each one as a copy ` +
      "from B (ephemeral znodes of the task holder's session, marked syncTaskId), for any consumer still there",
  );

  view.narrate('step 3: ZooKeeper is switched off');
  watching = false;
  await watcher;
  await zk.kill();
  const zkToB = (
    await region.admin.request<{ items: Array<{ id: string; sourceClusterId: string }> }>('GET', '/tasks')
  ).items.find((t) => t.sourceClusterId === zkCluster.id);
  await eventually(
    async () =>
      (await region.admin.request<{ sourceReachable: boolean }>('GET', `/tasks/${zkToB?.id}`)).sourceReachable ===
      false,
    { timeoutMs: 30_000, intervalMs: 250, what: 'task zk->B to see its source gone' },
  );
  if (!(await complete(inRegion))) throw new Error('region B lost providers when ZooKeeper went away');
  view.narrate(`task zk->B reports its source unreachable; region B still holds ${total}/${total} providers`);
  if (gaps.length > 0) throw new Error(`a consumer would have missed providers: ${gaps.slice(0, 5).join('; ')}`);
  view.narrate(
    `nothing lost: checked every 100 ms, no consumer on ZooKeeper or on region B ever missed a provider ` +
      `(${interfaces.length} interfaces x ${perInterface}); migration done in ${seconds(started)}`,
  );
  for (const timer of beating) clearInterval(timer);
  view.narrate('scenario complete', true);
}
