import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { call, namespaceView } from './support';

const CLIENT = '/nacos/v3/client/ns/instance';
const ADMIN = '/nacos/v3/admin/ns';
const CORE = '/nacos/v3/admin/core';

const ok = (data: unknown) => ({ code: 0, message: 'success', data });
const failure = (code: number, message: string, data: unknown) => ({ code, message, data });
/** Nacos's Page of `pageItems` (one page unless told). */
const page = (pageItems: unknown[], pageNumber = 1, totalCount = pageItems.length) => ({
  totalCount,
  pageNumber,
  pagesAvailable: totalCount > 0 ? 1 : 0,
  pageItems,
});
const missing = (name: string, type = 'String') =>
  failure(10000, 'parameter missing', `Required parameter '${name}' type ${type} is not present`);

/** A host (Nacos's Instance) as every v3 instance call answers it, field by field, in Nacos's field order. */
const host = ({
  ip,
  port,
  serviceName,
  ...fields
}: { ip: string; port: number; serviceName: string; clusterName?: string } & Record<string, unknown>) => ({
  instanceId: `${ip}#${port}#${fields.clusterName ?? 'DEFAULT'}#${serviceName}`,
  ip,
  port,
  weight: 1,
  healthy: true,
  enabled: true,
  ephemeral: true,
  clusterName: 'DEFAULT',
  serviceName,
  metadata: {},
  instanceHeartBeatInterval: 5000,
  instanceHeartBeatTimeOut: 15000,
  ipDeleteTimeout: 30000,
  instanceIdGenerator: 'simple',
  ...fields,
});

