import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';

/** The whole app on its embedded PGlite, the way `npm start` runs it with no env at all. */
describe('a standalone node on embedded PGlite', () => {
  let sut: TestNode;

  beforeAll(async () => {
    sut = await startTestNode({ DATA_DIR: 'memory' }, { embedded: true });
  });

  afterAll(async () => {
    await sut?.close();
  });

  it('should be live and ready', async () => {
    const live = await fetch(`${sut.base}/health/live`);
    expect(live.status).toBe(200);
    const ready = await fetch(`${sut.base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ok',
      details: { database: { status: 'up', embedded: true }, shutdown: { status: 'up' } },
    });
  });

  it('should serve Prometheus metrics with process metrics and the HTTP histogram', async () => {
    await fetch(`${sut.base}/health/live`);
    const res = await fetch(`${sut.base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain('process_resident_memory_bytes');
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/health\/live",status="200"\} \d+/);
  });

  it('should label unmatched routes without the raw URL (bounded cardinality)', async () => {
    await fetch(`${sut.base}/no/such/route/${Date.now()}`);
    const text = await (await fetch(`${sut.base}/metrics`)).text();
    expect(text).toContain('route="unmatched"');
    expect(text).not.toContain('/no/such/route');
  });

  it('should serve the OpenAPI document and its UI', async () => {
    const doc = await fetch(`${sut.base}/api/docs/json`);
    expect(doc.status).toBe(200);
    expect(await doc.json()).toMatchObject({ openapi: expect.stringMatching(/^3\./), info: { title: 'distro-sync' } });
    expect((await fetch(`${sut.base}/api/docs`)).status).toBe(200);
  });

  it('should answer an unknown route with a JSON 404, not an error page', async () => {
    const res = await fetch(`${sut.base}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ statusCode: 404 });
  });

  it('should answer malformed JSON with 400 and no internals', async () => {
    const res = await fetch(`${sut.base}/health/live`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"broken',
    });
    expect([400, 404]).toContain(res.status);
    const body = await res.text();
    expect(body).not.toMatch(/at .*\.js:\d+/);
  });
});
