/**
 * `npm run bench -- sync [--quick]`: region A (a node process) holding 100,000 instances in 10,000
 * services and region B (another node process) pulling them with one `*` task. Measures the time
 * to full convergence, steady-state lag from a write in A to its visibility in B, ledger rows per
 * single change and B's RSS per 100,000 copies; then, in this process on the same Postgres, the
 * ledger's batched write against a raw `unnest` upsert of the same rows (`--only ledger`: that
 * comparison alone).
 */
import { Database } from '@/database/database';
import { RegistryApiClient } from '@/sync/adapters/registry-api.client';
import type { PublishItem } from '@/sync/adapters/registry-api.client';
import { desiredCopies } from '@/sync/reconcile/copy-plan';
import { LedgerRepository, ledgerColumns } from '@/sync/store/ledger.repository';
import { eventually } from '../tools/support/eventually';
import { dropDatabase, scratchDatabase } from './scratch-db';
import { percentile } from './grpc-rigs';
import type { BenchOptions, BenchResult, BenchRow } from './run';
import { TOKEN, admin, startRegion, stopRegion } from './sync-region';
import type { Region } from './sync-region';
import { registryRows } from './sync-registries';
import type { RegistryKind } from './sync-registries';

const quiet = { log: () => undefined, warn: () => undefined };

/** Forces a full collection in the node (see gc-on-signal.ts) and lets it settle. */
async function collect(region: Region): Promise<void> {
  region.child.kill('SIGUSR2');
  await new Promise((r) => setTimeout(r, 1_000));
}

async function gauge(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
}

const rss = (base: string) => gauge(base, 'process_resident_memory_bytes');
const heapUsed = (base: string) => gauge(base, 'nodejs_heap_size_used_bytes');

function items(services: number, perService: number): PublishItem[] {
  const out: PublishItem[] = [];
  for (let s = 0; s < services; s++) {
    for (let i = 0; i < perService; i++) {
      out.push({
        group: `g${s % 10}`,
        service: `svc-${s}`,
        instance: { ip: `10.${s >> 8}.${s & 255}.${i + 1}`, port: 8080 },
      });
    }
  }
  return out;
}