/** Nacos 3's APIs (`/nacos/v3/client/ns`, `/nacos/v3/admin/ns`, `/nacos/v3/admin/core`), auth off. */
describe('Nacos HTTP v3', () => {
  let node: TestNode;

  beforeAll(async () => {
    node = await startTestNode({ DATA_DIR: 'memory' });
  });

  afterAll(async () => {
    await node?.close();
  });

  const send = (method: string, path: string, params: Record<string, string> = {}) =>
    call(node.base, method, path, params, { form: method !== 'GET' });
  const expectAnswer = async (
    method: string,
    path: string,
    params: Record<string, string>,
    status: number,
    body: unknown,
  ) => {
    const res = await send(method, path, params);
    expect({ status: res.status, body: res.json() }).toEqual({ status, body });
  };

  describe('client API /nacos/v3/client/ns/instance', () => {
    const svc = { serviceName: 'orders', groupName: 'C' };

    it('should register with the documented defaults and list the cluster in the golden Instance shape', async () => {
      await expectAnswer('POST', CLIENT, { ...svc, ip: '10.3.0.1', port: '8080' }, 200, ok('ok'));
      await expectAnswer(
        'POST',
        CLIENT,
        { ...svc, ip: '10.3.0.2', port: '8080', weight: '3', metadata: '{"v":"2"}', clusterName: 'EAST' },
        200,
        ok('ok'),
      );
      await expectAnswer(
        'GET',
        `${CLIENT}/list`,
        svc,
        200,
        ok([host({ ip: '10.3.0.1', port: 8080, serviceName: 'C@@orders' })]),
      );
      await expectAnswer(
        'GET',
        `${CLIENT}/list`,
        { ...svc, clusterName: 'EAST' },
        200,
        ok([
          host({
            ip: '10.3.0.2',
            port: 8080,
            serviceName: 'C@@orders',
            clusterName: 'EAST',
            weight: 3,
            metadata: { v: '2' },
          }),
        ]),
      );
      await expectAnswer('GET', `${CLIENT}/list`, { ...svc, clusterName: 'NONE' }, 200, ok([]));
      await expectAnswer('GET', `${CLIENT}/list`, { serviceName: 'unknown' }, 200, ok([]));
    });

    it('should leave disabled instances out of the list and keep unhealthy ones', async () => {
      const s = { serviceName: 'mixed', groupName: 'C' };
      await expectAnswer('POST', CLIENT, { ...s, ip: '10.3.1.1', port: '1', enabled: 'false' }, 200, ok('ok'));
      await expectAnswer('POST', CLIENT, { ...s, ip: '10.3.1.2', port: '1', healthy: 'false' }, 200, ok('ok'));
      const listed = (await send('GET', `${CLIENT}/list`, s)).json() as {
        data: Array<{ ip: string; healthy: boolean }>;
      };
      expect(listed.data.map(({ ip, healthy }) => ({ ip, healthy }))).toEqual([{ ip: '10.3.1.2', healthy: false }]);
    });

    it('should beat a known instance with heartBeat=true and answer 21003 with HTTP 200 for an unknown one', async () => {
      await expectAnswer('POST', CLIENT, { ...svc, ip: '10.3.0.1', port: '8080', heartBeat: 'true' }, 200, ok('ok'));
      await expectAnswer(
        'POST',
        CLIENT,
        { ...svc, ip: '10.3.0.99', port: '8080', heartBeat: 'true' },
        200,
        failure(21003, 'instance not found', null),
      );
      // A beat registers nothing.
      const listed = (await send('GET', `${CLIENT}/list`, svc)).json() as { data: Array<{ ip: string }> };
      expect(listed.data.map((h) => h.ip)).toEqual(['10.3.0.1']);
    });

    it('should deregister, answering ok also for an instance that is not there', async () => {
      await expectAnswer('DELETE', CLIENT, { ...svc, ip: '10.3.0.1', port: '8080' }, 200, ok('ok'));
      await expectAnswer('DELETE', CLIENT, { ...svc, ip: '10.3.0.1', port: '8080' }, 200, ok('ok'));
      await expectAnswer('GET', `${CLIENT}/list`, svc, 200, ok([]));
    });

    it.each([
      ['POST', CLIENT, { ip: '10.3.0.1', port: '80' }, missing('serviceName')],
      ['POST', CLIENT, { serviceName: 's', port: '80' }, missing('ip')],
      ['POST', CLIENT, { serviceName: 's', ip: '10.3.0.1' }, missing('port', 'Integer')],
      [
        'POST',
        CLIENT,
        { serviceName: 's', ip: '10.3.0.1', port: '80', heartBeat: 'maybe' },
        expect.objectContaining({ code: 20002 }),
      ],
      [
        'POST',
        CLIENT,
        { serviceName: 's', ip: '10.3.0.1', port: '80', weight: '10001' },
        expect.objectContaining({ code: 21001 }),
      ],
      ['POST', CLIENT, { serviceName: 's', ip: '10.3.0.1', port: '0' }, expect.objectContaining({ code: 20002 })],
      [
        'POST',
        CLIENT,
        { serviceName: 's', ip: '10.3.0.1', port: '80', heartBeat: 'true', weight: '0x50' },
        failure(21001, 'weight error', "Param 'weight' must be a number from 0 to 10000."),
      ],
      [
        'POST',
        CLIENT,
        { serviceName: 's', ip: '10.3.0.1', port: '80', heartBeat: 'true', metadata: '{"k":{"n":1}}' },
        expect.objectContaining({ code: 21002 }),
      ],
      ['DELETE', CLIENT, { ip: '10.3.0.1', port: '80' }, missing('serviceName')],
      ['GET', `${CLIENT}/list`, {}, missing('serviceName')],
      ['GET', `${CLIENT}/list`, { serviceName: 's', clusterName: 'a,b' }, expect.objectContaining({ code: 20002 })],
    ])('should refuse %s %s %j with 400 and the v3 error', async (method, path, params, body) => {
      const res = await send(method, path, params);
      expect(res.status).toBe(400);
      expect(res.json()).toEqual(body);
    });
  });

  describe('admin API /nacos/v3/admin/ns/instance', () => {
    const svc = { serviceName: 'pay', groupName: 'A' };
    const at = (ip: string, extra: Record<string, string> = {}) => ({ ...svc, ip, port: '9000', ...extra });

    beforeAll(async () => {
      await expectAnswer('POST', `${ADMIN}/instance`, at('10.4.0.1', { metadata: 'a=1,b=2' }), 200, ok('ok'));
      await expectAnswer('POST', `${ADMIN}/instance`, at('10.4.0.2', { enabled: 'false' }), 200, ok('ok'));
      await expectAnswer('POST', `${ADMIN}/instance`, at('10.4.0.3', { healthy: 'false' }), 200, ok('ok'));
    });

    it('should answer the Instance of an address, disabled ones included, and 404 code 20004 otherwise', async () => {
      await expectAnswer(
        'GET',
        `${ADMIN}/instance`,
        at('10.4.0.1'),
        200,
        ok(host({ ip: '10.4.0.1', port: 9000, serviceName: 'A@@pay', metadata: { a: '1', b: '2' } })),
      );
      await expectAnswer(
        'GET',
        `${ADMIN}/instance`,
        at('10.4.0.2'),
        200,
        ok(host({ ip: '10.4.0.2', port: 9000, serviceName: 'A@@pay', enabled: false })),
      );
      await expectAnswer(
        'GET',
        `${ADMIN}/instance`,
        at('10.4.9.9'),
        404,
        failure(20004, 'resource not found', 'no matched ip found!'),
      );
      await expectAnswer(
        'GET',
        `${ADMIN}/instance`,
        { serviceName: 'none', ip: '10.4.0.1', port: '9000' },
        404,
        failure(20004, 'resource not found', 'no ips found for cluster DEFAULT in service DEFAULT_GROUP@@none'),
      );
      await expectAnswer('GET', `${ADMIN}/instance`, { ...svc, ip: '10.4.0.1' }, 400, missing('port', 'Integer'));
    });

    it('should update in full with PUT and only the sent fields with PUT /partial', async () => {
      await expectAnswer(
        'PUT',
        `${ADMIN}/instance`,
        at('10.4.0.1', { weight: '4', metadata: '{"a":"9"}' }),
        200,
        ok('ok'),
      );
      await expectAnswer('PUT', `${ADMIN}/instance/partial`, at('10.4.0.1', { weight: '7' }), 200, ok('ok'));
      const detail = (await send('GET', `${ADMIN}/instance`, at('10.4.0.1'))).json() as {
        data: { weight: number; metadata: Record<string, string>; enabled: boolean };
      };
      expect(detail.data).toMatchObject({ weight: 7, metadata: { a: '9' }, enabled: true });
      await expectAnswer('PUT', `${ADMIN}/instance/partial`, at('10.4.0.1', { enabled: 'false' }), 200, ok('ok'));
      expect(((await send('GET', `${ADMIN}/instance`, at('10.4.0.1'))).json() as { data: unknown }).data).toMatchObject(
        {
          weight: 7,
          enabled: false,
        },
      );
      await expectAnswer(
        'PUT',
        `${ADMIN}/instance/partial`,
        at('10.4.9.9', { weight: '2' }),
        404,
        failure(20004, 'resource not found', 'no matched ip found!'),
      );
      await expectAnswer(
        'PUT',
        `${ADMIN}/instance/partial`,
        at('10.4.0.1', { weight: '-1' }),
        400,
        expect.objectContaining({ code: 21001 }),
      );
      await expectAnswer('PUT', `${ADMIN}/instance/partial`, { ...svc, port: '9000' }, 400, missing('ip'));
      await expectAnswer('PUT', `${ADMIN}/instance/partial`, at('10.4.0.1', { enabled: 'true' }), 200, ok('ok'));
    });

    it('should list every instance of a cluster, healthyOnly keeping the healthy, 404 for an unknown service or cluster', async () => {
      const all = (await send('GET', `${ADMIN}/instance/list`, svc)).json() as {
        data: Array<{ ip: string; enabled: boolean; healthy: boolean }>;
      };
      expect(all.data.map(({ ip, enabled, healthy }) => ({ ip, enabled, healthy }))).toEqual([
        { ip: '10.4.0.1', enabled: true, healthy: true },
        { ip: '10.4.0.2', enabled: false, healthy: true },
        { ip: '10.4.0.3', enabled: true, healthy: false },
      ]);
      const healthy = (await send('GET', `${ADMIN}/instance/list`, { ...svc, healthyOnly: 'true' })).json() as {
        data: Array<{ ip: string }>;
      };
      expect(healthy.data.map((h) => h.ip)).toEqual(['10.4.0.1', '10.4.0.2']);
      await expectAnswer(
        'GET',
        `${ADMIN}/instance/list`,
        { serviceName: 'nope', groupName: 'A' },
        404,
        failure(30000, 'server error', 'service A@@nope is not found!'),
      );
      await expectAnswer(
        'GET',
        `${ADMIN}/instance/list`,
        { ...svc, clusterName: 'WEST' },
        404,
        failure(30000, 'server error', 'cluster WEST is not found!'),
      );
      await expectAnswer('GET', `${ADMIN}/instance/list`, { groupName: 'A' }, 400, missing('serviceName'));
    });

    it('should add and remove metadata in batches', async () => {
      const instances = JSON.stringify([{ ip: '10.4.0.3', port: 9000 }]);
      const steps: Array<[string, string, Record<string, string>]> = [
        ['PUT', '{"zone":"z1"}', { zone: 'z1' }],
        ['DELETE', '{"zone":""}', {}],
      ];
      for (const [method, metadata, after] of steps) {
        const updated = ok({ updated: ['10.4.0.3:9000:unknown:DEFAULT:ephemeral'] });
        await expectAnswer(method, `${ADMIN}/instance/metadata/batch`, { ...svc, metadata, instances }, 200, updated);
        const detail = (await send('GET', `${ADMIN}/instance`, at('10.4.0.3'))).json() as {
          data: { metadata: unknown };
        };
        expect(detail.data.metadata).toEqual(after);
      }
    });

    it('should deregister through the admin API', async () => {
      await expectAnswer('POST', `${ADMIN}/instance`, at('10.4.0.9'), 200, ok('ok'));
      await expectAnswer('DELETE', `${ADMIN}/instance`, at('10.4.0.9'), 200, ok('ok'));
      await expectAnswer(
        'GET',
        `${ADMIN}/instance`,
        at('10.4.0.9'),
        404,
        failure(20004, 'resource not found', 'no matched ip found!'),
      );
    });
  });

  describe('admin API /nacos/v3/admin/ns/service', () => {
    const detail = (fields: Record<string, unknown>) => ({
      namespaceId: 'public',
      groupName: 'DEFAULT_GROUP',
      clusterMap: {},
      metadata: {},
      protectThreshold: 0,
      selector: { type: 'none', contextType: 'NONE' },
      ephemeral: false,
      ...fields,
    });

    it('should create a persistent service by default, show it as ServiceDetailInfo, update and delete it', async () => {
      await expectAnswer(
        'POST',
        `${ADMIN}/service`,
        { serviceName: 'catalog', protectThreshold: '0.5', metadata: '{"team":"x"}' },
        200,
        ok('ok'),
      );
      await expectAnswer(
        'GET',
        `${ADMIN}/service`,
        { serviceName: 'catalog' },
        200,
        ok(detail({ serviceName: 'catalog', protectThreshold: 0.5, metadata: { team: 'x' } })),
      );
      await expectAnswer(
        'POST',
        `${ADMIN}/service`,
        { serviceName: 'catalog' },
        400,
        failure(21007, 'service already exist', 'specified service DEFAULT_GROUP@@catalog already exists!'),
      );
      await expectAnswer(
        'PUT',
        `${ADMIN}/service`,
        { serviceName: 'catalog', selector: '{"type":"label","expression":"CONSUMER.label.a = PROVIDER.label.a"}' },
        200,
        ok('ok'),
      );
      const updated = (await send('GET', `${ADMIN}/service`, { serviceName: 'catalog' })).json() as { data: unknown };
      expect(updated.data).toEqual(
        detail({
          serviceName: 'catalog',
          selector: {
            type: 'label',
            expression: 'CONSUMER.label.a = PROVIDER.label.a',
            labels: ['a'],
            contextType: 'CMDB',
          },
        }),
      );
      await expectAnswer('DELETE', `${ADMIN}/service`, { serviceName: 'catalog' }, 200, ok('ok'));
      await expectAnswer(
        'GET',
        `${ADMIN}/service`,
        { serviceName: 'catalog' },
        400,
        failure(
          21008,
          'service not exist',
          'service not found, namespace: public, serviceName: DEFAULT_GROUP@@catalog',
        ),
      );
    });

    it('should show each cluster as a ClusterInfo with its health check settings', async () => {
      const s = { serviceName: 'db', groupName: 'P' };
      await expectAnswer(
        'POST',
        `${ADMIN}/instance`,
        { ...s, ip: '10.5.0.1', port: '5432', ephemeral: 'false' },
        200,
        ok('ok'),
      );
      await expectAnswer(
        'PUT',
        `${ADMIN}/cluster`,
        {
          ...s,
          clusterName: 'DEFAULT',
          checkPort: '5433',
          useInstancePort4Check: 'false',
          healthChecker: '{"type":"NONE"}',
          metadata: 'k=v',
        },
        200,
        ok('ok'),
      );
      await expectAnswer(
        'GET',
        `${ADMIN}/service`,
        s,
        200,
        ok(
          detail({
            serviceName: 'db',
            groupName: 'P',
            clusterMap: {
              DEFAULT: {
                clusterName: 'DEFAULT',
                healthChecker: { type: 'NONE' },
                healthyCheckPort: 5433,
                useInstancePortForCheck: false,
                metadata: { k: 'v' },
                hosts: null,
              },
            },
          }),
        ),
      );
      // Manual health, allowed now that the cluster's checker is NONE.
      await expectAnswer(
        'PUT',
        `${ADMIN}/health/instance`,
        { ...s, ip: '10.5.0.1', port: '5432', healthy: 'false' },
        200,
        ok('ok'),
      );
      const listed = (await send('GET', `${ADMIN}/instance/list`, s)).json() as { data: Array<{ healthy: boolean }> };
      expect(listed.data.map((h) => h.healthy)).toEqual([false]);
      await expectAnswer(
        'PUT',
        `${ADMIN}/health/instance`,
        { ...s, ip: '10.5.0.1', port: '5432' },
        400,
        missing('healthy', 'Boolean'),
      );
      await expectAnswer(
        'PUT',
        `${ADMIN}/cluster`,
        { ...s, clusterName: 'DEFAULT', checkPort: '1', healthChecker: '{"type":"TCP"}' },
        400,
        missing('useInstancePort4Check', 'Boolean'),
      );
      await expectAnswer(
        'PUT',
        `${ADMIN}/cluster`,
        {
          serviceName: 'ghost',
          clusterName: 'DEFAULT',
          checkPort: '1',
          useInstancePort4Check: 'true',
          healthChecker: '{"type":"TCP"}',
        },
        400,
        failure(21008, 'service not exist', 'service not found:DEFAULT_GROUP@@ghost'),
      );
    });

    it('should page the service list as Nacos 3 does, with its filters', async () => {
      for (const name of ['alpha', 'beta', 'gamma']) {
        await expectAnswer(
          'POST',
          `${ADMIN}/instance`,
          { serviceName: name, groupName: 'L', namespaceId: 'lst', ip: '10.6.0.1', port: '1' },
          200,
          ok('ok'),
        );
      }
      await expectAnswer(
        'POST',
        `${ADMIN}/instance`,
        { serviceName: 'beta', groupName: 'L', namespaceId: 'lst', ip: '10.6.0.2', port: '1', healthy: 'false' },
        200,
        ok('ok'),
      );
      await expectAnswer(
        'POST',
        `${ADMIN}/service`,
        { serviceName: 'empty', groupName: 'M', namespaceId: 'lst' },
        200,
        ok('ok'),
      );
      const view = (name: string, group: string, ipCount: number, healthy: number, clusters = 1) => ({
        name,
        groupName: group,
        clusterCount: clusters,
        ipCount,
        healthyInstanceCount: healthy,
        triggerFlag: 'false',
      });
      await expectAnswer(
        'GET',
        `${ADMIN}/service/list`,
        { namespaceId: 'lst' },
        200,
        ok(
          page([
            view('alpha', 'L', 1, 1),
            view('beta', 'L', 2, 1),
            view('gamma', 'L', 1, 1),
            view('empty', 'M', 0, 0, 0),
          ]),
        ),
      );
      await expectAnswer(
        'GET',
        `${ADMIN}/service/list`,
        { namespaceId: 'lst', pageNo: '2', pageSize: '2', ignoreEmptyService: 'true' },
        200,
        ok({ ...page([view('gamma', 'L', 1, 1)], 2, 3), pagesAvailable: 2 }),
      );
      const fuzzy = (
        await send('GET', `${ADMIN}/service/list`, { namespaceId: 'lst', serviceNameParam: 'a$', groupNameParam: 'L' })
      ).json() as {
        data: { pageItems: Array<{ name: string }> };
      };
      expect(fuzzy.data.pageItems.map((item) => item.name)).toEqual(['alpha', 'beta', 'gamma']);
      const exact = (
        await send('GET', `${ADMIN}/service/list`, { namespaceId: 'lst', serviceNameParam: 'et' })
      ).json() as {
        data: { pageItems: Array<{ name: string }> };
      };
      expect(exact.data.pageItems.map((item) => item.name)).toEqual(['beta']);
      await expectAnswer('GET', `${ADMIN}/service/list`, { namespaceId: 'other' }, 200, ok(page([])));
    });

    it('should list the hosts by cluster with withInstances=true', async () => {
      const res = (
        await send('GET', `${ADMIN}/service/list`, {
          namespaceId: 'lst',
          serviceNameParam: 'alpha',
          withInstances: 'true',
        })
      ).json();
      expect(res).toEqual(
        ok(
          page([
            {
              namespaceId: null,
              serviceName: 'alpha',
              groupName: 'L',
              clusterMap: {
                DEFAULT: {
                  clusterName: null,
                  healthChecker: null,
                  healthyCheckPort: 80,
                  useInstancePortForCheck: true,
                  metadata: null,
                  hosts: [host({ ip: '10.6.0.1', port: 1, serviceName: 'L@@alpha' })],
                },
              },
              metadata: {},
              protectThreshold: 0,
              selector: null,
              ephemeral: null,
            },
          ]),
        ),
      );
    });

    it.each([
      [{ pageNo: '0' }, "Required parameter 'pageNo' should be positive integer, current is 0"],
      [{ pageSize: '0' }, "Required parameter 'pageSize' should be positive integer, current is 0"],
      [{ pageNo: 'x' }, "Param 'pageNo' must be an integer."],
      [{ serviceNameParam: '(a+)+' }, "Param 'serviceNameParam' must not repeat a group that holds a quantifier."],
      [{ groupNameParam: '[' }, "Param 'groupNameParam' is not a valid regular expression."],
      [{ withInstances: 'sure' }, expect.stringContaining("'withInstances'")],
    ])('should refuse the service list with %j: 400 code 20002', async (params, data) => {
      await expectAnswer('GET', `${ADMIN}/service/list`, params, 400, failure(20002, 'parameter validate error', data));
    });

    it('should page a service subscribers and list the selector types', async () => {
      await send('GET', '/nacos/v1/ns/instance/list', {
        serviceName: 'L@@alpha',
        namespaceId: 'lst',
        udpPort: '45678',
        clientIP: '10.9.9.9',
        app: 'shop',
      });
      await expectAnswer(
        'GET',
        `${ADMIN}/service/subscribers`,
        { serviceName: 'alpha', groupName: 'L', namespaceId: 'lst' },
        200,
        ok(
          page([
            {
              namespaceId: 'lst',
              groupName: 'L',
              serviceName: 'alpha',
              ip: '10.9.9.9',
              port: 45678,
              agent: expect.any(String),
              appName: 'shop',
            },
          ]),
        ),
      );
      await expectAnswer(
        'GET',
        `${ADMIN}/service/subscribers`,
        { serviceName: 'alph', groupName: 'L', namespaceId: 'lst' },
        200,
        ok(page([])),
      );
      await expectAnswer('GET', `${ADMIN}/service/subscribers`, {}, 400, missing('serviceName'));
      await expectAnswer('GET', `${ADMIN}/service/selector/types`, {}, 200, ok(['none', 'label']));
    });

    it.each([
      ['POST', {}, missing('serviceName')],
      ['PUT', { serviceName: 'nope' }, failure(21008, 'service not exist', 'service DEFAULT_GROUP@@nope not found!')],
      [
        'DELETE',
        { serviceName: 'nope' },
        failure(21008, 'service not exist', 'service DEFAULT_GROUP@@nope not found!'),
      ],
      ['POST', { serviceName: 'x', metadata: '[1]' }, expect.objectContaining({ code: 21005 })],
      ['POST', { serviceName: 'x', selector: '{"type":"odd"}' }, expect.objectContaining({ code: 21006 })],
    ])('should refuse %s /service %j with 400', async (method, params, body) => {
      await expectAnswer(method, `${ADMIN}/service`, params, 400, body);
    });
  });

  describe('admin API: health checkers, ops, client views', () => {
    it('should list the health checkers', async () => {
      await expectAnswer(
        'GET',
        `${ADMIN}/health/checkers`,
        {},
        200,
        ok({
          TCP: { type: 'TCP' },
          HTTP: { type: 'HTTP', path: '', headers: '', expectedResponseCode: 200 },
          NONE: { type: 'NONE' },
        }),
      );
    });

    it('should read and change the switches', async () => {
      const before = (await send('GET', `${ADMIN}/ops/switches`)).json() as {
        code: number;
        data: Record<string, unknown>;
      };
      expect(before).toMatchObject({
        code: 0,
        message: 'success',
        data: { clientBeatInterval: 5000, lightBeatEnabled: true },
      });
      // The whole SwitchDomain, field by field as v2 answers it (its golden lives in the v2 operator spec).
      expect(before).toEqual((await send('GET', '/nacos/v2/ns/operator/switches')).json());
      await expectAnswer('PUT', `${ADMIN}/ops/switches`, { entry: 'clientBeatInterval', value: '7000' }, 200, ok('ok'));
      const after = (await send('GET', `${ADMIN}/ops/switches`)).json() as { data: Record<string, unknown> };
      expect(after.data.clientBeatInterval).toBe(7000);
      await expectAnswer('PUT', `${ADMIN}/ops/switches`, { entry: 'clientBeatInterval', value: '5000' }, 200, ok('ok'));
      await expectAnswer('PUT', `${ADMIN}/ops/switches`, { value: '1' }, 400, missing('entry'));
      await expectAnswer(
        'PUT',
        `${ADMIN}/ops/switches`,
        { entry: 'nope', value: '1' },
        400,
        expect.objectContaining({ code: 20002 }),
      );
    });

    it('should answer the metrics as MetricsInfo', async () => {
      await expectAnswer('GET', `${ADMIN}/ops/metrics`, {}, 200, ok({ status: 'UP' }));
      const full = (await send('GET', `${ADMIN}/ops/metrics`, { onlyStatus: 'false' })).json() as {
        data: Record<string, unknown>;
      };
      expect(Object.keys(full.data).sort()).toEqual(
        [
          'status',
          'serviceCount',
          'instanceCount',
          'subscribeCount',
          'clientCount',
          'connectionBasedClientCount',
          'ephemeralIpPortClientCount',
          'persistentIpPortClientCount',
          'responsibleClientCount',
        ].sort(),
      );
      expect(full.data.status).toBe('UP');
      expect(full.data.instanceCount).toEqual(expect.any(Number));
      await expectAnswer(
        'GET',
        `${ADMIN}/ops/metrics`,
        { onlyStatus: 'nah' },
        400,
        expect.objectContaining({ code: 20002 }),
      );
    });

    it('should show clients, what they publish, and the member responsible for one', async () => {
      await expectAnswer('POST', CLIENT, { serviceName: 'views', ip: '10.7.0.1', port: '70' }, 200, ok('ok'));
      const list = (await send('GET', `${ADMIN}/client/list`)).json() as { data: string[] };
      expect(list.data).toContain('10.7.0.1:70#true');
      await expectAnswer(
        'GET',
        `${ADMIN}/client`,
        { clientId: '10.7.0.1:70#true' },
        200,
        ok({
          clientId: '10.7.0.1:70#true',
          ephemeral: true,
          lastUpdatedTime: expect.any(Number),
          clientType: 'ipPort',
          clientIp: '10.7.0.1',
          clientPort: '70',
          responsibleServer: 'standalone',
        }),
      );
      // A v1 poller with udpPort subscribes as the ip-port client clientIP:udpPort#true.
      const poll = { serviceName: 'views', clientIP: '10.7.0.9', udpPort: '45679', app: 'shop' };
      await send('GET', '/nacos/v1/ns/instance/list', poll);
      await expectAnswer(
        'GET',
        `${ADMIN}/client/subscribe/list`,
        { clientId: '10.7.0.9:45679#true' },
        200,
        ok([
          {
            namespace: 'public',
            group: 'DEFAULT_GROUP',
            serviceName: 'views',
            subscriberInfo: { app: 'shop', agent: expect.any(String), addr: '10.7.0.9:45679' },
          },
        ]),
      );
      await expectAnswer(
        'GET',
        `${ADMIN}/client/service/subscriber/list`,
        { serviceName: 'views' },
        200,
        ok([{ clientId: '10.7.0.9:45679#true', ip: '10.7.0.9', port: 45679 }]),
      );
      await expectAnswer(
        'GET',
        `${ADMIN}/client/publish/list`,
        { clientId: '10.7.0.1:70#true' },
        200,
        ok([
          {
            namespace: 'public',
            group: 'DEFAULT_GROUP',
            serviceName: 'views',
            registeredInstance: { ip: '10.7.0.1', port: 70, cluster: 'DEFAULT' },
          },
        ]),
      );
      await expectAnswer(
        'GET',
        `${ADMIN}/client/service/publisher/list`,
        { serviceName: 'views' },
        200,
        ok([{ ip: '10.7.0.1', port: 70, cluster: 'DEFAULT', clientId: '10.7.0.1:70#true' }]),
      );
      await expectAnswer(
        'GET',
        `${ADMIN}/client`,
        { clientId: 'nobody' },
        404,
        failure(20004, 'resource not found', 'clientId [ nobody ] not exist'),
      );
      const distro = (await send('GET', `${ADMIN}/client/distro`, { ip: '10.7.0.1', port: '70' })).json();
      expect(distro).toEqual(ok({ responsibleServer: `127.0.0.1:${node.httpPort}` }));
      await expectAnswer('GET', `${ADMIN}/client/distro`, { port: '70' }, 400, missing('ip'));
      await expectAnswer(
        'GET',
        `${ADMIN}/client/distro`,
        { ip: '10.7.0.1', port: '70 ' },
        400,
        expect.objectContaining({ code: 20002 }),
      );
      await expectAnswer(
        'GET',
        `${ADMIN}/client/distro`,
        { ip: '10.7.0.1', port: 'x' },
        400,
        expect.objectContaining({ code: 20002 }),
      );
    });
  });

  describe('core admin API /nacos/v3/admin/core', () => {
    const PUBLIC = namespaceView('public', 'public', 'Default Namespace', 0);
    const custom = namespaceView;

    it('should create, read, check, rename and delete a namespace', async () => {
      await expectAnswer(
        'POST',
        `${CORE}/namespace`,
        { namespaceId: 'team-a', namespaceName: 'Team A', namespaceDesc: 'd' },
        200,
        ok(true),
      );
      await expectAnswer(
        'GET',
        `${CORE}/namespace`,
        { namespaceId: 'team-a' },
        200,
        ok(custom('team-a', 'Team A', 'd')),
      );
      await expectAnswer('GET', `${CORE}/namespace`, { namespaceId: 'public' }, 200, ok(PUBLIC));
      await expectAnswer('GET', `${CORE}/namespace/check`, { namespaceId: 'team-a' }, 200, ok(1));
      await expectAnswer('GET', `${CORE}/namespace/check`, { namespaceId: 'team-z' }, 200, ok(0));
      await expectAnswer(
        'PUT',
        `${CORE}/namespace`,
        { namespaceId: 'team-a', namespaceName: 'Team A2' },
        200,
        ok(true),
      );
      const list = (await send('GET', `${CORE}/namespace/list`)).json() as { data: unknown[] };
      expect(list.data[0]).toEqual(PUBLIC);
      expect(list.data).toContainEqual(custom('team-a', 'Team A2'));
      await expectAnswer('DELETE', `${CORE}/namespace`, { namespaceId: 'team-a' }, 200, ok(true));
      await expectAnswer('GET', `${CORE}/namespace/check`, { namespaceId: 'team-a' }, 200, ok(0));
    });

    it.each([
      [
        'GET',
        '',
        { namespaceId: 'ghost' },
        404,
        failure(22001, 'namespace not exist', 'namespaceId [ ghost ] not exist'),
      ],
      ['GET', '', {}, 400, missing('namespaceId')],
      ['GET', '/check', {}, 400, missing('namespaceId')],
      [
        'POST',
        '',
        { namespaceName: 'n' },
        400,
        failure(10000, 'parameter missing', "required parameter 'namespaceId' is missing"),
      ],
      [
        'POST',
        '',
        { namespaceId: 'a b', namespaceName: 'n' },
        400,
        failure(22000, 'illegal namespace', 'namespaceId [a b] mismatch the pattern'),
      ],
      [
        'POST',
        '',
        { namespaceId: 'ok-id', namespaceName: 'n@x' },
        400,
        failure(22000, 'illegal namespace', 'namespaceName [n@x] contains illegal char'),
      ],
      ['DELETE', '', { namespaceId: 'public' }, 400, expect.objectContaining({ code: 22000 })],
    ])('should refuse %s namespace%s %j', async (method, path, params, status, body) => {
      await expectAnswer(method, `${CORE}/namespace${path}`, params, status, body);
    });

    it('should list the cluster nodes and this node', async () => {
      const self = (await send('GET', `${CORE}/cluster/node/self`)).json() as { data: Record<string, unknown> };
      expect(self).toEqual(
        ok({
          ip: '127.0.0.1',
          port: node.httpPort,
          state: 'UP',
          extendInfo: expect.any(Object),
          address: `127.0.0.1:${node.httpPort}`,
          failAccessCnt: 0,
          abilities: expect.any(Object),
        }),
      );
      await expectAnswer('GET', `${CORE}/cluster/node/list`, {}, 200, ok([self.data]));
      await expectAnswer('GET', `${CORE}/cluster/node/list`, { state: 'down' }, 200, ok([]));
      await expectAnswer('GET', `${CORE}/cluster/node/list`, { address: '10.' }, 200, ok([]));
      await expectAnswer(
        'GET',
        `${CORE}/cluster/node/list`,
        { state: 'sideways' },
        400,
        failure(23000, 'illegal state', 'Illegal state: sideways'),
      );
    });
  });
});
