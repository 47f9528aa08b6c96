import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics';

const START = Symbol('requestStart');

/**
 * Times every request in Fastify's own hooks (cheaper than a Nest interceptor, and it also sees
 * 404s and requests rejected before a handler runs). Routes are labelled by their pattern, never
 * by the raw URL, so label cardinality stays bounded.
 */
export function installHttpMetrics(fastify: FastifyInstance, metrics: Metrics): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    (request as unknown as Record<symbol, bigint>)[START] = process.hrtime.bigint();
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const start = (request as unknown as Record<symbol, bigint | undefined>)[START];
    if (start !== undefined) {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const route = request.routeOptions.url ?? 'unmatched';
      metrics.httpRequestDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, seconds);
    }
    done();
  });
}
