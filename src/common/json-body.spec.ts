import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { MAX_JSON_DEPTH, jsonBodyParser, jsonDeeperThan } from './json-body';

const nestedArrays = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
const nestedObjects = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

describe(jsonDeeperThan.name, () => {
  it('should count each array and object as one level, scalars as none', () => {
    expect(jsonDeeperThan(1, 0)).toBe(false);
    expect(jsonDeeperThan('text', 0)).toBe(false);
    expect(jsonDeeperThan({}, 1)).toBe(false);
    expect(jsonDeeperThan({ a: [1] }, 2)).toBe(false);
    expect(jsonDeeperThan({ a: [1] }, 1)).toBe(true);
    expect(jsonDeeperThan({ a: 1, b: { c: [{}] } }, 3)).toBe(true);
  });

  it('should walk hostile nesting without recursion', () => {
    expect(jsonDeeperThan(JSON.parse(nestedArrays(100_000)), MAX_JSON_DEPTH)).toBe(true);
    expect(jsonDeeperThan(JSON.parse(nestedObjects(3_000)), MAX_JSON_DEPTH)).toBe(true);
  });
});

describe(jsonBodyParser.name, () => {
  let sut: FastifyInstance;

  beforeAll(async () => {
    sut = Fastify();
    sut.addContentTypeParser('application/json', { parseAs: 'buffer' }, jsonBodyParser(sut));
    sut.post('/echo', (request) => ({ body: request.body ?? 'none' }));
    await sut.ready();
  });
  afterAll(() => sut.close());

  const post = (payload: string) =>
    sut.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload });

  it('should take an empty body with a JSON content type as no body', async () => {
    const res = await post('');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ body: 'none' });
  });

  it('should parse ordinary bodies as before, up to the depth limit', async () => {
    expect((await post('{"tasks":[{"exclude":["a"]}]}')).json()).toEqual({ body: { tasks: [{ exclude: ['a'] }] } });
    expect((await post(nestedArrays(MAX_JSON_DEPTH))).statusCode).toBe(200);
  });

  it('should refuse 400 a body nested deeper than the limit, and bad JSON', async () => {
    for (const payload of [nestedArrays(MAX_JSON_DEPTH + 1), nestedArrays(5_000), nestedObjects(3_000), '{"a":']) {
      expect((await post(payload)).statusCode).toBe(400);
    }
  });

  it('should still refuse prototype poisoning', async () => {
    expect((await post('{"__proto__":{"admin":true}}')).statusCode).toBe(400);
  });
});
