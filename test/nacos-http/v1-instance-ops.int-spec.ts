import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { eventually } from '../../tools/support/eventually';
import { NacosClients, call, listHosts } from './support';

const V1 = '/nacos/v1/ns';

/** Nacos v1 calls on existing instances: PATCH, manual health, metadata batches, the console list; the ephemeral rule. */
describe('Nacos HTTP v1 instance operations', () => {
  let node: TestNode;
  let clients: NacosClients | undefined;

  beforeAll(async () => {
    node = await startTestNode({ DATA_DIR: 'memory' });
  });

  afterAll(async () => {
    clients?.stop();
    await node?.close();
  });

  const v1 = (method: string, path: string, params: Record<string, string>) =>
    call(node.base, method, `${V1}${path}`, params, { form: true });
  const register = (serviceName: string, ip: string, extra: Record<string, string> = {}) =>
    v1('POST', '/instance', { serviceName, ip, port: '80', ...extra });
  const detail = async (serviceName: string, ip: string, extra: Record<string, string> = {}) =>
    (await call(node.base, 'GET', `${V1}/instance`, { serviceName, ip, port: '80', ...extra })).json();

  describe('PATCH /instance', () => {
    it('should change only the given fields, metadata replaced whole', async () => {
      await register('patched', '10.20.0.1', { weight: '2', metadata: '{"a":"1","b":"2"}' });

      const res = await v1('PATCH', '/instance', { serviceName: 'patched', ip: '10.20.0.1', port: '80', weight: '5' });
      expect([res.status, res.text]).toEqual([200, 'ok']);
      expect(await detail('patched', '10.20.0.1')).toEqual({
        service: 'DEFAULT_GROUP@@patched',
        ip: '10.20.0.1',
        port: 80,
        clusterName: 'DEFAULT',
        weight: 5,
        healthy: true,
        instanceId: '10.20.0.1#80#DEFAULT#DEFAULT_GROUP@@patched',
        metadata: { a: '1', b: '2' },
      });

      await v1('PATCH', '/instance', { serviceName: 'patched', ip: '10.20.0.1', port: '80', metadata: 'c=3' });
      expect(await detail('patched', '10.20.0.1')).toMatchObject({ weight: 5, metadata: { c: '3' } });

      // `healthy` is not a PATCH field (Nacos ignores it too).
      await v1('PATCH', '/instance', { serviceName: 'patched', ip: '10.20.0.1', port: '80', healthy: 'false' });
      expect(await detail('patched', '10.20.0.1')).toMatchObject({ healthy: true });

      await v1('PATCH', '/instance', { serviceName: 'patched', ip: '10.20.0.1', port: '80', enabled: 'false' });
      expect(await listHosts(node.base, 'patched')).toEqual([]);
      expect(await detail('patched', '10.20.0.1')).toMatchObject({ weight: 5, metadata: { c: '3' } });
    });

    it('should name the cluster by clusterName, else by cluster', async () => {
      await register('patched-c', '10.20.1.1', { clusterName: 'c1' });
      await v1('PATCH', '/instance', {
        serviceName: 'patched-c',
        ip: '10.20.1.1',
        port: '80',
        cluster: 'c1',
        weight: '3',
      });
      await v1('PATCH', '/instance', {
        serviceName: 'patched-c',
        ip: '10.20.1.1',
        port: '80',
        clusterName: 'c1',
        cluster: 'elsewhere',
        weight: '4',
      });
      expect(await detail('patched-c', '10.20.1.1', { clusterName: 'c1' })).toMatchObject({
        clusterName: 'c1',
        weight: 4,
      });
    });

    it.each([
      [{ ip: '10.20.0.9' }, 404, 'no matched ip found!'],
      [
        { serviceName: 'never-registered' },
        404,
        'no ips found for cluster DEFAULT in service DEFAULT_GROUP@@never-registered',
      ],
      [{ weight: '10001' }, 400, "caused: Param 'weight' must be a number from 0 to 10000.;"],
      [{ enabled: 'maybe' }, 400, "caused: Param 'enabled' must be true or false.;"],
      [{ ip: '' }, 400, "caused: Param 'ip' is required.;"],
      [{ port: '0' }, 400, "caused: Param 'port' must be a port 1-65535.;"],
    ])('should refuse %j with %i', async (override, status, text) => {
      await register('patched-e', '10.20.0.1');
      const res = await v1('PATCH', '/instance', {
        serviceName: 'patched-e',
        ip: '10.20.0.1',
        port: '80',
        ...override,
      });
      expect([res.status, res.text]).toEqual([status, text]);
    });

    it('should push the change to a subscribed npm client', async () => {
      await register('patched-push', '10.20.2.1');
      clients = NacosClients.start();
      await clients.create('watcher', node.base);
      await clients.subscribe('watcher', { serviceName: 'patched-push' }, 'patch');
      await eventually(() => Promise.resolve(expect(clients!.notifications.some((n) => n.tag === 'patch')).toBe(true)));
      await v1('PATCH', '/instance', { serviceName: 'patched-push', ip: '10.20.2.1', port: '80', weight: '9' });
      await eventually(() =>
        Promise.resolve(
          expect(clients!.notifications.filter((n) => n.tag === 'patch').at(-1)?.hosts[0]?.weight).toBe(9),
        ),
      );
    });
  });

  describe('PUT /health/instance and /health', () => {
    it('should refuse a persistent instance while its cluster is health-checked (TCP by default)', async () => {
      await register('checked', '10.22.2.1', { ephemeral: 'false' });
      const res = await v1('PUT', '/health/instance', {
        serviceName: 'checked',
        ip: '10.22.2.1',
        port: '80',
        healthy: 'false',
      });
      expect([res.status, res.text]).toEqual([
        400,
        'health check is still working, service: DEFAULT_GROUP@@checked, cluster: DEFAULT',
      ]);
      expect(await detail('checked', '10.22.2.1')).toMatchObject({ healthy: true });
    });

    it('should set the health of a persistent instance of a NONE cluster, by healthy or valid', async () => {
      await register('durable', '10.22.0.1', { ephemeral: 'false' });
      const none = await v1('PUT', '/cluster', {
        serviceName: 'durable',
        clusterName: 'DEFAULT',
        checkPort: '80',
        useInstancePort4Check: 'true',
        healthChecker: '{"type":"NONE"}',
      });
      expect([none.status, none.text]).toEqual([200, 'ok']);
      const res = await v1('PUT', '/health/instance', {
        serviceName: 'durable',
        ip: '10.22.0.1',
        port: '80',
        healthy: 'false',
      });
      expect([res.status, res.text]).toEqual([200, 'ok']);
      expect(await detail('durable', '10.22.0.1')).toMatchObject({ healthy: false });
      expect(await listHosts(node.base, 'durable', { healthyOnly: 'true' })).toEqual([]);

      const again = await v1('PUT', '/health', { serviceName: 'durable', ip: '10.22.0.1', port: '80', valid: 'true' });
      expect([again.status, again.text]).toEqual([200, 'ok']);
      expect(await detail('durable', '10.22.0.1')).toMatchObject({ healthy: true });
    });

    it('should refuse an ephemeral instance: its health follows its beats', async () => {
      await register('beaten', '10.22.1.1');
      const res = await v1('PUT', '/health/instance', {
        serviceName: 'beaten',
        ip: '10.22.1.1',
        port: '80',
        healthy: 'false',
      });
      expect([res.status, res.text]).toEqual([
        400,
        'health check is still working, service: DEFAULT_GROUP@@beaten, cluster: DEFAULT',
      ]);
      expect(await detail('beaten', '10.22.1.1')).toMatchObject({ healthy: true });
    });

    it.each([
      [{ healthy: '' }, "caused: Param 'healthy' is required.;"],
      [{ healthy: 'maybe' }, "caused: Param 'healthy' must be true or false.;"],
      [{ serviceName: '' }, "caused: Param 'serviceName' is required.;"],
      [{ port: '' }, "caused: Param 'port' is required.;"],
    ])('should refuse %j with 400', async (override, text) => {
      const params = { serviceName: 'durable', ip: '10.22.0.1', port: '80', healthy: 'true', ...override };
      const res = await v1('PUT', '/health/instance', params);
      expect([res.status, res.text]).toEqual([400, text]);
    });
  });

  describe('PUT and DELETE /instance/metadata/batch', () => {
    beforeAll(async () => {
      await register('meta', '10.21.0.1');
      await register('meta', '10.21.0.2');
      await register('meta', '10.21.0.3', { clusterName: 'c2' });
      await register('meta', '10.21.0.4', { ephemeral: 'false', namespaceId: 'other' });
    });

    const batch = (method: string, params: Record<string, string>) =>
      v1(method, '/instance/metadata/batch', { serviceName: 'meta', ...params });

    it('should add keys to every instance of the service when none are named', async () => {
      const res = await batch('PUT', { metadata: '{"env":"prod"}' });
      expect(res.status).toBe(200);
      expect(((res.json() as { updated: string[] }).updated ?? []).sort()).toEqual([
        '10.21.0.1:80:unknown:DEFAULT:ephemeral',
        '10.21.0.2:80:unknown:DEFAULT:ephemeral',
        '10.21.0.3:80:unknown:c2:ephemeral',
      ]);
      expect(await detail('meta', '10.21.0.3', { clusterName: 'c2' })).toMatchObject({ metadata: { env: 'prod' } });
    });

    it('should change the named instances only, and remove keys with DELETE', async () => {
      const named = JSON.stringify([
        { ip: '10.21.0.1', port: 80 },
        { ip: '10.21.0.9', port: 80 },
      ]);
      expect((await batch('PUT', { metadata: 'x=1', instances: named })).json()).toEqual({
        updated: ['10.21.0.1:80:unknown:DEFAULT:ephemeral'],
      });
      expect(await detail('meta', '10.21.0.1')).toMatchObject({ metadata: { env: 'prod', x: '1' } });
      expect(await detail('meta', '10.21.0.2')).toMatchObject({ metadata: { env: 'prod' } });

      const removed = await batch('DELETE', {
        metadata: '{"env":""}',
        instances: JSON.stringify([{ ip: '10.21.0.1', port: '80' }]),
      });
      expect(removed.json()).toEqual({ updated: ['10.21.0.1:80:unknown:DEFAULT:ephemeral'] });
      expect(await detail('meta', '10.21.0.1')).toMatchObject({ metadata: { x: '1' } });
    });

    it('should name a persistent instance persist, in its namespace', async () => {
      const res = await batch('PUT', { namespaceId: 'other', metadata: 'k=v', consistencyType: 'persist' });
      expect(res.json()).toEqual({ updated: ['10.21.0.4:80:unknown:DEFAULT:persist'] });
    });

    it.each([
      [{}, "caused: Param 'metadata' is required.;"],
      [{ metadata: 'k=v', instances: '[{' }, "caused: Param 'instances' is not valid JSON.;"],
      [
        { metadata: 'k=v', instances: '{"ip":"10.21.0.1"}' },
        "caused: Param 'instances' must be a JSON array of {ip, port, clusterName}.;",
      ],
      [
        { metadata: 'k=v', instances: '[{"ip":"10.21.0.1","port":0}]' },
        "caused: Param 'instances[0].port' must be a port 1-65535.;",
      ],
      [{ metadata: '[1]' }, "caused: Param 'metadata' must be a JSON object or k=v pairs, got '[1]'.;"],
    ])('should refuse %j with 400', async (params, text) => {
      const res = await batch('PUT', params);
      expect([res.status, res.text]).toEqual([400, text]);
    });
  });

  describe('GET /catalog/instances', () => {
    it('should page one cluster, unhealthy and disabled instances included', async () => {
      await register('cat', '10.23.0.1', { weight: '3', metadata: '{"k":"v"}' });
      await register('cat', '10.23.0.2', { enabled: 'false' });
      await register('cat', '10.23.0.3', { clusterName: 'other' });
      const page = (pageNo: string, pageSize: string) =>
        call(node.base, 'GET', `${V1}/catalog/instances`, {
          serviceName: 'cat',
          clusterName: 'DEFAULT',
          pageNo,
          pageSize,
        });

      const first = await page('1', '1');
      expect(first.status).toBe(200);
      expect(first.json()).toEqual({
        count: 2,
        list: [
          {
            instanceId: '10.23.0.1#80#DEFAULT#DEFAULT_GROUP@@cat',
            ip: '10.23.0.1',
            port: 80,
            weight: 3,
            healthy: true,
            enabled: true,
            ephemeral: true,
            clusterName: 'DEFAULT',
            serviceName: 'DEFAULT_GROUP@@cat',
            metadata: { k: 'v' },
            instanceHeartBeatInterval: 5000,
            instanceHeartBeatTimeOut: 15000,
            ipDeleteTimeout: 30000,
            instanceIdGenerator: 'simple',
          },
        ],
      });
      expect((await page('2', '1')).json()).toMatchObject({ count: 2, list: [{ ip: '10.23.0.2', enabled: false }] });
      expect((await page('3', '1')).json()).toEqual({ count: 2, list: [] });
      // Nacos's arithmetic: page 0 ends before it starts.
      expect((await page('0', '10')).json()).toEqual({ count: 2, list: [] });
    });

    it.each([
      [{ clusterName: '' }, "caused: Param 'clusterName' is required.;"],
      [{ pageNo: '' }, "caused: Param 'pageNo' is required.;"],
      [{ pageSize: 'ten' }, "caused: Param 'pageSize' must be an integer 0-1000000.;"],
      [{ pageSize: '10 ' }, "caused: Param 'pageSize' must be an integer 0-1000000.;"],
      [{ pageNo: '-1' }, "caused: Param 'pageNo' must be an integer 0-1000000.;"],
    ])('should refuse %j with 400', async (override, text) => {
      const params = { serviceName: 'cat', clusterName: 'DEFAULT', pageNo: '1', pageSize: '10', ...override };
      const res = await call(node.base, 'GET', `${V1}/catalog/instances`, params);
      expect([res.status, res.text]).toEqual([400, text]);
    });
  });

  describe('ephemeral and persistent instances never share a service (Nacos 2.x)', () => {
    it('should refuse a persistent instance into an ephemeral service, and the mirror', async () => {
      await register('kind-e', '10.24.0.1');
      const persistent = await register('kind-e', '10.24.0.2', { ephemeral: 'false' });
      expect([persistent.status, persistent.text]).toEqual([
        400,
        "errCode: 400, errMsg: Current service DEFAULT_GROUP@@kind-e is ephemeral service, can't register persistent instance. ",
      ]);

      await register('kind-p', '10.24.1.1', { ephemeral: 'false' });
      const ephemeral = await register('kind-p', '10.24.1.2');
      expect([ephemeral.status, ephemeral.text]).toEqual([
        400,
        "errCode: 400, errMsg: Current service DEFAULT_GROUP@@kind-p is persistent service, can't register ephemeral instance. ",
      ]);
      expect((await listHosts(node.base, 'kind-p')).map((h) => h.ip)).toEqual(['10.24.1.1']);
    });

    it('should refuse a beat that would re-register into a persistent service', async () => {
      await register('kind-b', '10.24.2.1', { ephemeral: 'false' });
      const beat = JSON.stringify({ serviceName: 'DEFAULT_GROUP@@kind-b', ip: '10.24.2.2', port: 80 });
      const res = await call(node.base, 'PUT', `${V1}/instance/beat`, { serviceName: 'DEFAULT_GROUP@@kind-b', beat });
      expect(res.status).toBe(400);
      expect(res.text).toContain("is persistent service, can't register ephemeral instance.");
    });
  });

  describe('GET /service/list', () => {
    it('should read pageNo=0 as page 1, as Nacos', async () => {
      for (const name of ['p0-a', 'p0-b']) await register(name, '10.25.0.1', { namespaceId: 'page0' });
      const zero = await call(node.base, 'GET', `${V1}/service/list`, {
        namespaceId: 'page0',
        pageNo: '0',
        pageSize: '1',
      });
      const one = await call(node.base, 'GET', `${V1}/service/list`, {
        namespaceId: 'page0',
        pageNo: '1',
        pageSize: '1',
      });
      expect(zero.status).toBe(200);
      expect(zero.json()).toEqual(one.json());
      expect(zero.json()).toMatchObject({ count: 2, doms: [expect.any(String)] });
    });
  });

  describe('GET /instance/statuses (v1) and /nacos/v2/ns/instance/statuses/{key}', () => {
    it('should list every instance of the service as ip:port_healthy, unhealthy ones included', async () => {
      await register('statused', '10.23.0.1', { ephemeral: 'false', groupName: 'G', namespaceId: 'st' });
      await register('statused', '10.23.0.2', { ephemeral: 'false', groupName: 'G', namespaceId: 'st' });
      await v1('PUT', '/cluster', {
        serviceName: 'statused',
        groupName: 'G',
        namespaceId: 'st',
        clusterName: 'DEFAULT',
        checkPort: '80',
        useInstancePort4Check: 'true',
        healthChecker: '{"type":"NONE"}',
      });
      const down = await v1('PUT', '/health/instance', {
        serviceName: 'statused',
        groupName: 'G',
        namespaceId: 'st',
        ip: '10.23.0.2',
        port: '80',
        healthy: 'false',
      });
      expect([down.status, down.text]).toEqual([200, 'ok']);

      const v1res = await call(node.base, 'GET', `${V1}/instance/statuses`, { key: 'st##G@@statused' });
      const v2res = await call(
        node.base,
        'GET',
        `/nacos/v2/ns/instance/statuses/${encodeURIComponent('st##G@@statused')}`,
      );
      expect(v1res.status).toBe(200);
      expect((v1res.json() as { ips: string[] }).ips.sort()).toEqual(['10.23.0.1:80_true', '10.23.0.2:80_false']);
      expect(v2res.json()).toEqual(v1res.json());
      expect((await call(node.base, 'GET', `${V1}/instance/statuses`, { key: 'G@@nothing' })).json()).toEqual({
        ips: [],
      });
    });

    it('should refuse a key without a grouped service name, or none, as Nacos', async () => {
      const ungrouped = await call(node.base, 'GET', `${V1}/instance/statuses`, { key: 'st##statused' });
      const missing = await call(node.base, 'GET', `${V1}/instance/statuses`);
      const v2 = await call(node.base, 'GET', '/nacos/v2/ns/instance/statuses/statused');

      expect([ungrouped.status, ungrouped.text]).toEqual([
        400,
        "caused: Param 'serviceName' is illegal, it should be format as 'groupName@@serviceName', got 'statused'.;",
      ]);
      expect([missing.status, missing.text]).toEqual([400, "caused: Param 'key' is required.;"]);
      expect(v2.status).toBe(400);
      expect(v2.json()).toMatchObject({ code: 21000, message: 'service name error' });
    });
  });
});
