import { createSocket } from 'node:dgram';
import { Logger } from '@nestjs/common';
import type { Socket } from 'node:dgram';
import { HeartbeatExpiry } from '@/nacos/http/heartbeat-expiry';
import { NacosNamingClient } from '@/sync/adapters/nacos-grpc-client';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { eventually } from '../../tools/support/eventually';
import { call } from './support';

const V1 = '/nacos/v1/ns';
const V2 = '/nacos/v2/ns';

/** SwitchDomain as this node shows it by default (NACOS_CLIENT_BEAT_INTERVAL_MS=5000, auth off). */
const DEFAULT_SWITCHES = {
  name: '00-00---000-NACOS_SWITCH_DOMAIN-000---00-00',
  masters: null,
  adWeightMap: {},
  defaultPushCacheMillis: 10000,
  clientBeatInterval: 5000,
  defaultCacheMillis: 10000,
  distroThreshold: 0.7,
  healthCheckEnabled: true,
  autoChangeHealthCheckEnabled: true,
  distroEnabled: true,
  enableStandalone: true,
  pushEnabled: true,
  checkTimes: 3,
  httpHealthParams: { max: 5000, min: 500, factor: 0.85 },
  tcpHealthParams: { max: 5000, min: 1000, factor: 0.75 },
  mysqlHealthParams: { max: 3000, min: 2000, factor: 0.65 },
  incrementalList: [],
  serverStatusSynchronizationPeriodMillis: 2000,
  serviceStatusSynchronizationPeriodMillis: 5000,
  disableAddIP: false,
  sendBeatOnly: false,
  lightBeatEnabled: true,
  limitedUrlMap: {},
  distroServerExpiredMillis: 10000,
  pushVersionOfGo: '0.1.0',
  pushVersionOfJava: '0.1.0',
  pushVersionOfPython: '0.4.3',
  pushVersionOfC: '1.0.12',
  pushVersionOfCsharp: '0.9.0',
  enableAuthentication: false,
  overriddenServerStatus: null,
  defaultInstanceEphemeral: true,
  healthCheckWhiteList: [],
  checksum: null,
};

