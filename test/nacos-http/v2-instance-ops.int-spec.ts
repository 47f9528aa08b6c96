import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { call } from './support';

const V2 = '/nacos/v2/ns';

/** Nacos v2 instance calls beyond register/list: detail, beat, PATCH, metadata batches, health; the ephemeral rule. */
describe('Nacos HTTP v2 instance operations', () => {
  let node: TestNode;

  beforeAll(async () => {
    node = await startTestNode({ DATA_DIR: 'memory' });
  });

  afterAll(async () => {
    await node?.close();
  });

  const v2 = (method: string, path: string, params: Record<string, string>) =>
    call(node.base, method, `${V2}${path}`, params, { form: method !== 'GET' });
  const register = (serviceName: string, ip: string, extra: Record<string, string> = {}) =>
    v2('POST', '/instance', { serviceName, groupName: 'G', ip, port: '80', ...extra });
  const detail = async (serviceName: string, ip: string, extra: Record<string, string> = {}) =>
    (await v2('GET', '/instance', { serviceName, groupName: 'G', ip, port: '80', ...extra })).json() as {
      data: Record<string, unknown>;
    };

  describe('GET /instance', () => {
    it('should answer InstanceDetailInfoVo in the envelope', async () => {
      await register('v2d', '10.50.0.1', { weight: '2', metadata: '{"k":"v"}' });
      const res = await v2('GET', '/instance', { serviceName: 'v2d', groupName: 'G', ip: '10.50.0.1', port: '80' });
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({
        code: 0,
        message: 'success',
        data: {
          serviceName: 'G@@v2d',
          ip: '10.50.0.1',
          port: 80,
          clusterName: 'DEFAULT',
          weight: 2,
          healthy: true,
          instanceId: '10.50.0.1#80#DEFAULT#G@@v2d',
          metadata: { k: 'v' },
        },
      });
    });

    it.each([
      [{ ip: '10.50.0.9' }, 404, 20004, 'resource not found', 'no matched ip found!'],
      [
        { serviceName: 'none' },
        404,
        20004,
        'resource not found',
        'no ips found for cluster DEFAULT in service G@@none',
      ],
      [{ clusterName: 'EAST' }, 404, 20004, 'resource not found', 'no matched ip found!'],
      [{ ip: '' }, 400, 10000, 'parameter missing', "Param 'ip' is required."],
      [{ port: '80.5' }, 400, 20002, 'parameter validate error', "Param 'port' must be a port 1-65535."],
    ])('should answer %j with %i and code %i', async (override, status, code, message, data) => {
      await register('v2d', '10.50.0.1');
      const res = await v2('GET', '/instance', {
        serviceName: 'v2d',
        groupName: 'G',
        ip: '10.50.0.1',
        port: '80',
        ...override,
      });
      expect([res.status, res.json()]).toEqual([status, { code, message, data }]);
    });
  });

  describe('PUT /instance/beat', () => {
    it("should answer v1's bare beat JSON, no envelope", async () => {
      const beat = JSON.stringify({ ip: '10.50.1.1', port: 80 });
      const registered = await v2('PUT', '/instance/beat', { serviceName: 'v2beat', groupName: 'G', beat });
      expect(registered.json()).toEqual({ clientBeatInterval: 5000, code: 10200, lightBeatEnabled: true });
      expect((await detail('v2beat', '10.50.1.1')).data).toMatchObject({ ip: '10.50.1.1', healthy: true });

      const unknown = await v2('PUT', '/instance/beat', {
        serviceName: 'v2beat',
        groupName: 'G',
        ip: '10.50.1.2',
        port: '80',
      });
      expect(unknown.json()).toEqual({ clientBeatInterval: 5000, code: 20404, lightBeatEnabled: true });
    });

    it('should keep the envelope for a refused beat', async () => {
      const res = await v2('PUT', '/instance/beat', { serviceName: 'v2beat', beat: '{' });
      expect([res.status, res.json()]).toEqual([
        400,
        { code: 20002, message: 'parameter validate error', data: "Param 'beat' is not valid JSON." },
      ]);
    });
  });

  describe('PATCH /instance', () => {
    const patch = (params: Record<string, string>) =>
      v2('PATCH', '/instance', { serviceName: 'G@@v2p', ip: '10.50.2.1', port: '80', ...params });

    it('should take weight, enabled and metadata, a blank metadata leaving it, and answer a bare ok', async () => {
      await register('v2p', '10.50.2.1', { metadata: '{"a":"1"}' });
      const res = await patch({ weight: '4', enabled: 'true', metadata: '' });
      expect([res.status, res.text]).toEqual([200, 'ok']);
      expect((await detail('v2p', '10.50.2.1')).data).toMatchObject({ weight: 4, metadata: { a: '1' } });

      await patch({ weight: '4', enabled: 'true', metadata: '{"b":"2"}' });
      expect((await detail('v2p', '10.50.2.1')).data).toMatchObject({ metadata: { b: '2' } });
    });

    it('should name the cluster by `cluster`', async () => {
      await register('v2p', '10.50.2.2', { clusterName: 'EAST' });
      const res = await patch({ ip: '10.50.2.2', cluster: 'EAST', weight: '6', enabled: 'true', metadata: '' });
      expect(res.text).toBe('ok');
      expect((await detail('v2p', '10.50.2.2', { clusterName: 'EAST' })).data).toMatchObject({ weight: 6 });
    });

    it.each([
      [{ enabled: 'true', metadata: '' }, 400, 10000, 'parameter missing', "Param 'weight' is required."],
      [{ weight: '1', metadata: '' }, 400, 10000, 'parameter missing', "Param 'enabled' is required."],
      [{ weight: '1', enabled: 'true' }, 400, 10000, 'parameter missing', "Param 'metadata' is required."],
      [
        { weight: '-1', enabled: 'true', metadata: '' },
        400,
        21001,
        'weight error',
        "Param 'weight' must be a number from 0 to 10000.",
      ],
      [
        { ip: '10.50.2.9', weight: '1', enabled: 'true', metadata: '' },
        404,
        20004,
        'resource not found',
        'no matched ip found!',
      ],
    ])('should refuse %j in the envelope', async (params, status, code, message, data) => {
      await register('v2p', '10.50.2.1');
      const res = await patch(params);
      expect([res.status, res.json()]).toEqual([status, { code, message, data }]);
    });
  });

  describe('PUT and DELETE /instance/metadata/batch', () => {
    it('should answer {updated} in the envelope', async () => {
      await register('v2m', '10.50.3.1');
      await register('v2m', '10.50.3.2');
      const put = await v2('PUT', '/instance/metadata/batch', {
        serviceName: 'v2m',
        groupName: 'G',
        metadata: '{"zone":"z1"}',
        instances: JSON.stringify([{ ip: '10.50.3.2', port: 80, clusterName: 'DEFAULT' }]),
      });
      expect(put.json()).toEqual({
        code: 0,
        message: 'success',
        data: { updated: ['10.50.3.2:80:unknown:DEFAULT:ephemeral'] },
      });
      expect((await detail('v2m', '10.50.3.2')).data).toMatchObject({ metadata: { zone: 'z1' } });
      expect((await detail('v2m', '10.50.3.1')).data.metadata).toEqual({});

      const del = await v2('DELETE', '/instance/metadata/batch', {
        serviceName: 'v2m',
        groupName: 'G',
        metadata: 'zone=',
      });
      expect(((del.json() as { data: { updated: string[] } }).data.updated ?? []).sort()).toEqual([
        '10.50.3.1:80:unknown:DEFAULT:ephemeral',
        '10.50.3.2:80:unknown:DEFAULT:ephemeral',
      ]);
      expect((await detail('v2m', '10.50.3.2')).data.metadata).toEqual({});
    });

    it('should refuse a missing metadata with code 10000', async () => {
      const res = await v2('PUT', '/instance/metadata/batch', { serviceName: 'v2m', groupName: 'G' });
      expect([res.status, res.json()]).toEqual([
        400,
        { code: 10000, message: 'parameter missing', data: "Param 'metadata' is required." },
      ]);
    });
  });

  describe('PUT /health/instance', () => {
    it('should set the health of a persistent instance and refuse an ephemeral one', async () => {
      await register('v2h', '10.50.4.1', { ephemeral: 'false' });
      const checked = await v2('PUT', '/health/instance', {
        serviceName: 'v2h',
        groupName: 'G',
        ip: '10.50.4.1',
        port: '80',
        healthy: 'false',
      });
      // Health-checked (TCP, the default) until the cluster is set to NONE.
      expect([checked.status, checked.json()]).toEqual([
        400,
        {
          code: 30000,
          message: 'server error',
          data: 'health check is still working, service: G@@v2h, cluster: DEFAULT',
        },
      ]);
      const none = await call(
        node.base,
        'PUT',
        '/nacos/v1/ns/cluster',
        {
          serviceName: 'G@@v2h',
          clusterName: 'DEFAULT',
          checkPort: '80',
          useInstancePort4Check: 'true',
          healthChecker: '{"type":"NONE"}',
        },
        { form: true },
      );
      expect(none.status).toBe(200);
      for (const path of ['/health/instance', '/health']) {
        const res = await v2('PUT', path, {
          serviceName: 'v2h',
          groupName: 'G',
          ip: '10.50.4.1',
          port: '80',
          healthy: 'false',
        });
        expect(res.json()).toEqual({ code: 0, message: 'success', data: 'ok' });
      }
      expect((await detail('v2h', '10.50.4.1')).data).toMatchObject({ healthy: false });

      await register('v2h-e', '10.50.4.2');
      const refused = await v2('PUT', '/health/instance', {
        serviceName: 'v2h-e',
        groupName: 'G',
        ip: '10.50.4.2',
        port: '80',
        healthy: 'false',
      });
      expect([refused.status, refused.json()]).toEqual([
        400,
        {
          code: 30000,
          message: 'server error',
          data: 'health check is still working, service: G@@v2h-e, cluster: DEFAULT',
        },
      ]);
    });

    it('should refuse a missing healthy with code 10000', async () => {
      const res = await v2('PUT', '/health/instance', {
        serviceName: 'v2h',
        groupName: 'G',
        ip: '10.50.4.1',
        port: '80',
      });
      expect([res.status, res.json()]).toEqual([
        400,
        { code: 10000, message: 'parameter missing', data: "Param 'healthy' is required." },
      ]);
    });
  });

  describe('ephemeral and persistent instances never share a service', () => {
    it('should refuse the other kind with code 30000 and Nacos message', async () => {
      await register('v2k', '10.50.5.1');
      const res = await register('v2k', '10.50.5.2', { ephemeral: 'false' });
      expect([res.status, res.json()]).toEqual([
        400,
        {
          code: 30000,
          message: 'server error',
          data: "Current service G@@v2k is ephemeral service, can't register persistent instance.",
        },
      ]);
    });
  });

  describe('GET /service/list', () => {
    it('should read pageNo=0 as page 1', async () => {
      await register('v2s', '10.50.6.1', { namespaceId: 'v2page0' });
      const res = await v2('GET', '/service/list', { namespaceId: 'v2page0', groupName: 'G', pageNo: '0' });
      expect(res.json()).toEqual({ code: 0, message: 'success', data: { count: 1, services: ['v2s'] } });
    });
  });
});
