import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Where `npm run build` puts the console's bundle (console/ built by Vite into dist/console). From the
 * sources (tests run src/ directly) that is ../dist/console; from the build (dist/src) it is ../console.
 */
export function consoleBundleDir(): string | undefined {
  return [join(__dirname, '..', 'dist', 'console'), join(__dirname, '..', 'console')].find(
    (dir) => existsSync(join(dir, 'index.html')) && existsSync(join(dir, 'assets')),
  );
}

/** Self-contained pages: everything from this origin, nothing framed, no inline script. */
const CONSOLE_CSP =
  "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/**
 * Serves the web console at /console/ (its hashed assets cached for good, index.html never), and
 * redirects / there. Without a bundle (a node run from sources before `npm run build`), /console
 * answers 503 saying how to build it.
 */
export async function serveConsole(app: NestFastifyApplication): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.get('/', (_req, reply) => reply.redirect('/console/', 302));
  const dir = consoleBundleDir();
  if (!dir) {
    const missing = (_req: FastifyRequest, reply: FastifyReply) =>
      reply.code(503).type('text/plain; charset=utf-8').send('the console is not built: run `npm run build`\n');
    fastify.get('/console', missing);
    fastify.get('/console/*', missing);
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/console/',
    redirect: false,
    wildcard: true,
    index: false,
    setHeaders: (reply, path) => {
      reply.header('Content-Security-Policy', CONSOLE_CSP);
      reply.header('X-Content-Type-Options', 'nosniff');
      reply.header(
        'Cache-Control',
        path.includes(join('assets', '')) ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  // The router ignores trailing slashes, so /console and /console/ are one route: the page itself (its
  // assets are addressed from the root, /console/assets/…, and its pages are #/ routes).
  fastify.get('/console', (_req, reply) => reply.sendFile('index.html'));
}