/** Nacos operator calls: switches (v1, v2), servers, metrics, and the `/ops` aliases. */
describe('Nacos HTTP operator calls', () => {
  let node: TestNode;
  let grpc: NacosNamingClient | undefined;
  let socket: Socket | undefined;

  beforeAll(async () => {
    node = await startTestNode({ DATA_DIR: 'memory', NACOS_GRPC_PORT: '0', NACOS_CLIENT_BEAT_CHECK_MS: '100' });
  });

  afterAll(async () => {
    grpc?.close();
    socket?.close();
    await node?.close();
  });

  const v1 = (method: string, path: string, params: Record<string, string> = {}) =>
    call(node.base, method, `${V1}${path}`, params, { form: method !== 'GET' });
  const v2 = (method: string, path: string, params: Record<string, string> = {}) =>
    call(node.base, method, `${V2}${path}`, params, { form: method !== 'GET' });
  const setSwitch = async (entry: string, value: string): Promise<void> => {
    const res = await v1('PUT', '/operator/switches', { entry, value });
    expect([res.status, res.text]).toEqual([200, 'ok']);
  };

  describe('GET /operator/switches', () => {
    it("should answer Nacos's SwitchDomain with this node's values, on v1, /ops and v2", async () => {
      const res = await v1('GET', '/operator/switches');
      expect(res.status).toBe(200);
      expect(res.json()).toEqual(DEFAULT_SWITCHES);
      expect((await v1('GET', '/ops/switches')).json()).toEqual(DEFAULT_SWITCHES);
      expect((await v2('GET', '/operator/switches')).json()).toEqual({
        code: 0,
        message: 'success',
        data: DEFAULT_SWITCHES,
      });
    });
  });

  describe('PUT /operator/switches', () => {
    afterEach(async () => {
      for (const [entry, value] of Object.entries({
        clientBeatInterval: '5000',
        lightBeatEnabled: 'true',
        defaultInstanceEphemeral: 'true',
        pushEnabled: 'true',
        check: 'true',
      })) {
        await setSwitch(entry, value);
      }
    });

    it('should tell beats the new clientBeatInterval and lightBeatEnabled at once', async () => {
      await setSwitch('clientBeatInterval', '7000');
      const v2Put = await v2('PUT', '/operator/switches', { entry: 'lightBeatEnabled', value: 'false' });
      expect(v2Put.json()).toEqual({ code: 0, message: 'success', data: 'ok' });
      const beat = await call(node.base, 'PUT', `${V1}/instance/beat`, {
        serviceName: 'beats',
        beat: JSON.stringify({ ip: '10.40.0.1', port: 80 }),
      });
      expect(beat.json()).toEqual({ clientBeatInterval: 7000, code: 10200, lightBeatEnabled: false });
      expect((await v1('GET', '/operator/switches')).json()).toMatchObject({
        clientBeatInterval: 7000,
        lightBeatEnabled: false,
      });
    });

    it('should make instances without `ephemeral` persistent with defaultInstanceEphemeral=false', async () => {
      await setSwitch('defaultInstanceEphemeral', 'false');
      await v1('POST', '/instance', { serviceName: 'kept', ip: '10.40.1.1', port: '80' });
      const hosts = (await v1('GET', '/instance/list', { serviceName: 'kept' })).json() as {
        hosts: Array<{ ephemeral: boolean }>;
      };
      expect(hosts.hosts).toEqual([expect.objectContaining({ ephemeral: false })]);
      // A deregistration without `ephemeral` names the same (persistent) instance.
      await v1('DELETE', '/instance', { serviceName: 'kept', ip: '10.40.1.1', port: '80' });
      expect((await v1('GET', '/instance/list', { serviceName: 'kept' })).json()).toMatchObject({ hosts: [] });
    });

    it('should stop heartbeat expiry with check=false and resume it with check=true', async () => {
      await setSwitch('check', 'false');
      const metadata = JSON.stringify({ 'preserved.heart.beat.timeout': '200', 'preserved.ip.delete.timeout': '400' });
      await v1('POST', '/instance', { serviceName: 'silent', ip: '10.40.2.1', port: '80', metadata });
      // The expiry pass the node runs every 100 ms, run here as of a minute later (far past both timeouts)
      // rather than waited for: under load a fixed wait could hold no pass at all.
      node.app.get(HeartbeatExpiry).run(Date.now() + 60_000);
      expect((await v1('GET', '/instance/list', { serviceName: 'silent' })).json()).toMatchObject({
        hosts: [{ ip: '10.40.2.1', healthy: true }],
      });
      await setSwitch('check', 'true');
      await eventually(async () =>
        expect((await v1('GET', '/instance/list', { serviceName: 'silent' })).json()).toMatchObject({ hosts: [] }),
      );
    });

    it('should push nothing to UDP subscribers with pushEnabled=false', async () => {
      const received: string[] = [];
      socket = createSocket('udp4');
      socket.on('message', (message) => received.push(message.toString('utf8').slice(0, 20)));
      await new Promise<void>((resolve) => socket!.bind(0, '127.0.0.1', resolve));
      const udpPort = String(socket.address().port);
      await v1('GET', '/instance/list', { serviceName: 'quiet', udpPort, clientIP: '127.0.0.1' });

      await setSwitch('pushEnabled', 'false');
      await v1('POST', '/instance', { serviceName: 'quiet', ip: '10.40.3.1', port: '80' });
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(received).toEqual([]);

      await setSwitch('pushEnabled', 'true');
      await v1('POST', '/instance', { serviceName: 'quiet', ip: '10.40.3.2', port: '80' });
      await eventually(() => Promise.resolve(expect(received.length).toBeGreaterThan(0)));
    });

    it.each([
      [{ entry: 'distro', value: 'false' }, "switch entry 'distro' is read-only here"],
      [{ entry: 'pushVersion', value: 'java:1.0.0' }, "switch entry 'pushVersion' is read-only here"],
      [{ entry: 'nope', value: '1' }, "unknown switch entry 'nope'"],
      [{ entry: 'clientBeatInterval', value: 'abc' }, 'clientBeatInterval must be an integer 1-600000'],
      [{ entry: 'pushEnabled', value: 'maybe' }, 'pushEnabled must be true or false'],
    ])('should refuse %j with 400 (v1 text, v2 code 20002)', async (params, message) => {
      const one = await v1('PUT', '/operator/switches', params);
      expect([one.status, one.text]).toEqual([400, message]);
      const two = await v2('PUT', '/operator/switches', params);
      expect([two.status, two.json()]).toEqual([
        400,
        { code: 20002, message: 'parameter validate error', data: message },
      ]);
      expect((await v1('GET', '/operator/switches')).json()).toEqual(DEFAULT_SWITCHES);
    });

    it.each([
      [{ value: 'true' }, 'entry'],
      [{ entry: 'pushEnabled' }, 'value'],
    ])('should refuse %j: %s is required', async (params, missing) => {
      const one = await v1('PUT', '/operator/switches', params);
      expect([one.status, one.text]).toEqual([400, `caused: Param '${missing}' is required.;`]);
      const two = await v2('PUT', '/operator/switches', params);
      expect([two.status, two.json()]).toEqual([
        400,
        { code: 10000, message: 'parameter missing', data: `Param '${missing}' is required.` },
      ]);
    });
  });

  describe('GET /operator/servers', () => {
    it('should list this node alone, as Nacos shaped a Member, also with healthy=true', async () => {
      const port = Number(new URL(node.base).port);
      const expected = {
        servers: [
          {
            ip: '127.0.0.1',
            port,
            state: 'UP',
            extendInfo: {},
            address: `127.0.0.1:${port}`,
            failAccessCnt: 0,
            abilities: {
              remoteAbility: { supportRemoteConnection: true, grpcReportEnabled: true },
              configAbility: { supportRemoteMetrics: false },
              namingAbility: { supportJraft: false },
            },
          },
        ],
      };
      expect((await v1('GET', '/operator/servers')).json()).toEqual(expected);
      expect((await v1('GET', '/ops/servers', { healthy: 'true' })).json()).toEqual(expected);
    });
  });

  describe('/nacos/v2/core/cluster/node/*', () => {
    const core = async (path: string, params: Record<string, string> = {}) => {
      const res = await call(node.base, 'GET', `/nacos/v2/core/cluster${path}`, params);
      return { status: res.status, body: res.json() };
    };

    it("should show this node as the region's only Member, its health, and filter the list", async () => {
      const port = Number(new URL(node.base).port);
      const self = { ip: '127.0.0.1', port, state: 'UP', address: `127.0.0.1:${port}` };

      expect(await core('/node/self')).toEqual({
        status: 200,
        body: { code: 0, message: 'success', data: expect.objectContaining(self) },
      });
      expect((await core('/node/self/health')).body).toEqual({ code: 0, message: 'success', data: 'UP' });
      expect((await core('/node/list')).body).toEqual({
        code: 0,
        message: 'success',
        data: [expect.objectContaining(self)],
      });
      expect((await core('/node/list', { address: '127.0.0', state: 'up' })).body).toMatchObject({
        data: [self],
      });
      expect((await core('/node/list', { state: 'DOWN' })).body).toMatchObject({ data: [] });
      expect((await core('/node/list', { address: '10.' })).body).toMatchObject({ data: [] });
    });

    it('should refuse an unknown state with 400 code 23000, as Nacos', async () => {
      expect(await core('/node/list', { state: 'sleepy' })).toEqual({
        status: 400,
        body: { code: 23000, message: 'illegal state', data: 'Illegal state: sleepy' },
      });
    });
  });

  describe('PUT /ops/log (v3 admin) and /operator/log (v1)', () => {
    const setLevel = (path: string, params: Record<string, string>) =>
      call(node.base, 'PUT', path, params, { form: true });
    const expiryLines = () => node.logs.filter((line) => line.context === 'HeartbeatExpiry').length;

    it("should change one named logger's level on this node: its lines go, the others stay", async () => {
      const metadata = JSON.stringify({
        'preserved.heart.beat.timeout': '100',
        'preserved.ip.delete.timeout': '100000',
      });
      const expire = async (ip: string) => {
        await v1('POST', '/instance', { serviceName: 'log-levels', ip, port: '80', metadata });
        node.app.get(HeartbeatExpiry).run(Date.now() + 1000);
      };
      // The test node runs at LOG_LEVEL=debug: heartbeat expiry (Nacos's naming-event) writes a debug line.
      const res = await setLevel('/nacos/v3/admin/ns/ops/log', { logName: 'naming-event', logLevel: 'ERROR' });
      expect([res.status, res.json()]).toEqual([200, { code: 0, message: 'success', data: 'ok' }]);
      expect(node.logs).toContainEqual(
        expect.objectContaining({ level: 40, msg: 'log level of naming-event set to error (was debug)' }),
      );
      const before = expiryLines();
      await expire('10.40.9.1');
      expect(expiryLines()).toBe(before);

      const back = await setLevel('/nacos/v1/ns/operator/log', { logName: 'naming-event', logLevel: 'debug' });
      expect([back.status, back.text]).toEqual([200, 'ok']);
      await expire('10.40.9.2');
      expect(expiryLines()).toBe(before + 1);
    });

    it("should keep a database error's SQL parameters out of a line logged through Nest's logger", () => {
      const err = Object.assign(new Error('insert failed'), { parameters: ['sealed-credential-marker'] });
      new Logger('Database').error({ err }, 'a write failed');
      const line = node.logs.find((l) => l.msg === 'a write failed');
      expect(line).toBeDefined();
      expect(JSON.stringify(line)).not.toContain('sealed-credential-marker');
    });

    it("should refuse a missing, unknown or bad logName or logLevel with 400, in each version's words", async () => {
      expect((await setLevel('/nacos/v3/admin/ns/ops/log', { logLevel: 'debug' })).json()).toEqual({
        code: 10000,
        message: 'parameter missing',
        data: "Required parameter 'logName' type String is not present",
      });
      const unknown = await setLevel('/nacos/v3/admin/ns/ops/log', { logName: 'naming-performance', logLevel: 'info' });
      expect(unknown.status).toBe(400);
      expect(unknown.json()).toMatchObject({
        code: 20002,
        data: expect.stringMatching(
          /^logName naming-performance is not a logger here; one of: naming-server/,
        ) as string,
      });
      const bad = await setLevel('/nacos/v1/ns/operator/log', { logName: 'naming-push', logLevel: 'loud' });
      expect([bad.status, bad.text]).toEqual([
        400,
        'caused: logLevel loud is not one of ALL, TRACE, DEBUG, INFO, WARN, ERROR, OFF;',
      ]);
      expect((await setLevel('/nacos/v1/ns/operator/log', { logName: 'naming-push' })).text).toBe(
        "caused: Param 'logLevel' is required.;",
      );
    });
  });

  describe('membership writes of /nacos/v2/core/cluster and /nacos/v3/admin/core/cluster', () => {
    const put = (path: string, params: Record<string, string>) => call(node.base, 'PUT', path, params, { form: true });
    const report = (path: string, body: string) =>
      fetch(`${node.base}${path}`, { method: 'PUT', body, headers: { 'content-type': 'application/json' } }).then(
        async (res) => ({ status: res.status, body: await res.json() }),
      );

    it('should answer a lookup switch with the mode a node without peers has: none, a 400 saying so', async () => {
      for (const path of ['/nacos/v2/core/cluster/lookup', '/nacos/v3/admin/core/cluster/lookup']) {
        const res = await put(path, { type: 'file' });
        expect(res.status).toBe(400);
        expect(res.json()).toMatchObject({
          code: 20002,
          data: expect.stringContaining('runs without peers') as string,
        });
        expect((await put(path, {})).json()).toEqual({
          code: 10000,
          message: 'parameter missing',
          data: "required parameter 'type' is missing",
        });
        expect((await put(path, { type: 'dns' })).json()).toEqual({
          code: 20002,
          message: 'parameter validate error',
          data: 'The addressing mode exists : dns, just support : [file, address-server]',
        });
      }
    });

    it('should take a report of Members (true), refuse an empty one, and refuse DELETE /nodes as Nacos 2 does', async () => {
      const port = Number(new URL(node.base).port);
      for (const path of ['/nacos/v2/core/cluster/node/list', '/nacos/v3/admin/core/cluster/node/list']) {
        expect(await report(path, JSON.stringify([{ ip: '127.0.0.1', port, state: 'UP' }]))).toEqual({
          status: 200,
          body: { code: 0, message: 'success', data: true },
        });
        expect(await report(path, '[]')).toEqual({
          status: 400,
          body: { code: 10000, message: 'parameter missing', data: "required parameter 'nodes' is missing" },
        });
        expect((await report(path, '{"ip":"127.0.0.1"}')).status).toBe(400);
      }
      const leave = await call(node.base, 'DELETE', '/nacos/v2/core/cluster/nodes', { addresses: '127.0.0.1:1' });
      expect([leave.status, leave.json()]).toEqual([
        405,
        { code: 405, message: 'DELETE /v2/core/cluster/nodes API not allow to use temporarily.', data: null },
      ]);
    });
  });

  describe('GET /operator/metrics', () => {
    it('should count clients, instances and subscriptions, with the machine figures', async () => {
      const fresh = await startTestNode({ DATA_DIR: 'memory', NACOS_GRPC_PORT: '0' });
      try {
        const post = (params: Record<string, string>) =>
          call(fresh.base, 'POST', `${V1}/instance`, { port: '80', ...params }, { form: true });
        await post({ serviceName: 'm-a', ip: '10.41.0.1' });
        await post({ serviceName: 'm-b', ip: '10.41.0.1' });
        await post({ serviceName: 'm-c', ip: '10.41.0.2', ephemeral: 'false' });
        grpc = new NacosNamingClient({ servers: [`127.0.0.1:${fresh.grpcPort}`], requestTimeoutMs: 2000 });
        await grpc.register('m-d', { ip: '10.41.0.3', port: 81 });
        await grpc.subscribe('m-a', () => undefined);

        const full = (
          await call(fresh.base, 'GET', `${V1}/operator/metrics`, { onlyStatus: 'false' })
        ).json() as Record<string, number>;
        expect(full).toEqual({
          status: 'UP',
          serviceCount: 4,
          instanceCount: 4,
          subscribeCount: 1,
          responsibleServiceCount: 4,
          responsibleInstanceCount: 4,
          clientCount: 3,
          connectionBasedClientCount: 1,
          ephemeralIpPortClientCount: 1,
          persistentIpPortClientCount: 1,
          responsibleClientCount: 3,
          cpu: expect.any(Number),
          load: expect.any(Number),
          mem: expect.any(Number),
        });
        expect(full.cpu).toBeGreaterThanOrEqual(0);
        expect(full.cpu).toBeLessThanOrEqual(1);
        expect(full.mem).toBeGreaterThan(0);
        expect(full.mem).toBeLessThan(1);
        expect(full.load).toBeGreaterThanOrEqual(0);

        const {
          responsibleServiceCount: _s,
          responsibleInstanceCount: _i,
          cpu: _c,
          load: _l,
          mem: _m,
          ...v2Counts
        } = full;
        const v2Full = (await call(fresh.base, 'GET', `${V2}/operator/metrics`, { onlyStatus: 'false' })).json() as {
          data: Record<string, number>;
        };
        expect(v2Full).toEqual({
          code: 0,
          message: 'success',
          data: { ...v2Counts, cpu: expect.any(Number), load: expect.any(Number), mem: expect.any(Number) },
        });
        expect((await call(fresh.base, 'GET', `${V1}/ops/metrics`, { onlyStatus: 'false' })).json()).toMatchObject({
          clientCount: 3,
        });
      } finally {
        grpc?.close();
        grpc = undefined;
        await fresh.close();
      }
    });

    it('should answer only the status by default and with onlyStatus=true, and refuse a bad onlyStatus', async () => {
      expect((await v1('GET', '/operator/metrics')).json()).toEqual({ status: 'UP' });
      expect((await v1('GET', '/ops/metrics', { onlyStatus: 'true' })).json()).toEqual({ status: 'UP' });
      expect((await v2('GET', '/operator/metrics')).json()).toEqual({
        code: 0,
        message: 'success',
        data: { status: 'UP' },
      });
      const bad = await v1('GET', '/operator/metrics', { onlyStatus: 'maybe' });
      expect([bad.status, bad.text]).toEqual([400, "caused: Param 'onlyStatus' must be true or false.;"]);
    });
  });
});
