import { Global, Module } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { AppConfig, ConfigModule } from '@/config';
import { DatabaseModule } from '@/database';
import { ClusterRouting, MemberUnreachableError } from '@/routing/cluster-routing';
import type { ForwardedHttpRequest, ForwardedHttpResponse } from '@/routing/cluster-routing';
import { NacosHttpModule } from '@/nacos/nacos-http.module';
import { AllExceptionsFilter, LogLevels, Metrics } from '@/observability';
import { Registry } from '@/registry';
import { call, listHosts } from './support';

/** A region of two members where `10.9.*` addresses belong to the other member. */
class FakeRouting extends ClusterRouting {
  ready = true;
  readonly forwarded: Array<{ member: string; request: ForwardedHttpRequest }> = [];
  answer: ForwardedHttpResponse = { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'ok' };
  /** The peer gives no answer (dead, paused, SUSPICIOUS): forwardHttp says to stand in. */
  unreachable = false;

  selfId(): string {
    return 'self:7848';
  }
  initialized(): boolean {
    return this.ready;
  }
  responsibleMember(tag: string): string | undefined {
    return tag.startsWith('10.9.') ? 'peer:7848' : undefined;
  }
  isResponsibleForClient(clientId: string): boolean {
    return !clientId.startsWith('10.9.');
  }
  forwardHttp(member: string, request: ForwardedHttpRequest): Promise<ForwardedHttpResponse> {
    this.forwarded.push({ member, request });
    if (this.unreachable) return Promise.reject(new MemberUnreachableError(member, 'refused: connect ECONNREFUSED'));
    return Promise.resolve(this.answer);
  }
  replicated(): Promise<void> {
    return Promise.resolve();
  }
}

const routing = new FakeRouting();

@Global()
@Module({
  providers: [
    Metrics,
    { provide: Registry, useFactory: () => new Registry() },
    { provide: ClusterRouting, useValue: routing },
    { provide: LogLevels, useValue: new LogLevels('silent') },
  ],
  exports: [Metrics, Registry, ClusterRouting, LogLevels],
})
class FakeHostModule {}

