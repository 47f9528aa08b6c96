import { NacosNamingClient } from '@/sync/adapters/nacos-grpc-client';
import type { NacosServiceInfo } from '@/sync/adapters/nacos-grpc-client';
import { eventually } from '../../tools/support/eventually';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { call } from '../nacos-http/support';

const V1 = '/nacos/v1/ns';
const V2 = '/nacos/v2/ns';
const LABEL_SELECTOR = '{"type":"label","expression":"CONSUMER.label.zone = PROVIDER.label.zone"}';

/** Service CRUD on v1 and v2 (ServiceController, ServiceControllerV2): params, defaults, shapes, errors. */
describe('Nacos service CRUD', () => {
  let node: TestNode;

  beforeAll(async () => {
    node = await startTestNode({ DATA_DIR: 'memory', NACOS_GRPC_PORT: '0' });
  });

  afterAll(async () => {
    await node?.close();
  });

  const v1 = (method: string, params: Record<string, string>) =>
    call(node.base, method, `${V1}/service`, params, { form: method !== 'GET' });
  const v2 = (method: string, params: Record<string, string>) =>
    call(node.base, method, `${V2}/service`, params, { form: method !== 'GET' });
  const register = (params: Record<string, string>) =>
    call(node.base, 'POST', `${V1}/instance`, params, { form: true });

  describe('v1', () => {
    it('should create a persistent service with its threshold, metadata and selector, and list it empty', async () => {
      const created = await v1('POST', {
        serviceName: 'crud1',
        protectThreshold: '0.5',
        metadata: '{"team":"a"}',
        selector: LABEL_SELECTOR,
      });
      expect([created.status, created.text]).toEqual([200, 'ok']);
      const detail = await v1('GET', { serviceName: 'crud1' });
      expect(detail.status).toBe(200);
      expect(detail.json()).toEqual({
        namespaceId: 'public',
        groupName: 'DEFAULT_GROUP',
        name: 'crud1',
        protectThreshold: 0.5,
        metadata: { team: 'a' },
        selector: {
          type: 'label',
          expression: 'CONSUMER.label.zone = PROVIDER.label.zone',
          labels: ['zone'],
          contextType: 'CMDB',
        },
        clusters: [],
      });
      const list = await call(node.base, 'GET', `${V1}/service/list`, { pageNo: '1', pageSize: '100' });
      expect((list.json() as { doms: string[] }).doms).toContain('crud1');
    });

    it('should take the defaults: threshold 0, no metadata, the none selector, DEFAULT_GROUP or the given group', async () => {
      expect((await v1('POST', { serviceName: 'g1@@crud2', protectThreshold: '1e-50' })).text).toBe('ok');
      expect((await v1('GET', { serviceName: 'crud2', groupName: 'g1' })).json()).toEqual({
        namespaceId: 'public',
        groupName: 'g1',
        name: 'crud2',
        protectThreshold: 0,
        metadata: {},
        selector: { type: 'none', contextType: 'NONE' },
        clusters: [],
      });
    });

    it('should refuse a service that exists, with Nacos message', async () => {
      const again = await v1('POST', { serviceName: 'crud1' });
      expect([again.status, again.text]).toEqual([400, 'specified service DEFAULT_GROUP@@crud1 already exists!']);
      await register({ serviceName: 'implicit1', ip: '10.80.0.1', port: '80' });
      const implicit = await v1('POST', { serviceName: 'implicit1' });
      expect([implicit.status, implicit.text]).toEqual([
        400,
        'specified service DEFAULT_GROUP@@implicit1 already exists!',
      ]);
    });

    it('should keep a created service persistent: an ephemeral instance is refused as Nacos 2.x refuses it', async () => {
      const refused = await register({ serviceName: 'crud1', ip: '10.80.0.2', port: '80' });
      expect(refused.status).toBe(400);
      expect(refused.text).toBe(
        "errCode: 400, errMsg: Current service DEFAULT_GROUP@@crud1 is persistent service, can't register ephemeral instance. ",
      );
      const persistent = await register({ serviceName: 'crud1', ip: '10.80.0.2', port: '80', ephemeral: 'false' });
      expect(persistent.status).toBe(200);
      const detail = (await v1('GET', { serviceName: 'crud1' })).json() as { clusters: unknown[] };
      expect(detail.clusters).toEqual([{ name: 'DEFAULT', healthChecker: { type: 'TCP' }, metadata: {} }]);
    });

    it('should refuse bad params naming them, and change nothing', async () => {
      const cases: Array<[Record<string, string>, unknown]> = [
        [{}, "caused: Param 'serviceName' is required.;"],
        [
          { serviceName: 'bad', protectThreshold: '1.5' },
          "caused: Param 'protectThreshold' must be a number from 0 to 1.;",
        ],
        [
          { serviceName: 'bad', protectThreshold: 'x' },
          "caused: Param 'protectThreshold' must be a number from 0 to 1.;",
        ],
        [
          { serviceName: 'bad', protectThreshold: '-0.1' },
          "caused: Param 'protectThreshold' must be a number from 0 to 1.;",
        ],
        [{ serviceName: 'bad', selector: '{"type":"cmdb"}' }, 'caused: not match any type of selector!;'],
        [{ serviceName: 'bad', selector: '{"expression":"x"}' }, 'caused: not match any type of selector!;'],
        [{ serviceName: 'bad', selector: '{"type":' }, "caused: Param 'selector' is not valid JSON.;"],
        [
          { serviceName: 'bad', selector: '{"type":"label","expression":"CONSUMER.label.a = PROVIDER.label.b"}' },
          'caused: Selector parses failed: parse expression failed!;',
        ],
        [{ serviceName: 'bad', metadata: '{"a":{"b":1}}' }, "caused: Param 'metadata' value of 'a' must be a string.;"],
        [{ serviceName: 'a@@b@@c' }, expect.stringContaining("Param 'serviceName' is illegal")],
      ];
      for (const [params, text] of cases) {
        const res = await v1('POST', params);
        expect([res.status, res.text]).toEqual([400, text]);
      }
      expect((await v1('GET', { serviceName: 'bad' })).status).toBe(400);
    });

    it('should update threshold, selector and metadata as a whole (protectThreshold required)', async () => {
      const missing = await v1('PUT', { serviceName: 'crud1' });
      expect([missing.status, missing.text]).toEqual([400, "caused: Param 'protectThreshold' is required.;"]);
      expect((await v1('PUT', { serviceName: 'crud1', protectThreshold: '0.8' })).text).toBe('ok');
      expect((await v1('GET', { serviceName: 'crud1' })).json()).toMatchObject({
        protectThreshold: 0.8,
        metadata: {},
        selector: { type: 'none', contextType: 'NONE' },
      });
      const unknown = await v1('PUT', { serviceName: 'nope', protectThreshold: '0.1' });
      expect([unknown.status, unknown.text]).toEqual([400, 'service DEFAULT_GROUP@@nope not found!']);
    });

    it('should store metadata on a service that only had instances, keeping their kind', async () => {
      expect((await v1('PUT', { serviceName: 'implicit1', protectThreshold: '0.3', metadata: 'a=1' })).text).toBe('ok');
      expect((await v1('GET', { serviceName: 'implicit1' })).json()).toMatchObject({
        protectThreshold: 0.3,
        metadata: { a: '1' },
      });
      await call(node.base, 'DELETE', `${V1}/instance`, { serviceName: 'implicit1', ip: '10.80.0.1', port: '80' });
      // Kept without instances, and still ephemeral.
      expect((await v1('GET', { serviceName: 'implicit1' })).status).toBe(200);
      const persistent = await register({ serviceName: 'implicit1', ip: '10.80.0.1', port: '81', ephemeral: 'false' });
      expect(persistent.text).toContain('is ephemeral service');
    });

    it('should refuse to delete a service with instances or an unknown one, and delete an empty one', async () => {
      const full = await v1('DELETE', { serviceName: 'crud1' });
      expect([full.status, full.text]).toEqual([
        400,
        "Service DEFAULT_GROUP@@crud1 is not empty, can't be delete. Please unregister instance first",
      ]);
      const unknown = await v1('DELETE', { serviceName: 'nope' });
      expect([unknown.status, unknown.text]).toEqual([400, 'service DEFAULT_GROUP@@nope not found!']);
      await call(node.base, 'DELETE', `${V1}/instance`, {
        serviceName: 'crud1',
        ip: '10.80.0.2',
        port: '80',
        ephemeral: 'false',
      });
      expect((await v1('DELETE', { serviceName: 'crud1' })).text).toBe('ok');
      const gone = await v1('GET', { serviceName: 'crud1' });
      expect([gone.status, gone.text]).toEqual([
        400,
        'service not found, namespace: public, serviceName: DEFAULT_GROUP@@crud1',
      ]);
      const list = await call(node.base, 'GET', `${V1}/service/list`, { pageNo: '1', pageSize: '100' });
      expect((list.json() as { doms: string[] }).doms).not.toContain('crud1');
    });
  });

  describe('v2', () => {
    it('should create, describe, update and delete in the envelope', async () => {
      const created = await v2('POST', {
        serviceName: 'crud3',
        groupName: 'G2',
        namespaceId: 'ns-crud',
        protectThreshold: '0.25',
        metadata: '{"k":"v"}',
        ephemeral: 'true',
      });
      expect(created.json()).toEqual({ code: 0, message: 'success', data: 'ok' });
      const detail = await v2('GET', { serviceName: 'crud3', groupName: 'G2', namespaceId: 'ns-crud' });
      expect(detail.json()).toEqual({
        code: 0,
        message: 'success',
        data: {
          namespace: 'ns-crud',
          serviceName: 'crud3',
          groupName: 'G2',
          clusterMap: {},
          metadata: { k: 'v' },
          protectThreshold: 0.25,
          selector: { type: 'none', contextType: 'NONE' },
          ephemeral: true,
        },
      });
      await register({
        serviceName: 'G2@@crud3',
        namespaceId: 'ns-crud',
        ip: '10.81.0.1',
        port: '80',
        clusterName: 'C1',
      });
      const withCluster = (await v2('GET', { serviceName: 'crud3', groupName: 'G2', namespaceId: 'ns-crud' })).json();
      expect(withCluster).toMatchObject({
        data: { clusterMap: { C1: { clusterName: 'C1', healthChecker: { type: 'TCP' }, metadata: {} } } },
      });
      const update = await v2('PUT', {
        serviceName: 'crud3',
        groupName: 'G2',
        namespaceId: 'ns-crud',
        selector: LABEL_SELECTOR,
      });
      expect(update.json()).toEqual({ code: 0, message: 'success', data: 'ok' });
      expect((await v2('GET', { serviceName: 'crud3', groupName: 'G2', namespaceId: 'ns-crud' })).json()).toMatchObject(
        {
          data: { protectThreshold: 0, metadata: {}, selector: { type: 'label', labels: ['zone'] }, ephemeral: true },
        },
      );
      const notEmpty = await v2('DELETE', { serviceName: 'crud3', groupName: 'G2', namespaceId: 'ns-crud' });
      expect([notEmpty.status, notEmpty.json()]).toEqual([
        400,
        {
          code: 21009,
          message: 'service delete failure',
          data: "Service G2@@crud3 is not empty, can't be delete. Please unregister instance first",
        },
      ]);
      await call(node.base, 'DELETE', `${V1}/instance`, {
        serviceName: 'G2@@crud3',
        namespaceId: 'ns-crud',
        ip: '10.81.0.1',
        port: '80',
        clusterName: 'C1',
      });
      expect((await v2('DELETE', { serviceName: 'crud3', groupName: 'G2', namespaceId: 'ns-crud' })).json()).toEqual({
        code: 0,
        message: 'success',
        data: 'ok',
      });
    });

    it('should default to a persistent service in DEFAULT_GROUP', async () => {
      expect((await v2('POST', { serviceName: 'crud4' })).json()).toMatchObject({ code: 0 });
      expect((await v2('GET', { serviceName: 'crud4' })).json()).toMatchObject({
        data: { namespace: 'public', groupName: 'DEFAULT_GROUP', protectThreshold: 0, ephemeral: false },
      });
    });

    it('should answer each error with its code', async () => {
      const cases: Array<[string, Record<string, string>, number, number, string, string]> = [
        ['POST', {}, 400, 10000, 'parameter missing', "Param 'serviceName' is required."],
        [
          'POST',
          { serviceName: 'crud4' },
          400,
          21007,
          'service already exist',
          'specified service DEFAULT_GROUP@@crud4 already exists!',
        ],
        ['PUT', { serviceName: 'nope' }, 400, 21008, 'service not exist', 'service DEFAULT_GROUP@@nope not found!'],
        ['DELETE', { serviceName: 'nope' }, 400, 21008, 'service not exist', 'service DEFAULT_GROUP@@nope not found!'],
        [
          'GET',
          { serviceName: 'nope' },
          400,
          21008,
          'service not exist',
          'service not found, namespace: public, serviceName: DEFAULT_GROUP@@nope',
        ],
        [
          'POST',
          { serviceName: 'x', selector: '{"type":"x"}' },
          400,
          21006,
          'selector error',
          'not match any type of selector!',
        ],
        [
          'POST',
          { serviceName: 'x', metadata: '[1]' },
          400,
          21005,
          'service metadata error',
          "Param 'metadata' must be a JSON object or k=v pairs, got '[1]'.",
        ],
        [
          'POST',
          { serviceName: 'x', protectThreshold: '2' },
          400,
          20002,
          'parameter validate error',
          "Param 'protectThreshold' must be a number from 0 to 1.",
        ],
        [
          'POST',
          { serviceName: 'x', ephemeral: 'maybe' },
          400,
          20002,
          'parameter validate error',
          "Param 'ephemeral' must be true or false.",
        ],
      ];
      for (const [method, params, status, code, message, data] of cases) {
        const res = await v2(method, params);
        expect([method, res.status, res.json()]).toEqual([method, status, { code, message, data }]);
      }
    });
  });

  describe('protect threshold', () => {
    const list = async (path: string, params: Record<string, string>) => {
      const body = (await call(node.base, 'GET', path, params)).json() as Record<string, unknown>;
      return (path.startsWith(V2) ? body.data : body) as {
        reachProtectionThreshold: boolean;
        hosts: Array<{ ip: string; healthy: boolean }>;
      };
    };

    beforeAll(async () => {
      await v2('POST', { serviceName: 'guard', protectThreshold: '0.5', ephemeral: 'true' });
      await register({ serviceName: 'guard', ip: '10.90.0.1', port: '80' });
      await register({ serviceName: 'guard', ip: '10.90.0.2', port: '80', healthy: 'false' });
      await register({ serviceName: 'guard', ip: '10.90.0.3', port: '80', healthy: 'false' });
    });

    it('should return every instance, shown healthy, once the healthy share is at or below the threshold', async () => {
      for (const path of [`${V1}/instance/list`, `${V2}/instance/list`]) {
        const info = await list(path, { serviceName: 'guard' });
        expect(info.reachProtectionThreshold).toBe(true);
        expect(info.hosts.map((h) => [h.ip, h.healthy]).sort()).toEqual([
          ['10.90.0.1', true],
          ['10.90.0.2', true],
          ['10.90.0.3', true],
        ]);
      }
    });

    it('should apply it to gRPC queries and subscriptions, and push a change of the threshold', async () => {
      const grpc = new NacosNamingClient({ servers: [`127.0.0.1:${node.grpcPort}`], requestTimeoutMs: 2000 });
      try {
        const queried = await grpc.query('guard');
        expect(queried.reachProtectionThreshold).toBe(true);
        expect(queried.hosts.every((h) => h.healthy)).toBe(true);
        const pushed: NacosServiceInfo[] = [];
        const first = await grpc.subscribe('guard', (info) => pushed.push(info));
        expect(first.reachProtectionThreshold).toBe(true);
        await v2('PUT', { serviceName: 'guard', protectThreshold: '0.1' });
        await eventually(() => expect(pushed.at(-1)?.reachProtectionThreshold).toBe(false), {
          what: 'a push without protection',
        });
        expect(pushed.at(-1)?.hosts.filter((h) => h.healthy)).toHaveLength(1);
        await v2('PUT', { serviceName: 'guard', protectThreshold: '0.5' });
        await eventually(() => expect(pushed.at(-1)?.reachProtectionThreshold).toBe(true));
      } finally {
        grpc.close();
      }
    });

    it('should not reach it with healthyOnly (the share is taken over the healthy list, as Nacos does)', async () => {
      const info = await list(`${V1}/instance/list`, { serviceName: 'guard', healthyOnly: 'true' });
      expect(info.reachProtectionThreshold).toBe(false);
      expect(info.hosts.map((h) => h.ip)).toEqual(['10.90.0.1']);
    });

    it('should show real health above the threshold, and none for a service without stored metadata', async () => {
      await v1('PUT', { serviceName: 'guard', protectThreshold: '0.2' });
      const info = await list(`${V1}/instance/list`, { serviceName: 'guard' });
      expect(info.reachProtectionThreshold).toBe(false);
      expect(info.hosts.filter((h) => h.healthy).map((h) => h.ip)).toEqual(['10.90.0.1']);

      await register({ serviceName: 'unguarded', ip: '10.90.1.1', port: '80', healthy: 'false' });
      const plain = await list(`${V1}/instance/list`, { serviceName: 'unguarded' });
      expect(plain.reachProtectionThreshold).toBe(false);
      expect(plain.hosts.map((h) => h.healthy)).toEqual([false]);
    });

    it('should reach a stored threshold of 0 when no instance is healthy', async () => {
      await v1('PUT', { serviceName: 'unguarded', protectThreshold: '0' });
      const info = await list(`${V1}/instance/list`, { serviceName: 'unguarded' });
      expect(info.reachProtectionThreshold).toBe(true);
      expect(info.hosts.map((h) => h.healthy)).toEqual([true]);
    });
  });
});
