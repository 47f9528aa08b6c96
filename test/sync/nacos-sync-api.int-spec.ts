import { createHash } from 'node:crypto';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';
import { eventually } from '../../tools/support/eventually';

const TOKEN = 'nacos-sync-api-admin-token-01';
const md5 = (text: string): string => createHash('md5').update(text).digest('hex');
const OK = { success: true, resultCode: 'SUCCESS', resultMessage: null };

/**
 * Nacos-Sync 0.5's REST API as its users' scripts call it (reference/nacos-sync-api.md): JSON bodies
 * on POST, query parameters on GET and DELETE, HTTP 200 with the BaseResult envelope for success and
 * failure alike, Nacos-Sync's ids (MD5s of names) and status values — over our clusters and tasks.
 */
describe('Nacos-Sync API', () => {
  let db: TestDatabase;
  let sut: TestNode;

  const ns = async (method: string, path: string, params?: Record<string, string | string[]>, body?: unknown) => {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(params ?? {})) for (const one of [v].flat()) qs.append(k, one);
    const res = await fetch(`${sut.base}/v1${path}${qs.size ? `?${qs.toString()}` : ''}`, {
      method,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect({ path, status: res.status }).toEqual({ path, status: 200 });
    return (await res.json()) as Record<string, any>;
  };
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${sut.base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: res.status === 204 ? undefined : ((await res.json()) as any) };
  };
  const failed = (message: RegExp) => ({
    success: false,
    resultCode: 'SYSTEM_ERROR',
    resultMessage: expect.stringMatching(message),
  });

  const ids = { local: md5('region-b_LOCAL'), distro: md5('region-a_DISTRO'), nacos: md5('shanghai_NACOS') };

  beforeAll(async () => {
    db = await createTestDatabase();
    sut = await startTestNode({
      DATABASE_URL: db.url,
      ADMIN_TOKEN: TOKEN,
      SECRET_KEY: 'nacos-sync-api-secret-key-0123456789ab',
      LOG_LEVEL: 'warn',
    });
  });

  afterAll(async () => {
    await sut?.close();
    await db?.drop();
  });

  it('should sit behind the admin token', async () => {
    const res = await fetch(`${sut.base}/v1/cluster/types`);
    expect(res.status).toBe(401);
  });

  describe('clusters', () => {
    it('should list the types it speaks', async () => {
      expect(await ns('GET', '/cluster/types')).toEqual({ ...OK, types: ['NACOS', 'ZK', 'DISTRO', 'ETCD', 'LOCAL'] });
    });

    it("should add clusters with Nacos-Sync's fields and show them with its ids and connectKeyList", async () => {
      expect(
        await ns('POST', '/cluster/add', undefined, {
          clusterName: 'shanghai',
          clusterType: 'NACOS',
          connectKeyList: ['127.0.0.1:1'],
          userName: 'nacos',
          password: 'nacos-password',
          namespace: 'public',
        }),
      ).toEqual(OK);
      expect(
        await ns('POST', '/cluster/add', undefined, {
          clusterName: 'region-b',
          clusterType: 'LOCAL',
          connectKeyList: [],
        }),
      ).toEqual(OK);
      expect(
        await ns('POST', '/cluster/add', undefined, {
          clusterName: 'region-a',
          clusterType: 'DISTRO',
          connectKeyList: [`127.0.0.1:${sut.httpPort}/${sut.grpcPort}`],
          password: TOKEN,
        }),
      ).toEqual(OK);

      const detail = await ns('GET', '/cluster/detail', { clusterId: ids.nacos });
      expect(detail).toEqual({
        ...OK,
        clusterModel: {
          clusterId: ids.nacos,
          connectKeyList: '["127.0.0.1:1"]',
          clusterName: 'shanghai',
          clusterType: 'NACOS',
          namespace: 'public',
          userName: 'nacos',
        },
      });
      expect(JSON.stringify(detail)).not.toContain('nacos-password');
      // The DISTRO cluster's password is its registry API token: the cluster check authenticates with it.
      const ours = (await admin('GET', '/clusters?name=region-a')).body.items[0];
      expect(ours).toMatchObject({ kind: 'distro', hasCredentials: true, username: null });
      expect((await admin('POST', `/clusters/${ours.id}/check`)).body.reachable).toBe(true);
      // Our own ids work too.
      expect((await ns('GET', '/cluster/detail', { clusterId: ours.id })).clusterModel.clusterId).toBe(ids.distro);
    });

    it('should page the list newest first and filter it by part of the name', async () => {
      const page = await ns('GET', '/cluster/list', { pageNum: '1', pageSize: '2' });
      expect(page).toMatchObject({ ...OK, totalPage: 2, totalSize: 3, currentSize: 2 });
      expect(page.clusterModels.map((c: { clusterName: string }) => c.clusterName)).toEqual(['region-a', 'region-b']);
      const named = await ns('GET', '/cluster/list', { pageNum: '1', pageSize: '10', clusterName: 'ANGH' });
      expect(named.clusterModels.map((c: { clusterId: string }) => c.clusterId)).toEqual([ids.nacos]);
    });

    it('should answer refusals as Nacos-Sync does: HTTP 200, success false, SYSTEM_ERROR and the reason', async () => {
      const add = (body: unknown) => ns('POST', '/cluster/add', undefined, body);
      expect(await add({ clusterName: 'shanghai', clusterType: 'NACOS', connectKeyList: ['b:8848'] })).toEqual(
        failed(/a cluster with this name exists/),
      );
      expect(await add({ clusterName: 'eu', clusterType: 'EUREKA', connectKeyList: ['e:8761'] })).toEqual(
        failed(/clusterType EUREKA is not supported by distro-sync/),
      );
      expect(await add({ clusterName: 'x', clusterType: 'MYSQL', connectKeyList: ['e:1'] })).toEqual(
        failed(/clusterType does not exist: MYSQL/),
      );
      expect(await add({ clusterName: 'x', clusterType: 'NACOS', connectKeyList: [] })).toEqual(
        failed(/connectKeyList must not be empty/),
      );
      expect(await add({ clusterName: 'cluster of ShangHai', clusterType: 'NACOS', connectKeyList: ['a:1'] })).toEqual(
        failed(/^clusterName may contain letters/),
      );
      expect(await add({ clusterType: 'NACOS', connectKeyList: ['a:1'] })).toEqual(failed(/clusterName/));
      expect(await ns('GET', '/cluster/detail', { clusterId: 'feedface' })).toEqual(
        failed(/cluster feedface not found/),
      );
      expect(await ns('GET', '/cluster/list', { pageNum: '0' })).toEqual(failed(/pageNum/));
    });
  });

  describe('tasks', () => {
    const taskOf = async (serviceName: string) =>
      (await admin('GET', `/tasks?pageSize=500`)).body.items.find(
        (t: { serviceName: string }) => t.serviceName === serviceName,
      );

    it('should add a task with its derived id, SYNC status, and set an existing one back to SYNC', async () => {
      const body = { sourceClusterId: ids.distro, destClusterId: ids.local, serviceName: 'orders', groupName: 'g1' };
      expect(await ns('POST', '/task/add', undefined, { ...body, version: '1.0.0' })).toEqual(OK);
      const taskId = md5(`orders_g1_${ids.distro}_${ids.local}`);
      expect(await ns('GET', '/task/detail', { taskId })).toEqual({
        ...OK,
        taskModel: {
          taskId,
          sourceClusterId: ids.distro,
          destClusterId: ids.local,
          serviceName: 'orders',
          groupName: 'g1',
          taskStatus: 'SYNC',
        },
      });
      const ours = await taskOf('orders');
      await admin('POST', `/tasks/${ours.id}/pause`);
      expect((await ns('GET', '/task/detail', { taskId })).taskModel.taskStatus).toBe('PAUSED');
      expect(await ns('POST', '/task/add', undefined, body)).toEqual(OK);
      expect((await ns('GET', '/task/detail', { taskId })).taskModel.taskStatus).toBe('SYNC');
      expect((await admin('GET', '/tasks?name=orders')).body.total).toBe(1);
    });

    it('should take ALL for every service and addAll as one task that leaves consumers out', async () => {
      expect(
        await ns('POST', '/task/add', undefined, {
          sourceClusterId: ids.distro,
          destClusterId: ids.local,
          serviceName: 'ALL',
          groupName: 'g2',
        }),
      ).toEqual(OK);
      const all = (await admin('GET', '/tasks?pageSize=500')).body.items.find(
        (t: { groupName: string }) => t.groupName === 'g2',
      );
      expect(all.serviceName).toBe('*');
      const taskId = md5(`ALL_g2_${ids.distro}_${ids.local}`);
      expect((await ns('GET', '/task/detail', { taskId })).taskModel.serviceName).toBe('ALL');

      expect(
        await ns('POST', '/task/addAll', undefined, { sourceClusterId: ids.distro, destClusterId: ids.local }),
      ).toEqual(OK);
      const every = (await admin('GET', '/tasks?pageSize=500')).body.items.find(
        (t: { groupName: string; serviceName: string }) => t.groupName === '*' && t.serviceName === '*',
      );
      expect(every).toMatchObject({ namespace: '*', exclude: ['consumers:*'], status: 'running' });
      expect(
        await ns('POST', '/task/addAll', undefined, {
          sourceClusterId: ids.distro,
          destClusterId: ids.local,
          excludeConsumer: false,
        }),
      ).toEqual(OK);
      expect((await admin('GET', `/tasks/${every.id}`)).body.exclude).toEqual([]);
    });

    it('should page the task list newest first, filtered by part of the service name', async () => {
      const page = await ns('GET', '/task/list', { pageNum: '1', pageSize: '2' });
      expect(page).toMatchObject({ ...OK, totalPage: 2, totalSize: 3, currentSize: 2 });
      expect(page.taskModels.map((t: { groupName: string }) => t.groupName)).toEqual(['*', 'g2']);
      const named = await ns('GET', '/task/list', { pageNum: '1', pageSize: '10', serviceName: 'ORD' });
      expect(named.taskModels.map((t: { serviceName: string }) => t.serviceName)).toEqual(['orders']);
    });

    it('should refuse a bad status, an unknown task and a missing cluster with the envelope', async () => {
      const taskId = md5(`orders_g1_${ids.distro}_${ids.local}`);
      expect(await ns('POST', '/task/update', undefined, { taskId, taskStatus: 'PAUSE' })).toEqual(
        failed(/taskStatus must be SYNC or DELETE, not PAUSE/),
      );
      expect(await ns('GET', '/task/detail', { taskId: 'nope' })).toEqual(failed(/task nope not found/));
      expect(
        await ns('POST', '/task/add', undefined, {
          sourceClusterId: 'nope',
          destClusterId: ids.local,
          serviceName: 'x',
        }),
      ).toEqual(failed(/cluster nope not found/));
      expect(
        await ns('POST', '/task/add', undefined, {
          sourceClusterId: ids.local,
          destClusterId: ids.local,
          serviceName: 'x',
        }),
      ).toEqual(failed(/destClusterId must differ from sourceClusterId|targetClusterId must differ/));
      expect(await ns('DELETE', '/cluster/delete', { clusterId: ids.local })).toEqual(
        failed(/the cluster is the target of a task; delete the task first/),
      );
    });

    it('should delete with DELETE status, /delete and /deleteInBatch, withdrawing and then dropping the tasks', async () => {
      const orders = md5(`orders_g1_${ids.distro}_${ids.local}`);
      expect(await ns('POST', '/task/update', undefined, { taskId: orders, taskStatus: 'DELETE' })).toEqual(OK);
      const gone = async (taskId: string) =>
        eventually(async () => expect(await ns('GET', '/task/detail', { taskId })).toEqual(failed(/not found/)));
      await gone(orders);

      const allG2 = md5(`ALL_g2_${ids.distro}_${ids.local}`);
      expect(await ns('DELETE', '/task/delete', { taskId: allG2 })).toEqual(OK);
      await gone(allG2);

      // A batch with one unknown id deletes nothing.
      const every = md5(`ALL_*_${ids.distro}_${ids.local}`);
      expect(await ns('DELETE', '/task/deleteInBatch', { taskIds: [every, 'nope'] })).toEqual(
        failed(/task nope not found/),
      );
      expect((await ns('GET', '/task/detail', { taskId: every })).taskModel.taskStatus).toBe('SYNC');
      await ns('POST', '/task/add', undefined, {
        sourceClusterId: ids.distro,
        destClusterId: ids.local,
        serviceName: 'b1',
      });
      const b1 = md5(`b1_DEFAULT_GROUP_${ids.distro}_${ids.local}`);
      expect(await ns('DELETE', '/task/deleteInBatch', { taskIds: `${every},${b1}` })).toEqual(OK);
      await gone(every);
      await gone(b1);
      const events = (await admin('GET', '/events?kind=delete-requested')).body;
      expect(events.total).toBe(4);

      expect(await ns('DELETE', '/cluster/delete', { clusterId: ids.nacos })).toEqual(OK);
      expect(await ns('GET', '/cluster/detail', { clusterId: ids.nacos })).toEqual(failed(/not found/));
    });
  });
});