/** The Nacos edge routes writes through ClusterRouting: forward to the responsible member, 503 until initialized. */
describe('Nacos HTTP write routing', () => {
  let app: NestFastifyApplication;
  let base: string;

  beforeAll(async () => {
    const config = AppConfig.fromEnv({ HTTP_PORT: '0', HOST: '127.0.0.1', DATA_DIR: 'memory' });
    const moduleRef = await Test.createTestingModule({
      // The database holds the persistent instances (an embedded one in memory here).
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot({ entities: [] }),
        FakeHostModule,
        NacosHttpModule,
      ],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
    app.useGlobalFilters(new AllExceptionsFilter());
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
  });

  beforeEach(() => {
    routing.ready = true;
    routing.unreachable = false;
    routing.forwarded.length = 0;
  });

  it('should handle a write for an address this node is responsible for locally', async () => {
    expect(
      (await call(base, 'POST', '/nacos/v1/ns/instance', { serviceName: 'local', ip: '10.1.0.1', port: '80' })).text,
    ).toBe('ok');
    expect(routing.forwarded).toHaveLength(0);
    expect(await listHosts(base, 'local')).toHaveLength(1);
  });

  it('should forward a v1 write to the responsible member and relay its answer exactly', async () => {
    routing.answer = { status: 400, headers: { 'Content-Type': 'text/x-peer' }, body: 'caused: from peer;' };
    const res = await call(base, 'POST', '/nacos/v1/ns/instance', {
      serviceName: 'remote',
      ip: '10.9.0.1',
      port: '80',
      weight: '3',
    });
    expect(res).toMatchObject({ status: 400, text: 'caused: from peer;', contentType: 'text/x-peer' });
    expect(routing.forwarded).toHaveLength(1);
    const [{ member, request }] = routing.forwarded as [{ member: string; request: ForwardedHttpRequest }];
    expect(member).toBe('peer:7848');
    expect(request).toMatchObject({ method: 'POST', url: '/nacos/v1/ns/instance' });
    expect(request.headers).toMatchObject({ 'x-distro-forwarded': '1', 'user-agent': 'Nacos-Server' });
    expect(Object.fromEntries(new URLSearchParams(request.body))).toMatchObject({
      serviceName: 'remote',
      ip: '10.9.0.1',
      weight: '3',
    });
    expect(await listHosts(base, 'remote')).toEqual([]);
  });

  it('should forward a beat by the ip:port inside its beat body, and v2 writes too', async () => {
    routing.answer = { status: 200, headers: { 'content-type': 'application/json' }, body: '{"code":10200}' };
    const beat = await call(base, 'PUT', '/nacos/v1/ns/instance/beat', {
      serviceName: 'DEFAULT_GROUP@@remote',
      beat: JSON.stringify({ ip: '10.9.0.2', port: 81 }),
    });
    expect(beat.json()).toEqual({ code: 10200 });
    await call(
      base,
      'DELETE',
      '/nacos/v2/ns/instance',
      { serviceName: 'remote', ip: '10.9.0.3', port: '80' },
      { form: true },
    );
    expect(routing.forwarded.map((each) => each.request.method)).toEqual(['PUT', 'DELETE']);
  });

  it('should forward PATCH, manual health and the v2 beat by their ip:port, and apply a metadata batch here', async () => {
    routing.answer = { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' };
    const remote = { serviceName: 'remote-19', ip: '10.9.0.4', port: '80' };
    await call(base, 'PATCH', '/nacos/v1/ns/instance', { ...remote, weight: '2' }, { form: true });
    await call(base, 'PUT', '/nacos/v1/ns/health/instance', { ...remote, healthy: 'false' }, { form: true });
    await call(base, 'PATCH', '/nacos/v2/ns/instance', { ...remote, weight: '2', enabled: 'true', metadata: '' });
    await call(base, 'PUT', '/nacos/v2/ns/health', { ...remote, healthy: 'true' });
    await call(base, 'PUT', '/nacos/v2/ns/instance/beat', { ...remote });
    expect(routing.forwarded.map(({ member, request }) => `${member} ${request.method} ${request.url}`)).toEqual([
      'peer:7848 PATCH /nacos/v1/ns/instance',
      'peer:7848 PUT /nacos/v1/ns/health/instance',
      'peer:7848 PATCH /nacos/v2/ns/instance',
      'peer:7848 PUT /nacos/v2/ns/health',
      'peer:7848 PUT /nacos/v2/ns/instance/beat',
    ]);

    routing.forwarded.length = 0;
    const batch = await call(base, 'PUT', '/nacos/v1/ns/instance/metadata/batch', {
      serviceName: 'remote-19',
      metadata: 'k=v',
    });
    expect([batch.status, batch.json()]).toEqual([200, { updated: [] }]);
    expect(routing.forwarded).toHaveLength(0);
  });

  it('should forward every Nacos 3 write by its ip:port to the responsible member, on its v3 path', async () => {
    routing.answer = { status: 200, headers: { 'content-type': 'application/json' }, body: '{"code":0}' };
    const remote = { serviceName: 'remote-v3', ip: '10.9.0.5', port: '80' };
    const client = '/nacos/v3/client/ns/instance';
    const admin = '/nacos/v3/admin/ns';
    await call(base, 'POST', client, remote, { form: true });
    await call(base, 'POST', client, { ...remote, heartBeat: 'true' }, { form: true });
    await call(base, 'DELETE', client, remote, { form: true });
    await call(base, 'POST', `${admin}/instance`, remote, { form: true });
    await call(base, 'PUT', `${admin}/instance`, { ...remote, weight: '2' }, { form: true });
    await call(base, 'PUT', `${admin}/instance/partial`, { ...remote, weight: '3' }, { form: true });
    await call(base, 'PUT', `${admin}/health/instance`, { ...remote, healthy: 'false' }, { form: true });
    await call(base, 'DELETE', `${admin}/instance`, remote, { form: true });
    expect(routing.forwarded.map(({ member, request }) => `${member} ${request.method} ${request.url}`)).toEqual([
      `peer:7848 POST ${client}`,
      `peer:7848 POST ${client}`,
      `peer:7848 DELETE ${client}`,
      `peer:7848 POST ${admin}/instance`,
      `peer:7848 PUT ${admin}/instance`,
      `peer:7848 PUT ${admin}/instance/partial`,
      `peer:7848 PUT ${admin}/health/instance`,
      `peer:7848 DELETE ${admin}/instance`,
    ]);
    expect(Object.fromEntries(new URLSearchParams(routing.forwarded[1]?.request.body))).toMatchObject({
      ...remote,
      heartBeat: 'true',
    });
    expect(await listHosts(base, 'remote-v3')).toEqual([]);
  });

  it('should apply v1 and v2 writes and beats here as a stand-in when the responsible member does not answer', async () => {
    routing.unreachable = true;
    const register = await call(base, 'POST', '/nacos/v1/ns/instance', {
      serviceName: 'standin',
      ip: '10.9.1.1',
      port: '80',
    });
    expect(register).toMatchObject({ status: 200, text: 'ok' });
    const beat = await call(base, 'PUT', '/nacos/v1/ns/instance/beat', {
      serviceName: 'DEFAULT_GROUP@@standin',
      beat: JSON.stringify({ ip: '10.9.1.1', port: 80 }),
    });
    expect(beat.status).toBe(200);
    expect(beat.json()).toMatchObject({ code: 10200 });
    const v2 = await call(base, 'POST', '/nacos/v2/ns/instance', {
      serviceName: 'standin',
      ip: '10.9.1.2',
      port: '80',
    });
    expect(v2.status).toBe(200);

    expect(routing.forwarded.map((each) => each.member)).toEqual(['peer:7848', 'peer:7848', 'peer:7848']);
    expect((await listHosts(base, 'standin')).map((h) => h.ip).sort()).toEqual(['10.9.1.1', '10.9.1.2']);
  });

  it('should never forward a request that already is a forward', async () => {
    const marks: Array<Record<string, string>> = [
      { 'x-distro-forwarded': '1' },
      { 'user-agent': 'Nacos-Server:v2.5.1' },
    ];
    for (const headers of marks) {
      const res = await call(
        base,
        'POST',
        '/nacos/v1/ns/instance',
        { serviceName: 'marked', ip: '10.9.0.4', port: '80' },
        { headers },
      );
      expect(res.text).toBe('ok');
    }
    expect(routing.forwarded).toHaveLength(0);
    expect(await listHosts(base, 'marked')).toHaveLength(1);
  });

  it('should answer reads and writes with 503 until Distro is initialized', async () => {
    routing.ready = false;
    for (const [method, path] of [
      ['GET', '/nacos/v1/ns/instance/list?serviceName=x'],
      ['POST', '/nacos/v1/ns/instance?serviceName=x&ip=10.1.0.1&port=80'],
      ['PUT', '/nacos/v1/ns/instance/beat?serviceName=x&ip=10.1.0.1&port=80'],
      ['GET', '/nacos/v2/ns/instance/list?serviceName=x'],
    ] as const) {
      const res = await call(base, method, path);
      expect(res.status).toBe(503);
      expect(res.text).toContain(
        'server is DOWN now, detailed error message: Optional[Distro protocol is not initialized]',
      );
    }
    expect(routing.forwarded).toHaveLength(0);
  });

  it('should name the member responsible for an ip-port client in GET /operator/distro/client, as Nacos', async () => {
    const owner = async (params: Record<string, string>) => {
      const res = await call(base, 'GET', '/nacos/v1/ns/operator/distro/client', params);
      return { status: res.status, text: res.text };
    };

    expect(await owner({ ip: '10.9.0.1', port: '80' })).toEqual({
      status: 200,
      text: '{"responsibleServer":"peer:7848"}',
    });
    expect(await owner({ ip: '10.1.0.1', port: '80' })).toEqual({
      status: 200,
      text: '{"responsibleServer":"self:7848"}',
    });
    expect(await owner({ ip: '10.1.0.1' })).toEqual({ status: 400, text: "caused: Param 'port' is required.;" });
    expect(await owner({ ip: '10.1.0.1', port: '70000' })).toEqual({
      status: 400,
      text: expect.stringContaining("'port'"),
    });
  });
});