/** The ledger repository's upsert against a raw unnest upsert of the same rows, in one Postgres. */
async function ledgerVsRaw(url: string | undefined, rows: number): Promise<BenchRow> {
  const db = await Database.open({ url, dataDir: 'memory', poolSize: 2, startupTimeoutMs: 30_000 }, quiet);
  try {
    const ds = db.dataSource;
    const one = async (sql: string, params: unknown[] = []): Promise<string> =>
      (await ds.query<Array<{ id: string }>>(sql, params))[0]?.id ?? '';
    const a = await one(`INSERT INTO cluster (name, kind, addresses) VALUES ('a', 'distro', '{a:1}') RETURNING id`);
    const b = await one(`INSERT INTO cluster (name, kind, addresses) VALUES ('b', 'local', '{}') RETURNING id`);
    const task = await one(
      `INSERT INTO sync_task (name, source_cluster_id, target_cluster_id, service_name) VALUES ('t', $1, $2, '*') RETURNING id`,
      [a, b],
    );
    const copies = desiredCopies(
      { namespace: 'public', group: 'DEFAULT_GROUP', name: 'svc' },
      Array.from({ length: rows }, (_, i) => ({
        ip: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`,
        port: 8080,
        weight: 1,
        healthy: true,
        enabled: true,
        clusterName: 'DEFAULT',
        metadata: {},
      })),
      { taskId: task, sourceClusterId: a, sourceClusterName: 'a', targetClusterId: b },
    );
    const ledger = new LedgerRepository(ds);
    let t0 = process.hrtime.bigint();
    await ds.transaction((tx) => ledger.upsert(tx, task, '1', copies));
    const ledgerMs = Number(process.hrtime.bigint() - t0) / 1e6;

    await ds.query(`CREATE TABLE raw_ledger (LIKE synced_instance INCLUDING ALL)`);
    t0 = process.hrtime.bigint();
    await ds.query(
      `INSERT INTO raw_ledger (task_id, namespace, group_name, service_name, cluster_name, ip, port, weight, healthy, enabled, metadata, ephemeral, generation)
       SELECT $1, u.n, u.g, u.s, u.c, u.ip, u.p, u.w, u.h, u.e, u.m, u.eph, 1
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::float8[], $9::bool[], $10::bool[], $11::jsonb[], $12::bool[])
           AS u(n, g, s, c, ip, p, w, h, e, m, eph)
       ON CONFLICT (task_id, namespace, group_name, service_name, cluster_name, ip, port) DO UPDATE SET weight = EXCLUDED.weight`,
      // The same column arrays the ledger sends (ledgerColumns), so both statements take identical input.
      [task, ...ledgerColumns(copies)],
    );
    const rawMs = Number(process.hrtime.bigint() - t0) / 1e6;
    return {
      metric: `ledger write of ${rows.toLocaleString('en-US')} copies (one statement)`,
      value: rows / (ledgerMs / 1000),
      unit: 'rows/s',
      baseline: { name: 'raw unnest upsert, same rows, same Postgres', value: rows / (rawMs / 1000) },
      ratio: rawMs / ledgerMs,
      target: '≥ 0.5',
    };
  } finally {
    await db.close();
  }
}

/** The database clock, or the ledger rows written since a given database time. */
async function ledgerClock(url: string | undefined, since?: string): Promise<string | number | undefined> {
  if (!url) return undefined;
  const { Client } = await import('pg');
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    if (since === undefined) return (await client.query<{ t: string }>(`SELECT now()::text AS t`)).rows[0]?.t;
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM synced_instance WHERE written_at >= $1::timestamptz`,
      [since],
    );
    return rows[0]?.n ?? 0;
  } finally {
    await client.end();
  }
}

interface TaskPage {
  items: Array<{ applied: number; sourceReachable: boolean | null }>;
  total: number;
}

/** How many tasks a task reports as fully applied, paging through the task list. */
async function appliedTasks(b: Region, perTask: number): Promise<number> {
  let done = 0;
  for (let page = 1; ; page++) {
    const res = (await admin(b.base, 'GET', `/tasks?pageSize=500&page=${page}`)) as unknown as TaskPage;
    // Applied and watching: a task whose watch the source refused would converge only by full reconciles.
    done += res.items.filter((t) => t.applied === perTask && t.sourceReachable === true).length;
    if (page * 500 >= res.total) return done;
  }
}

/**
 * Many small tasks on one worker (Nacos-Sync's unit of scale: it claims 6,000 tasks per 8C16G):
 * `count` tasks of one service each, in a namespace of their own, created in batches of 500.
 * Time from the first create to every task fully applied, and B's RSS per task.
 */
async function manyTasks(
  b: Region,
  source: RegistryApiClient,
  remoteId: string,
  localId: string,
  count: number,
): Promise<BenchRow[]> {
  const perTask = 2;
  const published: PublishItem[] = [];
  for (let i = 0; i < count; i++)
    for (let j = 0; j < perTask; j++)
      published.push({
        namespace: 'scale',
        service: `one-${i}`,
        instance: { ip: `10.250.${i >> 8}.${i & 255}`, port: 7000 + j },
      });
  await source.publish('scale', published, { ttlMs: 600_000 });
  await collect(b);
  const rssBefore = await rss(b.base);
  const started = Date.now();
  for (let i = 0; i < count; i += 500) {
    const tasks = Array.from({ length: Math.min(500, count - i) }, (_, k) => ({
      name: `one-${i + k}`,
      sourceClusterId: remoteId,
      targetClusterId: localId,
      namespace: 'scale',
      groupName: 'DEFAULT_GROUP',
      serviceName: `one-${i + k}`,
    }));
    await admin(b.base, 'POST', '/tasks/batch', { tasks });
  }
  await eventually(async () => (await appliedTasks(b, perTask)) === count, { timeoutMs: 300_000, intervalMs: 250 });
  const seconds = (Date.now() - started) / 1000;
  await collect(b);
  const rssAfter = await rss(b.base);
  return [
    {
      metric: `tasks on one worker: ${count.toLocaleString('en-US')} one-service tasks created → all applied`,
      value: seconds,
      unit: 's',
      target: 'Nacos-Sync: 6,000 tasks per 8C16G',
    },
    { metric: 'region B RSS per task', value: (rssAfter - rssBefore) / count / 1024, unit: 'KiB' },
  ];
}

/** `--only ledger`: the ledger's batched write against the raw upsert, without the two regions. */
async function ledgerOnly(databaseUrl: string | undefined, rows: number): Promise<BenchResult> {
  const db = await scratchDatabase(databaseUrl, 'distro_sync_bench_ledger');
  try {
    return { name: 'sync', rows: [await ledgerVsRaw(db, rows)], notes: [] };
  } finally {
    await dropDatabase(databaseUrl, 'distro_sync_bench_ledger');
  }
}

/** `--only zookeeper|etcd`: that registry's rows alone. */
async function registryOnly(kind: RegistryKind, quick: boolean): Promise<BenchResult> {
  const { rows, note } = await registryRows(kind, quick);
  return { name: 'sync', rows, notes: [note] };
}

export async function run(options: BenchOptions): Promise<BenchResult> {
  const parts = ['ledger', 'zookeeper', 'etcd'];
  if (options.only !== undefined && !parts.includes(options.only)) throw new Error(`sync parts: ${parts.join(', ')}`);
  if (options.only === 'ledger') return ledgerOnly(process.env.DATABASE_URL, options.quick ? 10_000 : 100_000);
  if (options.only === 'zookeeper' || options.only === 'etcd') return registryOnly(options.only, options.quick);
  const services = options.quick ? 1_000 : 10_000;
  const perService = 10;
  const total = services * perService;
  const databaseUrl = process.env.DATABASE_URL;
  const [dbA, dbB, dbLedger] = await Promise.all([
    scratchDatabase(databaseUrl, 'distro_sync_bench_a'),
    scratchDatabase(databaseUrl, 'distro_sync_bench_b'),
    scratchDatabase(databaseUrl, 'distro_sync_bench_ledger'),
  ]);
  const [a, b] = await Promise.all([startRegion(dbA), startRegion(dbB)]);
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  try {
    const source = new RegistryApiClient(`127.0.0.1:${a.grpc}`, { token: TOKEN, timeoutMs: 60_000 });
    const all = items(services, perService);
    for (let i = 0; i < all.length; i += 20_000)
      await source.publish('load', all.slice(i, i + 20_000), { ttlMs: 600_000 });

    const local = await admin(b.base, 'POST', '/clusters', { name: 'region-b', kind: 'local' });
    const remote = await admin(b.base, 'POST', '/clusters', {
      name: 'region-a',
      kind: 'distro',
      addresses: [`127.0.0.1:1/${a.grpc}`],
      token: TOKEN,
    });
    await collect(b);
    const rssBefore = await rss(b.base);
    const heapBefore = await heapUsed(b.base);
    const started = Date.now();
    const task = await admin(b.base, 'POST', '/tasks', {
      sourceClusterId: remote.id,
      targetClusterId: local.id,
      namespace: 'public',
      groupName: '*',
      serviceName: '*',
    });
    await eventually(async () => (await admin(b.base, 'GET', `/tasks/${task.id}`)).applied === total, {
      timeoutMs: 300_000,
      intervalMs: 50,
    });
    const convergeMs = Date.now() - started;
    rows.push({
      metric: `full convergence, ${total.toLocaleString('en-US')} instances in ${services.toLocaleString('en-US')} services`,
      value: convergeMs / 1000,
      unit: 's',
      target: '≤ 10 s',
    });
    // Read after a forced full collection: heap in use is what holding the copies costs; RSS also
    // keeps pages V8 grew to during convergence and has not handed back.
    await collect(b);
    const rssAfter = await rss(b.base);
    const heapAfter = await heapUsed(b.base);
    rows.push({
      metric: 'region B RSS per 100,000 copies (registry + worker), after a full GC',
      value: (((rssAfter - rssBefore) / total) * 100_000) / 2 ** 20,
      unit: 'MiB',
    });
    rows.push({
      metric: 'region B heap in use per 100,000 copies, after a full GC',
      value: (((heapAfter - heapBefore) / total) * 100_000) / 2 ** 20,
      unit: 'MiB',
    });

    // Steady state: single changes in A, timed until B lists them.
    const lags: number[] = [];
    // 300, so p99 is the 297th of 300 rather than the one worst sample (one Postgres fsync stall).
    const samples = options.quick ? 40 : 300;
    const lagFrom = (await ledgerClock(dbB)) as string | undefined;
    for (let i = 0; i < samples; i++) {
      const item: PublishItem = {
        group: 'lag',
        service: `lag-${i}`,
        instance: { ip: `10.200.0.${(i % 250) + 1}`, port: 9000 },
      };
      const t0 = performance.now();
      await source.publish('lag', [item], { ttlMs: 600_000 });
      await eventually(
        async () => {
          const res = await fetch(`${b.base}/nacos/v1/ns/instance/list?serviceName=lag@@lag-${i}`);
          return ((await res.json()) as { hosts: unknown[] }).hosts.length === 1;
        },
        { timeoutMs: 10_000, intervalMs: 1 },
      );
      lags.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 20));
    }
    lags.sort((x, y) => x - y);
    rows.push({ metric: 'lag write in A → visible in B, p50', value: percentile(lags, 50), unit: 'ms' });
    rows.push({
      metric: 'lag write in A → visible in B, p99',
      value: percentile(lags, 99),
      unit: 'ms',
      target: '≤ 100 ms (Nacos-Sync: ≤ 3 s)',
    });
    if (lagFrom !== undefined) {
      const written = (await ledgerClock(dbB, lagFrom)) as number;
      rows.push({
        metric: 'ledger rows written per single change',
        value: written / samples,
        unit: 'rows',
        target: 'O(1)',
      });
    } else {
      notes.push('Ledger rows per change are counted in Postgres (DATABASE_URL); not measured on embedded PGlite.');
    }
    rows.push(...(await manyTasks(b, source, remote.id, local.id, options.quick ? 200 : 2_000)));
    source.close();
    rows.push(await ledgerVsRaw(dbLedger, total));
  } finally {
    await Promise.all([a, b].map(stopRegion));
    await Promise.all(
      ['distro_sync_bench_a', 'distro_sync_bench_b', 'distro_sync_bench_ledger'].map((n) =>
        dropDatabase(databaseUrl, n),
      ),
    );
  }
  // The registries of issue 18, each against a region node of its own (the two above are stopped).
  for (const kind of ['zookeeper', 'etcd'] as const) {
    const { rows: more, note } = await registryRows(kind, options.quick);
    rows.push(...more);
    notes.push(note);
  }
  notes.push(
    `Two node processes on loopback${databaseUrl ? ' on the Postgres of DATABASE_URL (scratch databases)' : ' on embedded PGlite'}; region A loaded through its registry API, region B pulling with one * task (SYNC_LEASE_RENEW_MS=500).`,
  );
  return { name: 'sync', rows, notes };
}
