import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { call } from './support';

const V2 = '/nacos/v2/ns';

/** Nacos Open API v2: the `{code, message, data}` envelope and the v2 error codes. */
describe('Nacos HTTP v2', () => {
  let node: TestNode;

  beforeAll(async () => {
    node = await startTestNode({ DATA_DIR: 'memory' });
  });

  afterAll(async () => {
    await node?.close();
  });

  const instance = (method: string, params: Record<string, string>) =>
    call(node.base, method, `${V2}/instance`, params, { form: true });

  it('should register, list, update and deregister with the envelope', async () => {
    const registered = await instance('POST', {
      serviceName: 'v2svc',
      groupName: 'G',
      ip: '10.0.0.1',
      port: '80',
      weight: '2',
    });
    expect(registered.status).toBe(200);
    expect(registered.json()).toEqual({ code: 0, message: 'success', data: 'ok' });

    const listed = await call(node.base, 'GET', `${V2}/instance/list`, { serviceName: 'v2svc', groupName: 'G' });
    expect(listed.json()).toMatchObject({
      code: 0,
      message: 'success',
      data: { name: 'G@@v2svc', groupName: 'G', hosts: [{ ip: '10.0.0.1', port: 80, weight: 2 }] },
    });

    expect(
      (await instance('PUT', { serviceName: 'v2svc', groupName: 'G', ip: '10.0.0.1', port: '80', weight: '5' })).json(),
    ).toMatchObject({
      code: 0,
    });
    const updated = (
      await call(node.base, 'GET', `${V2}/instance/list`, { serviceName: 'v2svc', groupName: 'G' })
    ).json() as {
      data: { hosts: Array<{ weight: number }> };
    };
    expect(updated.data.hosts[0]?.weight).toBe(5);

    expect(
      (await instance('DELETE', { serviceName: 'v2svc', groupName: 'G', ip: '10.0.0.1', port: '80' })).json(),
    ).toEqual({
      code: 0,
      message: 'success',
      data: 'ok',
    });
    const after = (
      await call(node.base, 'GET', `${V2}/instance/list`, { serviceName: 'v2svc', groupName: 'G' })
    ).json() as {
      data: { hosts: unknown[] };
    };
    expect(after.data.hosts).toEqual([]);
  });

  it('should page the service list with data {count, services}', async () => {
    for (const name of ['a', 'b', 'c'])
      await instance('POST', { serviceName: name, namespaceId: 'v2ns', ip: '10.0.0.2', port: '80' });
    const res = await call(node.base, 'GET', `${V2}/service/list`, { namespaceId: 'v2ns', pageNo: '1', pageSize: '2' });
    const body = res.json() as { code: number; data: { count: number; services: string[] } };
    expect(body.code).toBe(0);
    expect(body.data.count).toBe(3);
    expect(body.data.services).toHaveLength(2);
  });

  it.each([
    [{ ip: '10.0.0.1', port: '80' }, 10000, 'parameter missing', "Param 'serviceName' is required."],
    [{ serviceName: 's', port: '80' }, 10000, 'parameter missing', "Param 'ip' is required."],
    [{ serviceName: 's', ip: '10.0.0.1', port: '0' }, 20002, 'parameter validate error', "Param 'port'"],
    [{ serviceName: 's', ip: '10.0.0.1', port: '80', weight: '20000' }, 21001, 'weight error', "Param 'weight'"],
    [
      { serviceName: 's', ip: '10.0.0.1', port: '80', metadata: '[1]' },
      21002,
      'instance metadata error',
      "Param 'metadata'",
    ],
    [{ serviceName: 'a@@b@@c', ip: '10.0.0.1', port: '80' }, 21000, 'service name error', "Param 'serviceName'"],
  ])('should refuse %j with code %d', async (params, code, message, detail) => {
    const res = await instance('POST', params);
    expect(res.status).toBe(400);
    const body = res.json() as { code: number; message: string; data: string };
    expect(body).toMatchObject({ code, message });
    expect(body.data).toContain(detail);
  });

  it('should refuse a bad page size on the service list with code 20002', async () => {
    const res = await call(node.base, 'GET', `${V2}/service/list`, { pageSize: 'many' });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({
      code: 20002,
      message: 'parameter validate error',
      data: "Param 'pageSize' must be a positive integer.",
    });
  });

  it.each([
    [{ metadata: '{"k":"a\\u0000b"}' }, 21002, "Param 'metadata' value must not contain NUL characters"],
    [{ metadata: '\u0000=\u0000' }, 21002, "Param 'metadata' key must not contain NUL characters"],
    [{ weight: '0x50' }, 21001, "Param 'weight'"],
    [{ weight: '+80' }, 21001, "Param 'weight'"],
    [{ port: ' 80' }, 20002, "Param 'port'"],
    [{ healthy: 'maybe' }, 20002, "Param 'healthy' must be true or false."],
    [{ serviceName: 'v2\u0001bad' }, 20002, "Param 'serviceName' must not contain control characters."],
    [{ clusterName: 'c\u009b' }, 20002, "Param 'clusterName'"],
  ])('should refuse %j with the envelope (code %d) and register nothing (issue 16)', async (bad, code, data) => {
    const res = await instance('POST', { serviceName: 'v2strict', ip: '10.0.0.7', port: '80', ...bad });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ code, data: expect.stringContaining(data) as unknown });
    const list = await call(node.base, 'GET', `${V2}/instance/list`, { serviceName: 'v2strict' });
    expect((list.json() as { data: { hosts: unknown[] } }).data.hosts).toEqual([]);
  });

  it('should refuse a list without serviceName with code 10000', async () => {
    const res = await call(node.base, 'GET', `${V2}/instance/list`, {});
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ code: 10000, data: "Param 'serviceName' is required." });
  });

  it('should answer 21004 when updating an instance that does not exist', async () => {
    const res = await instance('PUT', { serviceName: 'ghost', ip: '10.0.0.1', port: '80' });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ code: 21004, message: 'instance error' });
  });
});
