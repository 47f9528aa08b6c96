import { BadRequestException } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * Deepest nesting of arrays and objects a JSON body may have. The admin API's deepest body is 4
 * levels (`{tasks: [{exclude: [...]}]}`); class-transformer recurses per level and overflows the
 * stack at a few thousand, a 500 before any validation ran.
 */
export const MAX_JSON_DEPTH = 32;

/** True when `value` nests arrays and objects deeper than `limit`; iterative, and stops at the first. */
export function jsonDeeperThan(value: unknown, limit: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 0]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth + 1 > limit) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (typeof child === 'object' && child !== null) pending.push([child, depth + 1]);
    }
  }
  return false;
}

/** A 400 for Nest's exception filter, with the `statusCode` Fastify's own error handler reads. */
function tooDeep(): Error {
  const err = new BadRequestException([`body must not nest arrays and objects deeper than ${MAX_JSON_DEPTH} levels`]);
  return Object.assign(err, { statusCode: 400 });
}

type Done = (err: Error | null, body?: unknown) => void;
type JsonParser = (request: FastifyRequest, body: Buffer | string, done: Done) => void;

/**
 * Fastify's JSON parser with two changes, for every route: an empty body with `Content-Type:
 * application/json` is no body (action routes such as `POST /api/v1/tasks/:id/pause` take none,
 * and clients send the header anyway), and a body nested deeper than `MAX_JSON_DEPTH` is a 400.
 * Install it with Nest's `app.useBodyParser('application/json', …)`.
 */
export function jsonBodyParser(fastify: FastifyInstance): (request: FastifyRequest, body: Buffer, done: Done) => void {
  // The default parser is the callback form; prototype poisoning stays refused, as by default.
  const parseJson = fastify.getDefaultJsonParser('error', 'error') as JsonParser;
  return (request, body, done) => {
    if (body.length === 0) {
      done(null, undefined);
      return;
    }
    parseJson(request, body, (err, parsed) => {
      if (err) done(err, undefined);
      else if (jsonDeeperThan(parsed, MAX_JSON_DEPTH)) done(tooDeep());
      else done(null, parsed);
    });
  };
}
