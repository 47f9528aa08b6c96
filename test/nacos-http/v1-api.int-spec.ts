import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { call, listHosts } from './support';

const V1 = '/nacos/v1/ns';

/** Nacos Open API v1 over plain HTTP: shapes, defaults, form bodies and every error case. */
describe('Nacos HTTP v1', () => {
  let node: TestNode;

  beforeAll(async () => {
    node = await startTestNode({ DATA_DIR: 'memory' });
  });

  afterAll(async () => {
    await node?.close();
  });

  const register = (params: Record<string, string>, form = false) =>
    call(node.base, 'POST', `${V1}/instance`, params, { form });

  describe('POST /instance', () => {
    it('should register from a form body and answer ok', async () => {
      const res = await register(
        { serviceName: 'form-svc', groupName: 'G1', ip: '10.0.0.1', port: '80', metadata: 'a=1,b=2' },
        true,
      );
      expect(res).toMatchObject({ status: 200, text: 'ok' });
      expect(await listHosts(node.base, 'G1@@form-svc')).toEqual([
        expect.objectContaining({ ip: '10.0.0.1', port: 80, metadata: { a: '1', b: '2' } }),
      ]);
    });

    it.each([
      [{ ip: '10.0.0.1', port: '80' }, "Param 'serviceName' is required."],
      [{ serviceName: 's', port: '80' }, "Param 'ip' is required."],
      [{ serviceName: 's', ip: '10.0.0.1' }, "Param 'port' is required."],
      [{ serviceName: 's', ip: '10.0.0.1', port: '70000' }, "Param 'port'"],
      [{ serviceName: 's', ip: '10.0.0.1', port: 'x' }, "Param 'port'"],
      [{ serviceName: 's', ip: 'not an ip!', port: '80' }, "Param 'ip'"],
      [{ serviceName: 's', ip: '10.0.0.1', port: '80', weight: '10001' }, "Param 'weight'"],
      [{ serviceName: 's', ip: '10.0.0.1', port: '80', weight: 'heavy' }, "Param 'weight'"],
      [{ serviceName: 's', ip: '10.0.0.1', port: '80', metadata: '{"a":' }, "Param 'metadata'"],
      [{ serviceName: 's', ip: '10.0.0.1', port: '80', metadata: '{"a":{"b":1}}' }, "Param 'metadata'"],
      [{ serviceName: 'x'.repeat(300), ip: '10.0.0.1', port: '80' }, "Param 'serviceName'"],
      [{ serviceName: 'bad\u0001name', ip: '10.0.0.1', port: '80' }, "Param 'serviceName'"],
      [{ serviceName: '@@svc', ip: '10.0.0.1', port: '80' }, "Param 'serviceName'"],
      [{ serviceName: 's', ip: '10.0.0.1', port: '80', clusterName: 'a,b' }, "Param 'clusterName'"],
    ])('should refuse %j with 400 naming the param', async (params, message) => {
      const res = await register(params);
      expect(res.status).toBe(400);
      expect(res.text).toContain(message);
      expect(res.text).toMatch(/^caused: .*;$/);
    });

    describe('the text rule and strict numbers (issue 16)', () => {
      it('should refuse NUL in metadata, in the query form and the JSON form, and register nothing', async () => {
        // The probe's request: `metadata=%00%3D%00` once answered ok and later broke the DR ledger.
        const raw = await fetch(
          `${node.base}${V1}/instance?serviceName=nul-svc&ip=10.13.0.1&port=80&metadata=%00%3D%00`,
          {
            method: 'POST',
          },
        );
        expect(raw.status).toBe(400);
        expect(await raw.text()).toMatch(/^caused: Param 'metadata' key must not contain NUL characters.*;$/);
        const json = await register({
          serviceName: 'nul-svc',
          ip: '10.13.0.1',
          port: '80',
          metadata: '{"k":"a\\u0000b"}',
        });
        expect(json.status).toBe(400);
        expect(json.text).toContain("Param 'metadata' value must not contain NUL characters");
        expect(await listHosts(node.base, 'nul-svc')).toEqual([]);
      });

      it('should keep any other text in metadata (newlines, tabs, emoji, C1)', async () => {
        const metadata = { note: 'line1\nline2\tend', emoji: '\u{1F600}', c1: '\u0085' };
        const res = await register({
          serviceName: 'meta-text',
          ip: '10.13.0.2',
          port: '80',
          metadata: JSON.stringify(metadata),
        });
        expect(res).toMatchObject({ status: 200, text: 'ok' });
        expect((await listHosts(node.base, 'meta-text'))[0].metadata).toEqual(metadata);
      });

      const base = { serviceName: 'strict', ip: '10.13.0.3', port: '80' };
      it.each([
        [{ ...base, port: '+80' }, "Param 'port'"],
        [{ ...base, port: ' 80' }, "Param 'port'"],
        [{ ...base, port: '0x50' }, "Param 'port'"],
        [{ ...base, port: '8e1' }, "Param 'port'"],
        [{ ...base, port: '0' }, "Param 'port'"],
        [{ ...base, weight: '0x50' }, "Param 'weight'"],
        [{ ...base, weight: '+80' }, "Param 'weight'"],
        [{ ...base, weight: ' 80' }, "Param 'weight'"],
        [{ ...base, weight: 'Infinity' }, "Param 'weight'"],
        [{ ...base, healthy: 'maybe' }, "Param 'healthy' must be true or false."],
        [{ ...base, enabled: '1' }, "Param 'enabled' must be true or false."],
        [{ ...base, ephemeral: 'truth' }, "Param 'ephemeral' must be true or false."],
        [{ ...base, serviceName: 'svc\u0085' }, "Param 'serviceName' must not contain control characters."],
        [{ ...base, groupName: 'g\u0000' }, "Param 'groupName'"],
        [{ ...base, namespaceId: 'ns\u007f' }, "Param 'namespaceId'"],
        [{ ...base, clusterName: 'c\u001b' }, "Param 'clusterName'"],
      ])('should refuse %j with 400 naming the param, registering nothing', async (params, message) => {
        const res = await register(params);
        expect(res.status).toBe(400);
        expect(res.text).toContain(message);
        expect(await listHosts(node.base, 'strict')).toEqual([]);
      });

      it("should read Nacos's boolean spellings", async () => {
        const res = await register({ ...base, serviceName: 'bools', healthy: 'off', enabled: 'YES' });
        expect(res.status).toBe(200);
        expect(await listHosts(node.base, 'bools')).toEqual([
          expect.objectContaining({ healthy: false, enabled: true }),
        ]);
      });

      it.each([
        [{ serviceName: 'strict', pageNo: '+1' }, "Param 'pageNo'"],
        [{ serviceName: 'strict', pageSize: ' 10' }, "Param 'pageSize'"],
      ])('should refuse a loose page number %j', async (params, message) => {
        const res = await call(node.base, 'GET', `${V1}/service/list`, params);
        expect(res.status).toBe(400);
        expect(res.text).toContain(message);
      });

      it.each([
        [{ serviceName: 'strict', udpPort: '0x10' }, "Param 'udpPort'"],
        [{ serviceName: 'strict', healthyOnly: 'sure' }, "Param 'healthyOnly'"],
        [{ serviceName: 'strict', clusters: 'a\u0001' }, "Param 'clusters'"],
      ])('should refuse a loose list param %j', async (params, message) => {
        const res = await call(node.base, 'GET', `${V1}/instance/list`, params);
        expect(res.status).toBe(400);
        expect(res.text).toContain(message);
      });
    });

    it('should apply nothing when one param of a write is bad', async () => {
      await register({ serviceName: 'atomic', ip: '10.0.0.9', port: '80', weight: '-1' });
      expect(await listHosts(node.base, 'atomic')).toEqual([]);
      expect((await call(node.base, 'GET', `${V1}/service`, { serviceName: 'atomic' })).status).toBe(400);
    });

    it('should refuse metadata over the size limit', async () => {
      const metadata = JSON.stringify({ big: 'x'.repeat(20000) });
      const res = await register({ serviceName: 's', ip: '10.0.0.1', port: '80', metadata }, true);
      expect(res.status).toBe(400);
      expect(res.text).toContain("Param 'metadata' exceeds");
      // In the query string the same is over Node's header limit.
      expect((await register({ serviceName: 's', ip: '10.0.0.1', port: '80', metadata })).status).toBe(431);
    });
  });

  describe('GET /instance/list', () => {
    it('should answer a ServiceInfo with grouped name, echoed clusters and host fields', async () => {
      await register({ serviceName: 'listed', ip: '10.1.0.1', port: '80', clusterName: 'EAST' });
      await register({ serviceName: 'listed', ip: '10.1.0.2', port: '80', enabled: 'false' });
      const res = await call(node.base, 'GET', `${V1}/instance/list`, { serviceName: 'listed', clusters: 'EAST,WEST' });
      expect(res.status).toBe(200);
      const body = res.json() as Record<string, unknown>;
      expect(body).toMatchObject({
        name: 'DEFAULT_GROUP@@listed',
        groupName: 'DEFAULT_GROUP',
        clusters: 'EAST,WEST',
        cacheMillis: 10000,
        allIPs: false,
        reachProtectionThreshold: false,
        valid: true,
        hosts: [
          {
            instanceId: '10.1.0.1#80#EAST#DEFAULT_GROUP@@listed',
            ip: '10.1.0.1',
            port: 80,
            weight: 1,
            healthy: true,
            enabled: true,
            ephemeral: true,
            clusterName: 'EAST',
            serviceName: 'DEFAULT_GROUP@@listed',
            metadata: {},
            instanceHeartBeatInterval: 5000,
            instanceHeartBeatTimeOut: 15000,
            ipDeleteTimeout: 30000,
            instanceIdGenerator: 'simple',
          },
        ],
      });
      expect(typeof body.lastRefTime).toBe('number');
      expect(body.checksum).toMatch(/^[0-9a-f]{32}$/);
      // Disabled instances are never listed.
      expect((await listHosts(node.base, 'listed')).map((host) => host.ip)).toEqual(['10.1.0.1']);
    });

    it('should answer an unknown service with no hosts', async () => {
      expect(await listHosts(node.base, 'nobody')).toEqual([]);
    });

    it('should refuse a bad udpPort', async () => {
      const res = await call(node.base, 'GET', `${V1}/instance/list`, { serviceName: 'listed', udpPort: '99999' });
      expect(res.status).toBe(400);
      expect(res.text).toContain("Param 'udpPort'");
    });
  });

  describe('PUT /instance', () => {
    it('should update weight, enabled and metadata in place', async () => {
      await register({ serviceName: 'updated', ip: '10.2.0.1', port: '80' });
      const res = await call(node.base, 'PUT', `${V1}/instance`, {
        serviceName: 'updated',
        ip: '10.2.0.1',
        port: '80',
        weight: '7',
        metadata: '{"v":"2"}',
      });
      expect(res).toMatchObject({ status: 200, text: 'ok' });
      expect(await listHosts(node.base, 'updated')).toEqual([
        expect.objectContaining({ weight: 7, metadata: { v: '2' } }),
      ]);
    });

    it('should refuse to update an instance that does not exist', async () => {
      const res = await call(node.base, 'PUT', `${V1}/instance`, {
        serviceName: 'updated',
        ip: '10.2.0.9',
        port: '80',
      });
      expect(res.status).toBe(400);
      expect(res.text).toContain('instance not exist');
    });
  });

  describe('DELETE /instance', () => {
    it('should deregister and answer ok, also for an unknown instance', async () => {
      await register({ serviceName: 'deleted', ip: '10.3.0.1', port: '80' });
      expect(
        await call(node.base, 'DELETE', `${V1}/instance`, { serviceName: 'deleted', ip: '10.3.0.1', port: '80' }),
      ).toMatchObject({
        status: 200,
        text: 'ok',
      });
      expect(await listHosts(node.base, 'deleted')).toEqual([]);
      expect(
        (await call(node.base, 'DELETE', `${V1}/instance`, { serviceName: 'deleted', ip: '10.3.0.1', port: '80' }))
          .status,
      ).toBe(200);
    });

    it('should require ip and port', async () => {
      const res = await call(node.base, 'DELETE', `${V1}/instance`, { serviceName: 'deleted' });
      expect(res.status).toBe(400);
      expect(res.text).toContain("Param 'ip' is required.");
    });
  });

  describe('GET /instance', () => {
    it('should answer the instance detail', async () => {
      await register({ serviceName: 'detail', ip: '10.4.0.1', port: '80', metadata: '{"k":"v"}' });
      const res = await call(node.base, 'GET', `${V1}/instance`, { serviceName: 'detail', ip: '10.4.0.1', port: '80' });
      expect(res.json()).toEqual({
        service: 'DEFAULT_GROUP@@detail',
        ip: '10.4.0.1',
        port: 80,
        clusterName: 'DEFAULT',
        weight: 1,
        healthy: true,
        instanceId: '10.4.0.1#80#DEFAULT#DEFAULT_GROUP@@detail',
        metadata: { k: 'v' },
      });
    });

    it('should answer 404 for an unknown instance', async () => {
      const res = await call(node.base, 'GET', `${V1}/instance`, { serviceName: 'detail', ip: '10.4.0.2', port: '80' });
      expect(res.status).toBe(404);
      expect(res.text).toContain('no matched ip found!');
    });
  });

  describe('PUT /instance/beat', () => {
    const beat = (params: Record<string, string>) => call(node.base, 'PUT', `${V1}/instance/beat`, params);

    it('should register an unknown instance from the beat body (the npm client form, no ip/port params)', async () => {
      const res = await beat({
        serviceName: 'DEFAULT_GROUP@@beaten',
        beat: JSON.stringify({
          serviceName: 'DEFAULT_GROUP@@beaten',
          ip: '10.5.0.1',
          port: 80,
          cluster: 'C1',
          weight: 2,
          metadata: { m: '1' },
        }),
      });
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ clientBeatInterval: 5000, code: 10200, lightBeatEnabled: true });
      expect(await listHosts(node.base, 'beaten')).toEqual([
        expect.objectContaining({ ip: '10.5.0.1', clusterName: 'C1', weight: 2, metadata: { m: '1' } }),
      ]);
    });

    it('should answer code 20404 for an unknown instance without a beat body', async () => {
      const res = await beat({ serviceName: 'beaten', ip: '10.5.0.9', port: '80' });
      expect(res.json()).toMatchObject({ code: 20404 });
    });

    it('should accept a beat by ip/port params for a known instance', async () => {
      await register({ serviceName: 'beaten2', ip: '10.5.0.2', port: '80' });
      expect((await beat({ serviceName: 'beaten2', ip: '10.5.0.2', port: '80' })).json()).toMatchObject({
        code: 10200,
      });
    });

    it.each([
      [{ serviceName: 'beaten', beat: '{not json' }, "Param 'beat'"],
      [{ serviceName: 'beaten', beat: '{"ip":"10.5.0.1","port":700000}' }, "Param 'beat.port'"],
      [{ beat: '{"ip":"10.5.0.1","port":80}' }, "Param 'serviceName' is required."],
      [{ serviceName: 'beaten' }, "Param 'ip' is required."],
      [{ serviceName: 'beaten', beat: '{"ip":"10.5.0.3","port":80,"metadata":{"k":"a\\u0000b"}}' }, "Param 'metadata'"],
      [{ serviceName: 'beaten', beat: '{"ip":"10.5.0.3","port":"+80"}' }, "Param 'beat.port'"],
      [{ serviceName: 'beaten', beat: '{"ip":"10.5.0.3","port":80,"weight":"0x50"}' }, "Param 'weight'"],
      [{ serviceName: 'beaten', beat: '{"ip":"10.5.0.3","port":80,"cluster":"c\\u0000"}' }, "Param 'beat.cluster'"],
      [{ serviceName: 'beaten', ip: '10.5.0.3', port: ' 80' }, "Param 'port'"],
    ])('should refuse %j', async (params, message) => {
      const res = await beat(params);
      expect(res.status).toBe(400);
      expect(res.text).toContain(message);
    });
  });

  describe('services', () => {
    beforeAll(async () => {
      for (const name of ['s1', 's2', 's3'])
        await register({ serviceName: name, namespaceId: 'svc', ip: '10.6.0.1', port: '80' });
      await register({ serviceName: 'g@@s4', namespaceId: 'svc', ip: '10.6.0.1', port: '80', clusterName: 'X' });
    });

    it('should page GET /service/list with ungrouped names', async () => {
      const res = await call(node.base, 'GET', `${V1}/service/list`, {
        namespaceId: 'svc',
        pageNo: '1',
        pageSize: '2',
      });
      expect(res.json()).toEqual({ count: 3, doms: expect.arrayContaining([]) });
      expect((res.json() as { doms: string[] }).doms).toHaveLength(2);
      expect(
        (await call(node.base, 'GET', `${V1}/service/list`, { namespaceId: 'svc', groupName: 'g' })).json(),
      ).toEqual({
        count: 1,
        doms: ['s4'],
      });
    });

    it('should refuse a bad page number', async () => {
      const res = await call(node.base, 'GET', `${V1}/service/list`, { pageNo: '-1' });
      expect(res.status).toBe(400);
      expect(res.text).toContain("Param 'pageNo'");
    });

    it('should describe one service with GET /service, and refuse an unknown one', async () => {
      const res = await call(node.base, 'GET', `${V1}/service`, {
        namespaceId: 'svc',
        serviceName: 's4',
        groupName: 'g',
      });
      expect(res.json()).toMatchObject({ namespaceId: 'svc', groupName: 'g', name: 's4', clusters: [{ name: 'X' }] });
      const missing = await call(node.base, 'GET', `${V1}/service`, { namespaceId: 'svc', serviceName: 'nope' });
      expect(missing.status).toBe(400);
      expect(missing.text).toContain('service not found');
    });
  });

  it('should report only the status on GET /operator/metrics (onlyStatus defaults to true, as Nacos)', async () => {
    const res = await call(node.base, 'GET', `${V1}/operator/metrics`);
    expect(res.json()).toEqual({ status: 'UP' });
  });

  it('should list public first on GET /nacos/v1/console/namespaces', async () => {
    const res = await call(node.base, 'GET', '/nacos/v1/console/namespaces');
    const body = res.json() as { code: number; data: unknown[] };
    expect(body.code).toBe(200);
    expect(body.data[0]).toMatchObject({ namespace: '', namespaceShowName: 'public' });
  });

  it('should refuse an oversized body with 413', async () => {
    const res = await call(
      node.base,
      'POST',
      `${V1}/instance`,
      { serviceName: 'big', metadata: 'x'.repeat(1_100_000) },
      { form: true },
    );
    expect(res.status).toBe(413);
  });
});
