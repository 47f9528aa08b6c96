import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';
import { eventually } from '../../tools/support/eventually';
import { runRounds } from '../support/sync-rounds';

const TOKEN = 'admin-edits-admin-token-0001';
const FAST = {
  ADMIN_TOKEN: TOKEN,
  SECRET_KEY: 'admin-edits-secret-key-0123456789abcdef',
  SYNC_LEASE_RENEW_MS: '200',
  SYNC_LEASE_TTL_MS: '2000',
  SYNC_FULL_RECONCILE_MS: '1000',
  SYNC_DEBOUNCE_MS: '10',
  LOG_LEVEL: 'warn',
};

interface Answer {
  status: number;
  body: any;
}

interface LedgerRow {
  serviceName: string;
  ip: string;
  generation: string;
  writtenAt: string;
}

/**
 * The admin API an operator lives with (issue 20): changing a task in place, deleting many, the
 * event trail after a delete, duplicate errors that name the task, `?check=true`, and a whole
 * configuration exported from one database and imported into a fresh one. Region A is the source,
 * region B runs the tasks; C is a fresh database the export goes into.
 */
describe('admin API: edits, batch delete, events, check, export and import', () => {
  let dbA: TestDatabase;
  let dbB: TestDatabase;
  let a: TestNode;
  let b: TestNode;
  let here: string;
  let regionA: string;

  const call = async (node: TestNode, method: string, path: string, body?: unknown): Promise<Answer> => {
    const res = await fetch(`${node.base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const ok = async (node: TestNode, method: string, path: string, body?: unknown): Promise<any> => {
    const res = await call(node, method, path, body);
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const register = async (service: string, ip: string): Promise<void> => {
    const qs = new URLSearchParams({ serviceName: service, ip, port: '8080', ephemeral: 'false' });
    const res = await fetch(`${a.base}/nacos/v1/ns/instance?${qs.toString()}`, { method: 'POST' });
    expect(res.status).toBe(200);
  };
  const hosts = async (service: string): Promise<string[]> => {
    const res = await fetch(`${b.base}/nacos/v1/ns/instance/list?serviceName=${service}`);
    return ((await res.json()) as { hosts: Array<{ ip: string }> }).hosts.map((h) => h.ip).sort();
  };
  const ledger = async (taskId: string): Promise<LedgerRow[]> =>
    ((await ok(b, 'GET', `/api/v1/tasks/${taskId}/instances?pageSize=500`)).items as LedgerRow[]).sort((x, y) =>
      x.serviceName.localeCompare(y.serviceName),
    );

  beforeAll(async () => {
    [dbA, dbB] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    [a, b] = await Promise.all([
      startTestNode({ ...FAST, DATABASE_URL: dbA.url }),
      startTestNode({ ...FAST, DATABASE_URL: dbB.url }),
    ]);
    here = (await ok(b, 'POST', '/api/v1/clusters', { name: 'region-b', kind: 'local' })).id;
    regionA = (
      await ok(b, 'POST', '/api/v1/clusters?check=true', {
        name: 'region-a',
        kind: 'distro',
        addresses: [`127.0.0.1:${a.httpPort}/${a.grpcPort}`],
        token: TOKEN,
      })
    ).id;
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await Promise.all([dbA?.drop(), dbB?.drop()]);
  });

  describe('PATCH /api/v1/tasks/:id', () => {
    let taskId: string;

    it('should move the task to a new desired set, withdrawing what is no longer selected and leaving the rest untouched', async () => {
      for (const s of ['edit-1', 'edit-2', 'edit-3']) await register(s, '10.20.0.1');
      taskId = (
        await ok(b, 'POST', '/api/v1/tasks', {
          sourceClusterId: regionA,
          targetClusterId: here,
          serviceName: 'edit-*',
        })
      ).id;
      await eventually(async () => expect(await ledger(taskId)).toHaveLength(3), { what: 'three copies' });
      const before = await ledger(taskId);

      const patched = await ok(b, 'PATCH', `/api/v1/tasks/${taskId}`, { exclude: ['edit-3'], maxDeleteRatio: 0.9 });
      expect(patched).toMatchObject({ serviceName: 'edit-*', exclude: ['edit-3'], maxDeleteRatio: 0.9 });
      await eventually(async () => expect(await hosts('edit-3')).toEqual([]), { what: 'edit-3 withdrawn' });
      await runRounds(b, 'sync-full-reconcile');
      // The copies still selected were never rewritten: same rows, same generation, same time.
      expect(await ledger(taskId)).toEqual(before.filter((r) => r.serviceName !== 'edit-3'));
      expect(await hosts('edit-1')).toEqual(['10.20.0.1']);
      expect(await hosts('edit-2')).toEqual(['10.20.0.1']);

      // A narrower service name: edit-2 goes too, edit-1 stays as it was.
      await ok(b, 'PATCH', `/api/v1/tasks/${taskId}`, { serviceName: 'edit-1' });
      await eventually(async () => expect(await hosts('edit-2')).toEqual([]), { what: 'edit-2 withdrawn' });
      // The ledger row goes once the target has let the copy go: a moment after it is no longer listed.
      await eventually(
        async () => expect(await ledger(taskId)).toEqual(before.filter((r) => r.serviceName === 'edit-1')),
        {
          what: "edit-2's ledger row gone",
        },
      );

      // Widening again brings new services in, and still leaves edit-1 alone.
      await ok(b, 'PATCH', `/api/v1/tasks/${taskId}`, { serviceName: 'edit-*', exclude: [] });
      await eventually(async () => expect(await ledger(taskId)).toHaveLength(3), { what: 'copies back' });
      expect((await ledger(taskId)).find((r) => r.serviceName === 'edit-1')).toEqual(before[0]);
      const events = await ok(b, 'GET', `/api/v1/events?taskId=${taskId}&kind=updated`);
      expect(events.total).toBe(3);
      expect(events.items[2].details).toEqual({
        exclude: { from: [], to: ['edit-3'] },
        maxDeleteRatio: { from: 0.5, to: 0.9 },
      });
    });

    it('should refuse what may not change, and bad values, with a 400 naming the field', async () => {
      const clusters = await call(b, 'PATCH', `/api/v1/tasks/${taskId}`, { sourceClusterId: here });
      expect(clusters.status).toBe(400);
      expect(clusters.body.message).toEqual([
        expect.stringMatching(/^sourceClusterId cannot change: create a new task/),
      ]);
      const status = await call(b, 'PATCH', `/api/v1/tasks/${taskId}`, { status: 'paused' });
      expect(status.body.message).toEqual([expect.stringMatching(/^status cannot change: use POST .*pause/)]);
      const ratio = await call(b, 'PATCH', `/api/v1/tasks/${taskId}`, { maxDeleteRatio: 1.5 });
      expect(ratio.status).toBe(400);
      expect(JSON.stringify(ratio.body.message)).toMatch(/maxDeleteRatio/);
      const nul = await call(b, 'PATCH', `/api/v1/tasks/${taskId}`, { serviceName: null });
      expect(nul.body.message).toEqual(expect.arrayContaining([expect.stringMatching(/serviceName must not be null/)]));
      expect((await call(b, 'PATCH', '/api/v1/tasks/00000000-0000-4000-8000-000000000000', { name: 'x' })).status).toBe(
        404,
      );
    });

    it('should answer a selector or a name another task has with 409 naming that task', async () => {
      const other = await ok(b, 'POST', '/api/v1/tasks', {
        name: 'other-task',
        sourceClusterId: regionA,
        targetClusterId: here,
        serviceName: 'other',
      });
      const same = await call(b, 'PATCH', `/api/v1/tasks/${other.id}`, { serviceName: 'edit-*' });
      expect(same.status).toBe(409);
      expect(same.body.message).toContain(`task ${taskId} (`);
      expect(same.body.message).toContain('already copies the same selector public/DEFAULT_GROUP@@edit-*');
      const name = await call(b, 'PATCH', `/api/v1/tasks/${taskId}`, { name: 'other-task' });
      expect(name.status).toBe(409);
      expect(name.body.message).toBe(`a task named other-task exists: ${other.id}`);
    });
  });

  describe('duplicate tasks', () => {
    it("should name the existing task's id and say its selector is the same, when no name was given", async () => {
      const first = await ok(b, 'POST', '/api/v1/tasks', {
        sourceClusterId: regionA,
        targetClusterId: here,
        serviceName: 'dup',
      });
      const again = await call(b, 'POST', '/api/v1/tasks', {
        sourceClusterId: regionA,
        targetClusterId: here,
        serviceName: 'dup',
      });
      expect(again.status).toBe(409);
      expect(again.body.message).toBe(
        `task ${first.id} (region-a>region-b:public/DEFAULT_GROUP@@dup) already copies the same selector public/DEFAULT_GROUP@@dup from region-a to region-b; change that task (PATCH /api/v1/tasks/${first.id}) or choose another selector`,
      );
      expect(again.body.message).not.toMatch(/this name/);
    });
  });

  describe('POST /api/v1/tasks/batch-delete', () => {
    it('should delete nothing when one id is unknown, and every task otherwise', async () => {
      const ids: string[] = [];
      for (const s of ['bd-1', 'bd-2']) {
        ids.push(
          (await ok(b, 'POST', '/api/v1/tasks', { sourceClusterId: regionA, targetClusterId: here, serviceName: s }))
            .id,
        );
      }
      const unknown = '00000000-0000-4000-8000-000000000000';
      const bad = await call(b, 'POST', '/api/v1/tasks/batch-delete', { ids: [...ids, unknown] });
      expect(bad.status).toBe(404);
      expect(bad.body.message).toBe(`no task has the id ${unknown}; nothing was deleted`);
      for (const id of ids) expect((await ok(b, 'GET', `/api/v1/tasks/${id}`)).status).toBe('running');
      expect((await call(b, 'POST', '/api/v1/tasks/batch-delete', { ids: ['nope'] })).status).toBe(400);
      expect((await call(b, 'POST', '/api/v1/tasks/batch-delete', { ids: [] })).status).toBe(400);

      const done = await call(b, 'POST', '/api/v1/tasks/batch-delete', { ids });
      expect(done.status).toBe(202);
      expect(done.body.map((t: { status: string }) => t.status)).toEqual(['deleting', 'deleting']);
      await eventually(async () => {
        for (const id of ids) expect((await call(b, 'GET', `/api/v1/tasks/${id}`)).status).toBe(404);
      });
    });
  });

  describe('GET /api/v1/events', () => {
    it('should keep a deleted task’s events, filtered by task, cluster, kind and time, and paged', async () => {
      const started = new Date().toISOString();
      const task = await ok(b, 'POST', '/api/v1/tasks', {
        sourceClusterId: regionA,
        targetClusterId: here,
        serviceName: 'ev',
      });
      await ok(b, 'POST', `/api/v1/tasks/${task.id}/pause`);
      await ok(b, 'POST', `/api/v1/tasks/${task.id}/resume`);
      await ok(b, 'DELETE', `/api/v1/tasks/${task.id}`);
      await eventually(async () => expect((await call(b, 'GET', `/api/v1/tasks/${task.id}`)).status).toBe(404));

      const all = await ok(b, 'GET', `/api/v1/events?taskId=${task.id}&pageSize=100`);
      const kinds = all.items.map((e: { kind: string }) => e.kind);
      expect(kinds).toEqual(expect.arrayContaining(['created', 'paused', 'resumed', 'delete-requested', 'deleted']));
      expect(all.items[0]).toMatchObject({ taskId: task.id, taskName: task.name, clusterIds: [regionA, here] });
      // The task's own route keeps answering too.
      expect((await ok(b, 'GET', `/api/v1/tasks/${task.id}/events`)).total).toBe(all.total);

      const some = await ok(b, 'GET', `/api/v1/events?taskId=${task.id}&kind=paused,resumed`);
      expect(some.items.map((e: { kind: string }) => e.kind)).toEqual(['resumed', 'paused']);
      const paged = await ok(b, 'GET', `/api/v1/events?taskId=${task.id}&pageSize=2&page=2`);
      expect(paged).toMatchObject({ total: all.total, page: 2, pageSize: 2 });
      expect(paged.items).toEqual(all.items.slice(2, 4));

      const byCluster = await ok(b, 'GET', `/api/v1/events?clusterId=${regionA}&since=${started}&pageSize=500`);
      expect(byCluster.total).toBe(all.total);
      const byHere = await ok(b, 'GET', `/api/v1/events?clusterId=${here}&kind=cluster-created`);
      expect(byHere.items).toEqual([expect.objectContaining({ taskId: null, clusterIds: [here] })]);
      const later = await ok(
        b,
        'GET',
        `/api/v1/events?taskId=${task.id}&since=${new Date(Date.now() + 60_000).toISOString()}`,
      );
      expect(later.total).toBe(0);
      const before = await ok(b, 'GET', `/api/v1/events?taskId=${task.id}&until=${started}`);
      expect(before.total).toBe(0);
    });

    it('should answer bad filters with a 400 naming the parameter', async () => {
      for (const [q, field] of [
        ['taskId=x', 'taskId'],
        ['clusterId=1', 'clusterId'],
        ['since=yesterday', 'since'],
        ['until=2026-13-01T00:00:00Z', 'until'],
        ['kind=NOT%20A%20KIND', 'kind'],
        ['pageSize=501', 'pageSize'],
        ['since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z', 'since'],
      ]) {
        const res = await call(b, 'GET', `/api/v1/events?${q}`);
        expect({ q, status: res.status }).toEqual({ q, status: 400 });
        expect(JSON.stringify(res.body.message)).toContain(field);
      }
    });
  });

  describe('?check=true', () => {
    it('should refuse a cluster whose token the registry refuses, with the check result, and save it without check', async () => {
      const cluster = {
        name: 'wrong-token',
        kind: 'distro',
        addresses: [`127.0.0.1:${a.httpPort}/${a.grpcPort}`],
        token: 'not-the-token-of-region-a',
      };
      const refused = await call(b, 'POST', '/api/v1/clusters?check=true', cluster);
      expect(refused.status).toBe(422);
      expect(refused.body.check).toMatchObject({ reachable: false });
      expect(refused.body.check.error).toMatch(/UNAUTHENTICATED|token/i);
      expect(refused.body.message).toMatch(/nothing was saved/);
      expect(JSON.stringify(refused.body)).not.toContain('not-the-token-of-region-a');
      expect((await ok(b, 'GET', '/api/v1/clusters?name=wrong-token')).total).toBe(0);
      expect((await call(b, 'POST', '/api/v1/clusters?check=maybe', cluster)).status).toBe(400);

      const saved = await call(b, 'POST', '/api/v1/clusters', cluster);
      expect(saved.status).toBe(201);
      const stillWrong = await call(b, 'PATCH', `/api/v1/clusters/${saved.body.id}?check=true`, {
        token: 'still-not-the-token-of-a',
      });
      expect(stillWrong.status).toBe(422);
      const fixed = await call(b, 'PATCH', `/api/v1/clusters/${saved.body.id}?check=true`, { token: TOKEN });
      expect(fixed.status).toBe(200);
      expect((await ok(b, 'POST', `/api/v1/clusters/${saved.body.id}/check`)).reachable).toBe(true);
      await ok(b, 'DELETE', `/api/v1/clusters/${saved.body.id}`);
    });
  });

  describe('export and import', () => {
    it('should carry every cluster and task into a fresh database, naming the secrets to enter again, idempotently', async () => {
      await ok(b, 'POST', '/api/v1/tasks', {
        name: 'paused-one',
        sourceClusterId: regionA,
        targetClusterId: here,
        groupName: 'g1',
        serviceName: 'svc-*',
        exclude: ['svc-x'],
        maxDeleteRatio: 0.25,
      });
      const paused = (await ok(b, 'GET', '/api/v1/tasks?name=paused-one')).items[0];
      await ok(b, 'POST', `/api/v1/tasks/${paused.id}/pause`);
      const doc = await ok(b, 'GET', '/api/v1/export');
      expect(doc.format).toBe('distro-sync/v1');
      expect(JSON.stringify(doc)).not.toContain(TOKEN);
      expect(doc.clusters).toEqual(
        expect.arrayContaining([
          { name: 'region-b', kind: 'local', addresses: [], secrets: [] },
          expect.objectContaining({ name: 'region-a', kind: 'distro', secrets: ['token'] }),
        ]),
      );
      expect(doc.tasks).toContainEqual({
        name: 'paused-one',
        source: 'region-a',
        target: 'region-b',
        namespace: 'public',
        groupName: 'g1',
        serviceName: 'svc-*',
        exclude: ['svc-x'],
        maxDeleteRatio: 0.25,
        status: 'paused',
      });

      const dbC = await createTestDatabase();
      const c = await startTestNode({ ...FAST, DATABASE_URL: dbC.url });
      try {
        const dry = await ok(c, 'POST', '/api/v1/import?dryRun=true', doc);
        expect(dry.dryRun).toBe(true);
        expect((await ok(c, 'GET', '/api/v1/clusters')).total).toBe(0);

        const report = await ok(c, 'POST', '/api/v1/import', doc);
        expect(report.clustersNeedingSecrets).toEqual(['region-a']);
        expect(report.clusters.find((x: { name: string }) => x.name === 'region-a')).toMatchObject({
          action: 'created',
          needsSecrets: ['token'],
        });
        expect(report.tasks.every((t: { action: string }) => t.action === 'created')).toBe(true);
        const again = await ok(c, 'GET', '/api/v1/export');
        expect(again.clusters).toEqual(doc.clusters.map((x: { secrets: string[] }) => ({ ...x, secrets: [] })));
        expect(again.tasks).toEqual(doc.tasks);

        // Twice changes nothing; with the token it needs no more secrets.
        const second = await ok(c, 'POST', '/api/v1/import', doc);
        expect([...second.clusters, ...second.tasks].every((x: { action: string }) => x.action === 'unchanged')).toBe(
          true,
        );
        const withToken = {
          ...doc,
          clusters: doc.clusters.map((x: { name: string }) => (x.name === 'region-a' ? { ...x, token: TOKEN } : x)),
        };
        const third = await ok(c, 'POST', '/api/v1/import', withToken);
        expect(third.clustersNeedingSecrets).toEqual([]);
        expect(third.clusters.find((x: { name: string }) => x.name === 'region-a')).toMatchObject({
          action: 'updated',
          changed: ['token'],
        });
      } finally {
        await c.close();
        await dbC.drop();
      }
    });

    it('should check the whole document first and apply nothing when one item is wrong', async () => {
      const dbD = await createTestDatabase();
      const d = await startTestNode({ ...FAST, DATABASE_URL: dbD.url });
      try {
        const doc = {
          format: 'distro-sync/v1',
          clusters: [{ name: 'x-local', kind: 'local' }],
          tasks: [{ name: 't-ok', source: 'x-local', target: 'nowhere', serviceName: 'a' }],
        };
        const res = await call(d, 'POST', '/api/v1/import', doc);
        expect(res.status).toBe(400);
        expect(res.body.message).toEqual([
          'tasks.0: target names no cluster: nowhere is neither in the document nor in the database',
        ]);
        expect((await ok(d, 'GET', '/api/v1/clusters')).total).toBe(0);
        const invalid = await call(d, 'POST', '/api/v1/import', { ...doc, tasks: [{ name: 't', source: 'x-local' }] });
        expect(invalid.status).toBe(400);
        expect(JSON.stringify(invalid.body.message)).toMatch(/tasks\.0\.target/);
        const format = await call(d, 'POST', '/api/v1/import', { ...doc, format: 'nacos-sync' });
        expect(format.body.message).toEqual(['format must be distro-sync/v1']);
      } finally {
        await d.close();
        await dbD.drop();
      }
    });
  });

  describe('/api/docs', () => {
    it('should list the admin API first, each route with a summary', async () => {
      const doc = (await (await fetch(`${b.base}/api/docs/json`)).json()) as {
        paths: Record<string, Record<string, { summary?: string }>>;
        tags: Array<{ name: string }>;
      };
      const paths = Object.keys(doc.paths);
      const admin = paths.filter((p) => p.startsWith('/api/v1/'));
      expect(paths.slice(0, admin.length)).toEqual(admin);
      expect(doc.tags.slice(0, 2).map((t) => t.name)).toEqual(['clusters', 'tasks']);
      const missing = admin.flatMap((p) =>
        Object.entries(doc.paths[p])
          .filter(([, op]) => !op.summary)
          .map(([m]) => `${m.toUpperCase()} ${p}`),
      );
      expect(missing).toEqual([]);
      expect(admin).toEqual(expect.arrayContaining(['/api/v1/events', '/api/v1/export', '/api/v1/import']));
    });
  });
});
