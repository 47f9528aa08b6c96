import { createServer as createHttpServer } from 'node:http';
import type { IncomingHttpHeaders, Server as HttpServer } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { DataSource } from 'typeorm';
import { freePorts } from '../../tools/support/free-ports';
import { eventually } from '../../tools/support/eventually';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { call, listHosts } from '../nacos-http/support';
import { PersistentHealthChecks } from '../../src/persistent/health/persistent-health-checks';

const V1 = '/nacos/v1/ns';

function listen<T extends Server | HttpServer>(server: T): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function close(server: Server | HttpServer | undefined): Promise<void> {
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}

/** Server-side checks of persistent instances on loopback servers the spec opens (checks run every 150 ms). */
describe('health checks of persistent instances', () => {
  let node: TestNode;
  let tcp: Server;
  let http: HttpServer;
  let tcpPort: number;
  let httpPort: number;
  let closedPort: number;
  let httpStatus = 200;
  const seenHeaders: IncomingHttpHeaders[] = [];
  const seenPaths: string[] = [];

  beforeAll(async () => {
    tcp = createServer((socket) => socket.destroy());
    http = createHttpServer((req, res) => {
      seenHeaders.push(req.headers);
      seenPaths.push(req.url ?? '');
      res.statusCode = req.url === '/health' ? httpStatus : 404;
      res.end();
    });
    [tcpPort, httpPort] = await Promise.all([listen(tcp), listen(http)]);
    [closedPort] = await freePorts(1);
    node = await startTestNode({
      DATA_DIR: 'memory',
      NACOS_HEALTH_CHECK_ENABLED: 'true',
      NACOS_HEALTH_CHECK_INTERVAL_MS: '150',
      NACOS_HEALTH_CHECK_TIMEOUT_MS: '1000',
      NACOS_HEALTH_CHECK_TIMES: '2',
      LOG_LEVEL: 'warn',
    });
  });

  afterAll(async () => {
    await node?.close();
    await Promise.all([close(tcp), close(http)]);
  });

  const v1 = (method: string, path: string, params: Record<string, string>) =>
    call(node.base, method, `${V1}${path}`, params, { form: true });
  const register = async (serviceName: string, port: number, extra: Record<string, string> = {}) => {
    const res = await v1('POST', '/instance', {
      serviceName,
      ip: '127.0.0.1',
      port: String(port),
      ephemeral: 'false',
      ...extra,
    });
    expect([res.status, res.text]).toEqual([200, 'ok']);
  };
  /**
   * Checks the instance now, three times in a row (NACOS_HEALTH_CHECK_TIMES is 2), as the node's rounds would:
   * what waiting several intervals showed, without a wait that may hold no round on a loaded machine.
   */
  const checkNow = async (serviceName: string, port: number): Promise<void> => {
    const checks = node.app.get(PersistentHealthChecks);
    const key = { namespace: 'public', group: 'DEFAULT_GROUP', name: serviceName };
    const id = ['public', 'DEFAULT_GROUP', serviceName, 'DEFAULT', `127.0.0.1:${port}`].join('\u0000');
    for (let i = 0; i < 3; i++) await checks.check({ id, key, cluster: 'DEFAULT', ip: '127.0.0.1', port });
  };
  const healthOf = async (serviceName: string, port: number): Promise<boolean | undefined> =>
    (await listHosts(node.base, serviceName)).find((h) => h.port === port)?.healthy;
  const setChecker = async (serviceName: string, healthChecker: object, extra: Record<string, string> = {}) => {
    const res = await v1('PUT', '/cluster', {
      serviceName,
      clusterName: 'DEFAULT',
      checkPort: '80',
      useInstancePort4Check: 'true',
      healthChecker: JSON.stringify(healthChecker),
      ...extra,
    });
    expect([res.status, res.text]).toEqual([200, 'ok']);
  };

  it('should turn an instance on a closed port unhealthy and one on an open port healthy (TCP, the default)', async () => {
    await register('tcp-closed', closedPort);
    await register('tcp-open', tcpPort, { healthy: 'false' });
    await eventually(async () => {
      expect(await healthOf('tcp-closed', closedPort)).toBe(false);
      expect(await healthOf('tcp-open', tcpPort)).toBe(true);
    });
    // Unhealthy instances are still listed; `healthyOnly` leaves them out.
    expect(await listHosts(node.base, 'tcp-closed', { healthyOnly: 'true' })).toEqual([]);
    // A check's verdict is a persistent write like any other: in the database, so it survives restarts.
    const rows: Array<{ service_name: string; healthy: boolean }> = await node.app
      .get(DataSource)
      .query(`SELECT service_name, healthy FROM persistent_instance WHERE service_name LIKE 'tcp-%' ORDER BY 1`);
    expect(rows).toEqual([
      { service_name: 'tcp-closed', healthy: false },
      { service_name: 'tcp-open', healthy: true },
    ]);
    const metrics = await (await fetch(`${node.base}/metrics`)).text();
    expect(metrics).toMatch(/^nacos_health_checks_total\{type="tcp",result="failed"\} [1-9]/m);
    expect(metrics).toMatch(/^nacos_health_checks_total\{type="tcp",result="ok"\} [1-9]/m);
  });

  it("should not check a sync task's persistent copy: its health is its source's", async () => {
    await register('copy-closed', closedPort, { metadata: JSON.stringify({ syncTaskId: 'task-1' }) });
    await register('native-closed', closedPort);
    // The native instance on the same closed port is found unhealthy, and checked again after that:
    // the copy was due in every one of those rounds.
    await eventually(async () => expect(await healthOf('native-closed', closedPort)).toBe(false));
    const checks = async (): Promise<number> => {
      const text = await (await fetch(`${node.base}/metrics`)).text();
      return Number(/^nacos_health_checks_total\{type="tcp",result="failed"\} (\d+)/m.exec(text)?.[1] ?? 0);
    };
    const before = await checks();
    await eventually(async () => expect(await checks()).toBeGreaterThanOrEqual(before + 3));
    expect(await healthOf('copy-closed', closedPort)).toBe(true);
  });

  it('should check the checkPort instead of the instance port when told to', async () => {
    await register('tcp-checkport', closedPort);
    await setChecker('tcp-checkport', { type: 'TCP' }, { checkPort: String(tcpPort), useInstancePort4Check: 'false' });
    // Several checks on the open checkPort: it stays healthy though its own port is closed.
    await checkNow('tcp-checkport', closedPort);
    expect(await healthOf('tcp-checkport', closedPort)).toBe(true);
  });

  it('should follow an HTTP checker: path, headers and the expected status', async () => {
    await register('web', httpPort);
    await setChecker('web', {
      type: 'HTTP',
      path: '/health',
      headers: 'X-Probe:yes|Bad header',
      expectedResponseCode: 200,
    });
    await eventually(() => expect(seenPaths).toContain('/health'));
    expect(seenHeaders.find((h) => h['x-probe'] === 'yes')).toBeDefined();
    expect(await healthOf('web', httpPort)).toBe(true);

    httpStatus = 500; // neither expected nor busy: unhealthy at the first check
    await eventually(async () => expect(await healthOf('web', httpPort)).toBe(false));
    httpStatus = 200;
    await eventually(async () => expect(await healthOf('web', httpPort)).toBe(true));

    const detail = await call(node.base, 'GET', `${V1}/service`, { serviceName: 'web' });
    expect((detail.json() as { clusters: unknown[] }).clusters).toEqual([
      {
        name: 'DEFAULT',
        healthChecker: { type: 'HTTP', path: '/health', headers: 'X-Probe:yes|Bad header', expectedResponseCode: 200 },
        metadata: {},
      },
    ]);

    await setChecker('web', { type: 'HTTP', path: '/health', expectedResponseCode: 204 });
    await eventually(async () => expect(await healthOf('web', httpPort)).toBe(false));
    httpStatus = 204;
    await eventually(async () => expect(await healthOf('web', httpPort)).toBe(true));
  });

  it('should leave health to the health API when the cluster is NONE', async () => {
    await register('manual', closedPort);
    await setChecker('manual', { type: 'NONE' });
    await checkNow('manual', closedPort);
    expect(await healthOf('manual', closedPort)).toBe(true);

    const set = await v1('PUT', '/health/instance', {
      serviceName: 'manual',
      ip: '127.0.0.1',
      port: String(closedPort),
      healthy: 'false',
    });
    expect([set.status, set.text]).toEqual([200, 'ok']);
    expect(await healthOf('manual', closedPort)).toBe(false);
    // No checker turns it back: the port is closed anyway, but an open one would not either.
    await v1('PUT', '/health/instance', {
      serviceName: 'manual',
      ip: '127.0.0.1',
      port: String(closedPort),
      healthy: 'true',
    });
    await checkNow('manual', closedPort);
    expect(await healthOf('manual', closedPort)).toBe(true);
  });

  it('should refuse a checker Nacos does not describe, naming the problem', async () => {
    await register('bad-checker', tcpPort);
    const cases: Array<[Record<string, string>, string]> = [
      [{ healthChecker: '{"type":"MYSQL"}' }, 'healthChecker type MYSQL is not supported here; use TCP, HTTP or NONE.'],
      [{ healthChecker: '{"type":"UDP"}' }, 'healthChecker type must be TCP, HTTP or NONE.'],
      [{ healthChecker: 'tcp' }, "Param 'healthChecker' is not valid JSON."],
      [
        { healthChecker: '{"type":"HTTP","expectedResponseCode":99}' },
        'healthChecker expectedResponseCode must be an HTTP status 100-599.',
      ],
      [{ checkPort: '70000' }, "Param 'checkPort' must be an integer 0-65535."],
      [{ useInstancePort4Check: 'maybe' }, "Param 'useInstancePort4Check' must be true or false."],
      [{ serviceName: 'no-such-service' }, 'service not found:DEFAULT_GROUP@@no-such-service'],
    ];
    for (const [override, message] of cases) {
      const res = await v1('PUT', '/cluster', {
        serviceName: 'bad-checker',
        clusterName: 'DEFAULT',
        checkPort: '80',
        useInstancePort4Check: 'true',
        healthChecker: '{"type":"TCP"}',
        ...override,
      });
      expect([res.status, res.text]).toEqual([400, `caused: ${message};`]);
    }
    const types = await call(node.base, 'GET', `${V1}/health/checkers`);
    expect(types.json()).toEqual({
      TCP: { type: 'TCP' },
      HTTP: { type: 'HTTP', path: '', headers: '', expectedResponseCode: 200 },
      NONE: { type: 'NONE' },
    });
  });
});
